"""The auth policy: the local default without keys, and credentials from the first key on."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import running_server


def test_without_keys_local_requests_need_no_credentials(tmp_path: Path) -> None:
    with running_server(tmp_path, with_key=False, workers=0) as srv:
        forecast = srv.client()  # any credentials: nobody checks them yet
        forecast.create_dataset_group(DatasetGroupName="local", Domain="CUSTOM")
        listed = httpx.get(srv.url + "/api/v1/dataset-groups").json()
        assert [g["DatasetGroupName"] for g in listed["DatasetGroups"]] == ["local"]

        # a page on another site rebinding its name to 127.0.0.1, or a local proxy: refused
        rebound = httpx.get(srv.url + "/api/v1/dataset-groups", headers={"Host": "evil.example"})
        assert rebound.status_code == 401 and "create-access-key" in rebound.json()["message"]
        proxied = httpx.get(srv.url + "/api/v1/dataset-groups", headers={"X-Forwarded-For": "8.8.8.8"})
        assert proxied.status_code == 401

        # the first key switches authentication on, without a restart
        from forecasthub.api import keys

        key = keys.create_access_key(srv.hub)
        with pytest.raises(ClientError) as exc:
            forecast.list_dataset_groups()
        assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"
        assert httpx.get(srv.url + "/api/v1/dataset-groups").status_code == 401
        signed = srv.client(key_id=key.access_key_id, secret=key.secret_access_key)
        assert signed.list_dataset_groups()["DatasetGroups"][0]["DatasetGroupName"] == "local"


def test_without_keys_a_non_loopback_app_refuses_everyone(tmp_path: Path) -> None:
    with running_server(tmp_path, with_key=False, workers=0, host="0.0.0.0") as srv:
        refused = httpx.get(srv.url + "/api/v1/dataset-groups")
        assert refused.status_code == 401 and "create-access-key" in refused.json()["message"]
        with pytest.raises(ClientError) as exc:
            srv.client(validate=False).list_dataset_groups()
        assert exc.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"


def test_deleted_keys_stop_working(tmp_path: Path) -> None:
    from forecasthub.api import keys

    with running_server(tmp_path, workers=0) as srv:
        spare = keys.create_access_key(srv.hub)
        assert srv.client().list_datasets()["Datasets"] == []
        keys.delete_access_key(srv.hub, srv.key_id)
        with pytest.raises(ClientError) as exc:
            srv.client(validate=False).list_datasets()
        assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"
        bearer = {"Authorization": f"Bearer {srv.key_id}:{srv.secret}"}
        assert httpx.get(srv.url + "/api/v1/datasets", headers=bearer).status_code == 401
        spare_client = srv.client(key_id=spare.access_key_id, secret=spare.secret_access_key)
        assert spare_client.list_datasets()["Datasets"] == []


def test_key_format(tmp_path: Path) -> None:
    from forecasthub.api import keys
    from forecasthub.services.context import Hub
    from tests.api.conftest import make_settings

    hub = Hub(make_settings(tmp_path))
    try:
        key = keys.create_access_key(hub, "laptop")
        assert key.access_key_id.startswith("AKIA") and len(key.access_key_id) == 20
        assert key.access_key_id.isalnum() and key.access_key_id.isupper()
        assert len(key.secret_access_key) == 40 and key.status == "Active"
        assert keys.secret_for(hub, key.access_key_id) == key.secret_access_key
        assert keys.secret_for(hub, "AKIANOTAKEY000000000") is None
        db_file = Path(hub.settings.database_url.split("///", 1)[1])
        assert db_file.stat().st_mode & 0o077 == 0  # secrets inside: owner only
    finally:
        hub.close()


def test_migration_matches_the_model(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from forecasthub.store.db import Database
    from forecasthub.store.orm import Base

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert [d for d in diffs if "access_keys" in repr(d)] == []
    finally:
        db.dispose()



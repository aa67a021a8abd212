from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from forecasthub.store.db import Database


def test_migrations_create_tables_and_are_idempotent(fresh_database_url: str) -> None:
    db = Database(fresh_database_url)
    tables = set(inspect(db.engine).get_table_names())
    assert {"dataset_groups", "datasets", "dataset_import_jobs", "jobs", "alembic_version"} <= tables
    db.dispose()
    Database(fresh_database_url).dispose()  # second upgrade is a no-op


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_session_rolls_back_on_error(database_url: str) -> None:
    from forecasthub.store.orm import DatasetGroupRow

    db = Database(database_url)
    try:
        with db.session() as s:
            s.add(DatasetGroupRow(arn="arn:x", name="g", domain="CUSTOM", status="ACTIVE",
                                  dataset_arns=[], tags={}))
            s.flush()
            raise ValueError("boom")
    except ValueError:
        pass
    with db.session() as s:
        assert s.get(DatasetGroupRow, "arn:x") is None
    db.dispose()


def test_models_match_the_migrations(fresh_database_url: str) -> None:
    """Alembic's autogenerate finds nothing to do: the migrations build exactly the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from forecasthub.store.orm import Base

    db = Database(fresh_database_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_json_and_timezones_round_trip(database_url: str) -> None:
    from datetime import UTC, datetime

    from forecasthub.store.orm import JobRow

    db = Database(database_url)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.session() as s:
        s.add(JobRow(id="j", kind="k", resource_arn="arn:j", state="PENDING",
                     payload={"path": "s3://b/k", "n": [1, 2.5, None], "ü": "ß"}, progress={},
                     lease_expires_at=when))
    with db.session() as s:
        row = s.get(JobRow, "j")
        assert row.payload == {"path": "s3://b/k", "n": [1, 2.5, None], "ü": "ß"}
        stored = row.lease_expires_at
        assert (stored if stored.tzinfo else stored.replace(tzinfo=UTC)) == when
    db.dispose()


def test_unreachable_database_is_a_clear_error() -> None:
    pytest.importorskip("psycopg")
    from forecasthub.errors import StorageError

    with pytest.raises(StorageError, match="cannot open the metadata database") as info:
        Database("postgresql://fh:secret@127.0.0.1:1/nope")
    assert "secret" not in str(info.value)

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLES = SHARED_DATA / "amazon-forecast-samples"


def require_samples() -> Path:
    if not SAMPLES.exists():
        pytest.skip(f"shared sample data not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated forecasthub home; imports may read the tmp dir and the shared samples."""
    home = tmp_path / "home"
    monkeypatch.setenv("FORECASTHUB_HOME", str(home))
    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS", f"{tmp_path},{SHARED_DATA}")
    monkeypatch.setenv("FORECASTHUB_NO_AUTOSTART", "1")
    for var in ("FORECASTHUB_DATABASE_URL", "FORECASTHUB_STORE_URL", "FORECASTHUB_CONFIG_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def fh(home: Path):
    from forecasthub.client import Client

    client = Client()
    yield client
    client.close()


@pytest.fixture
def cli_env(home: Path) -> dict[str, str]:
    return dict(os.environ)


# -- throwaway services: S3 (moto server) and PostgreSQL; see tests/infra.py -------------------
AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
           "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")
PG_TEMPLATE = "fh_template"


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 on 127.0.0.1 (one per test session / xdist worker), IAM auth on."""
    pytest.importorskip("s3fs", reason="s3 tests need forecasthub[s3]")
    pytest.importorskip("moto.server", reason="s3 tests need moto[server]")
    from tests.infra import start_s3

    server = start_s3()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty bucket; FORECASTHUB_S3_* settings point at the server with valid keys."""
    for var in AWS_ENV:
        monkeypatch.delenv(var, raising=False)
    for var, value in s3_server.env().items():
        monkeypatch.setenv(var, value)
    return s3_server.create_bucket()


@pytest.fixture(scope="session")
def _postgres_or_reason():
    from tests.infra import PostgresUnavailable, start_postgres

    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        yield str(exc)
        return
    try:  # a migrated template: each test's database is a fast copy of it
        from forecasthub.store.db import Database

        server.create_database(PG_TEMPLATE)
        Database(server.url(PG_TEMPLATE)).dispose()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_server(_postgres_or_reason):
    """The session's PostgreSQL (tests/infra.Postgres); skips with the reason when unavailable."""
    if isinstance(_postgres_or_reason, str):
        pytest.skip(f"PostgreSQL unavailable: {_postgres_or_reason}")
    return _postgres_or_reason


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, migrated metadata database on each backend (SQLite file in the test's home, or
    a PostgreSQL database copied from the migrated template and dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'home' / 'metadata.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database(template=PG_TEMPLATE)
    yield url
    server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def fresh_database_url(request: pytest.FixtureRequest, database_url: str) -> str:
    """Like database_url, but an empty (never migrated) database."""
    if database_url.startswith("sqlite"):
        return database_url
    return request.getfixturevalue("postgres_server").create_database()

"""PostgreSQL specifics of the metadata store: job claims with FOR UPDATE SKIP LOCKED, the
advisory lock around migrations, and the URL forms users write."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from forecasthub.jobs import queue
from forecasthub.jobs.queue import JobState
from forecasthub.store.db import Database, postgres_url


@pytest.fixture
def pg_db(postgres_server):
    from tests.conftest import PG_TEMPLATE

    url = postgres_server.create_database(template=PG_TEMPLATE)
    db = Database(url)
    yield db
    db.dispose()
    postgres_server.drop_database(url.rsplit("/", 1)[1])


def _enqueue(db: Database, n: int) -> list[str]:
    ids = []
    for i in range(n):
        with db.session() as s:
            ids.append(queue.enqueue(s, "t", f"arn:t/{i}", {"i": i}))
    return ids


def test_urls_use_psycopg3() -> None:
    assert postgres_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert postgres_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert postgres_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert postgres_url("sqlite:///x.db") == "sqlite:///x.db"


def test_plain_postgresql_url_works(postgres_server) -> None:
    url = postgres_server.create_database().replace("postgresql+psycopg://", "postgresql://")
    db = Database(url)
    assert db.dialect == "postgresql"
    with db.engine.connect() as conn:
        assert conn.execute(text("SHOW timezone")).scalar() == "UTC"
    db.dispose()


def test_claim_skips_rows_locked_by_another_worker(pg_db: Database) -> None:
    first, second = _enqueue(pg_db, 2)
    with pg_db.engine.connect() as other:  # another worker is mid-claim on the oldest job
        other.begin()
        other.execute(text("SELECT id FROM jobs WHERE id = :id FOR UPDATE"), {"id": first})
        started = time.monotonic()
        claimed = queue.claim(pg_db, "w2")
        assert time.monotonic() - started < 5  # did not wait for the lock
        assert claimed is not None and claimed.id == second
        assert queue.claim(pg_db, "w3", job_id=first) is None  # locked: skipped, not waited on
        other.rollback()
    again = queue.claim(pg_db, "w4")
    assert again is not None and again.id == first and again.attempts == 1


def test_concurrent_workers_claim_each_job_exactly_once(pg_db: Database) -> None:
    ids = _enqueue(pg_db, 40)
    claimed: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            while (job := queue.claim(pg_db, name)) is not None:
                claimed.setdefault(job.id, []).append(name)
                queue.finish(pg_db, job.id, JobState.SUCCEEDED)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(claimed) == sorted(ids)
    assert all(len(workers) == 1 for workers in claimed.values())
    with pg_db.session() as s:
        states = {r.state for r in s.scalars(queue.select(queue.JobRow)).all()}
    assert states == {JobState.SUCCEEDED}


def test_concurrent_first_start_migrates_once(postgres_server) -> None:
    url = postgres_server.create_database()
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Database(url).dispose()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    db = Database(url)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    db.dispose()


def test_migrations_downgrade_and_upgrade_again(postgres_server) -> None:
    from alembic import command
    from alembic.config import Config

    from forecasthub.store.db import MIGRATIONS

    url = postgres_server.create_database()
    db = Database(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with db.engine.connect() as conn:
        left = conn.execute(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name <> 'alembic_version'")).scalar()
    assert left == 0
    db.dispose()
    Database(url).dispose()  # and back up

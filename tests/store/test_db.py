from pathlib import Path

from sqlalchemy import inspect, text

from forecasthub.store.db import Database


def test_migrations_create_tables_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db = Database(url)
    tables = set(inspect(db.engine).get_table_names())
    assert {"dataset_groups", "datasets", "dataset_import_jobs", "jobs", "alembic_version"} <= tables
    db.dispose()
    Database(url).dispose()  # second upgrade is a no-op


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_session_rolls_back_on_error(tmp_path: Path) -> None:
    from forecasthub.store.orm import DatasetGroupRow

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
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

"""Engine, sessions and schema migrations of the metadata store (SQLite or PostgreSQL).

``postgresql://`` and ``postgres://`` URLs use psycopg 3 (``pip install 'forecasthub[postgres]'``).
Migrations on PostgreSQL run under an advisory lock, so workers starting together do not race.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from forecasthub.errors import InvalidInputError, StorageError

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_465_436_347  # pg_advisory_xact_lock key of `forecasthub upgrade`


def postgres_url(url: str) -> str:
    """``postgres(ql)://`` -> ``postgresql+psycopg://`` (psycopg 3); other URLs unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL mode, a busy timeout and foreign keys; PostgreSQL a pool
    with pre-ping, a connect timeout and UTC sessions."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    url = postgres_url(url)
    if url.startswith("postgresql"):
        if "+psycopg" in url.split("://", 1)[0]:
            try:
                import psycopg  # noqa: F401
            except ImportError as exc:
                raise StorageError("a PostgreSQL metadata store needs psycopg: "
                                   "pip install 'forecasthub[postgres]'") from exc
        return create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800,
            connect_args={"connect_timeout": 10, "options": "-c timezone=UTC",
                          "application_name": "forecasthub"},
        )
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise InvalidInputError(f"unsupported database URL {safe_url(url)}: {exc}") from None


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # one migrator at a time; the others wait
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def check_schema(engine: Engine) -> None:
    """Refuse to run on a database that is not migrated."""
    if "alembic_version" not in inspect(engine).get_table_names():
        raise StorageError("the metadata database is not initialised: run `forecasthub init`")


class Database:
    """The metadata store's engine plus a commit-or-rollback session scope."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            try:
                upgrade(self.engine)
            except OperationalError as exc:  # unreachable server, bad password, no database
                self.engine.dispose()
                reason = str(exc.orig or exc).strip().splitlines()
                raise StorageError(f"cannot open the metadata database {safe_url(url)}: "
                                   f"{reason[0] if reason else exc}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

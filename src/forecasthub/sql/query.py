"""Read-only SQL over the catalog, for the CLI (`forecasthub sql`) and `POST /api/v1/sql`.

The rules, in the order they apply:

1. the text must parse (DuckDB's own parser) into exactly one statement, of type SELECT
   (``SELECT``, ``WITH ... SELECT``, ``FROM t``, ``DESCRIBE t``, ``SUMMARIZE t``); INSERT, ATTACH,
   COPY, INSTALL, LOAD, PRAGMA, SET, EXPLAIN ... are refused before anything runs;
2. the query runs on a fresh in-memory connection where, once the catalog's views are defined,
   external access is switched off (only the Parquet files of the views stay readable: no
   ``read_csv('/etc/passwd')``, no writes, no extensions) and the configuration is locked;
3. at most ``max_rows`` rows come back (``Truncated`` says when there were more) and the query is
   interrupted after ``timeout_s`` seconds.
"""

from __future__ import annotations

import csv
import io
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from forecasthub.errors import InvalidInputError, LimitExceededError

DEFAULT_MAX_ROWS = 10_000
MAX_ROWS_LIMIT = 1_000_000
DEFAULT_TIMEOUT_S = 30.0
MAX_QUERY_CHARS = 100_000
FORMATS = ("table", "csv", "json")


class QueryTimeoutError(LimitExceededError):
    """The query ran longer than allowed and was interrupted."""


@dataclass
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    seconds: float = 0.0
    tables: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"Columns": [{"Name": c, "Type": t} for c, t in zip(self.columns, self.types, strict=True)],
                "Rows": [[jsonable(v) for v in row] for row in self.rows],
                "RowCount": len(self.rows), "Truncated": self.truncated,
                "Seconds": round(self.seconds, 3)}

    def records(self) -> list[dict[str, Any]]:
        return [{c: jsonable(v) for c, v in zip(self.columns, row, strict=True)} for row in self.rows]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if v is None else jsonable(v) for v in row])
        return out.getvalue()


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def check_query(sql: Any, con: Any = None) -> str:
    """The one SELECT statement of ``sql``, or InvalidInputError saying why it is refused."""
    import duckdb

    if not isinstance(sql, str) or not sql.strip():
        raise InvalidInputError("query must be a non-empty SQL string")
    if len(sql) > MAX_QUERY_CHARS:
        raise InvalidInputError(f"query is longer than {MAX_QUERY_CHARS:,} characters")
    parser = con or duckdb.connect(":memory:")
    try:
        statements = parser.extract_statements(sql)
    except duckdb.Error as exc:
        raise InvalidInputError(f"query does not parse: {_first_line(exc)}") from None
    finally:
        if con is None:
            parser.close()
    if len(statements) != 1:
        raise InvalidInputError(f"exactly one statement is allowed, found {len(statements)}")
    statement = statements[0]
    kind = statement.type.name if hasattr(statement.type, "name") else str(statement.type)
    if kind != "SELECT":
        words = statement.query.split(None, 1)
        keyword = words[0].upper() if words else kind
        raise InvalidInputError(f"only a read-only SELECT (or WITH ... SELECT) query is allowed; "
                                f"this is a {keyword} statement" + (f" ({kind})" if keyword != kind else ""))
    return statement.query


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _lock_down(con: Any, files: list[str], memory_limit: str | None, threads: int | None) -> None:
    """After the views exist: only their files readable, nothing else, and no way back."""
    settings = ["SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false"]
    if memory_limit:
        settings.append(f"SET memory_limit = '{memory_limit}'")
    if threads:
        settings.append(f"SET threads = {int(threads)}")
    if files:
        quoted = ", ".join("'" + f.replace("'", "''") + "'" for f in sorted(set(files)))
        settings.append(f"SET allowed_paths = [{quoted}]")
    settings += ["SET enable_external_access = false", "SET lock_configuration = true"]
    for statement in settings:
        con.execute(statement)


def run_query(hub: Any, sql: str, *, max_rows: int = DEFAULT_MAX_ROWS,
              timeout_s: float = DEFAULT_TIMEOUT_S, memory_limit: str | None = "2GB",
              threads: int | None = 2) -> QueryResult:
    """Run one read-only query over the catalog (see the module's rules)."""
    import duckdb

    from forecasthub.sql.catalog import build_catalog

    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or not 1 <= max_rows <= MAX_ROWS_LIMIT:
        raise InvalidInputError(f"max_rows must be an integer from 1 to {MAX_ROWS_LIMIT:,}")
    if not isinstance(timeout_s, int | float) or not 0 < timeout_s <= 3600:
        raise InvalidInputError("timeout must be more than 0 and at most 3600 seconds")
    query = check_query(sql)  # refused before the catalog is even built
    con = duckdb.connect(":memory:")
    started = time.monotonic()
    interrupted = threading.Event()

    def interrupt() -> None:
        interrupted.set()
        con.interrupt()

    timer = threading.Timer(timeout_s, interrupt)
    try:
        catalog = build_catalog(hub, con)
        _lock_down(con, catalog.files, memory_limit, threads)
        query = check_query(query, con)
        timer.daemon = True
        timer.start()
        try:
            cursor = con.execute(query)
            columns = [d[0] for d in cursor.description or []]
            types = [str(d[1]) for d in cursor.description or []]
            rows = cursor.fetchmany(max_rows + 1)
        except duckdb.Error as exc:
            if interrupted.is_set() or isinstance(exc, duckdb.InterruptException):
                raise QueryTimeoutError(f"query interrupted after {timeout_s:g} s (time limit)") from None
            raise InvalidInputError(f"query failed: {_first_line(exc)}") from None
    finally:
        timer.cancel()
        con.close()
    truncated = len(rows) > max_rows
    return QueryResult(columns, types, [tuple(r) for r in rows[:max_rows]], truncated,
                       time.monotonic() - started, sorted(catalog.tables))


def render(result: QueryResult, fmt: str) -> str:
    """The result as text: ``csv``, ``json`` (a list of records) or ``table`` (plain text)."""
    if fmt == "csv":
        return result.to_csv()
    if fmt == "json":
        return json.dumps(result.records(), indent=1)
    if fmt == "table":
        from rich.console import Console

        console = Console(record=True, width=200, file=io.StringIO())
        console.print(rich_table(result))
        return console.export_text()
    raise InvalidInputError(f"format must be one of {', '.join(FORMATS)}")


def rich_table(result: QueryResult) -> Any:
    from rich.table import Table

    table = Table(show_lines=False, caption=(f"{len(result.rows)} row(s)"
                                             + (" (truncated)" if result.truncated else "")))
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for row in result.rows:
        table.add_row(*["" if v is None else str(jsonable(v)) for v in row])
    return table

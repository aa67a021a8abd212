"""Read one import file (CSV or Parquet) into the canonical frame of a dataset.

Canonical frame: one column per schema attribute, named and ordered as the schema, typed
string -> Utf8, integer -> Int64, float -> Float64, timestamp -> Datetime(us), geolocation -> Utf8.

CSV files are read as Amazon Forecast reads them (AMAZON_FORECAST.md §1.6): delimiter ``,``, header
optional, UTF-8 (a BOM is fine), last line may lack its newline, empty field = null, ids stay
strings. A first row whose values are the schema's attribute names (any case, any order) maps the
columns by name; another first row whose timestamp (or numeric) value does not parse is skipped as
a header; otherwise columns follow the schema order. Blank lines are skipped.

Two paths: a fast one (pyarrow's multithreaded typed CSV reader, no per-row Python) that only
succeeds on clean files, and a reference one (polars, every value as text + vectorised checks
with physical line numbers) that runs when the fast one fails and raises a DataError naming the
file, the 1-based line (a header line counts) and the column of the first bad value.
"""

from __future__ import annotations

import codecs
import csv
import os
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from forecasthub.data.schema import Schema, SchemaRoles
from forecasthub.data.timestamps import (
    DATETIME,
    TimestampFormat,
    TimeZone,
    parse_checked,
    unparseable_message,
)
from forecasthub.errors import DataError, InvalidInputError

CANONICAL_DTYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "timestamp": DATETIME,
    "geolocation": pl.String(),
}
FORMATS = ("CSV", "PARQUET")
ROW = "__row"  # physical line number column of the reference path
_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "geolocation": pa.string(),
}
_GEO_RE = r"^(?:-?\d{1,3}(?:\.\d+)?_-?\d{1,3}(?:\.\d+)?|[A-Z]{2}_[A-Za-z0-9\- ]+)$"
_QUOTED_RE = r'"(?:[^"]|"")*"'
_BLOCK = 1 << 24


@dataclass(frozen=True)
class ReadSpec:
    """What every file of one import is read against."""

    schema: Schema
    roles: SchemaRoles
    timestamp_format: TimestampFormat
    explicit_format: bool  # False: the default format, also accepting dates / epoch seconds
    time_zone: TimeZone | None
    required: tuple[str, ...] = field(default=())  # attributes that may not be null

    @property
    def names(self) -> list[str]:
        return self.schema.names


def canonical_schema(schema: Schema) -> dict[str, pl.DataType]:
    """Polars dtypes of the canonical frame of ``schema``."""
    return {a.name: CANONICAL_DTYPES[a.type] for a in schema}


def empty_frame(schema: Schema) -> pl.DataFrame:
    """A canonical frame with no rows."""
    return pl.DataFrame(schema=canonical_schema(schema))


def read_file(
    path: str | os.PathLike[str],
    spec: ReadSpec,
    file_format: str = "CSV",
    *,
    name: str | None = None,
    with_rows: bool = False,
) -> pl.DataFrame:
    """Read one local file into the canonical frame (plus ``__row`` when ``with_rows``).

    ``name`` is how errors call the file (default: the path). Raises DataError for bad data.
    """
    path = os.fspath(path)
    name = name or path
    file_format = file_format.upper()
    if file_format not in FORMATS:
        raise InvalidInputError(f"Invalid Format {file_format!r}: expected CSV or PARQUET")
    _check_file_kind(path, file_format, name)
    if file_format == "PARQUET":
        frame = _read_parquet(path, spec, name)
        return frame if with_rows else frame.drop(ROW)
    first = _first_record(path)
    if first is None:
        raise DataError("the file is empty", file=name)
    has_header, columns = _detect_header(first, spec)
    skip = 1 if has_header else 0
    if not with_rows:
        fast = _read_csv_fast(path, spec, columns, skip)
        if fast is not None:
            return fast
    frame = _read_csv_reference(path, spec, columns, skip, name)
    return frame if with_rows else frame.drop(ROW)


# -- file kind and header ------------------------------------------------------------------------


def _check_file_kind(path: str, file_format: str, name: str) -> None:
    """Reject empty files and files that are not the declared format."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror}", file=name) from None
    blank = size <= len(head) and not head.strip(b"\xef\xbb\xbf \t\r\n")
    if size == 0 or (file_format == "CSV" and blank):
        raise DataError("the file is empty", file=name)
    is_parquet = head.startswith(b"PAR1")
    if file_format == "CSV":
        if is_parquet:
            raise DataError("this is a Parquet file but the import Format is CSV; "
                            "import it with Format PARQUET", file=name)
        if head.startswith((b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ")):
            raise DataError("this is a compressed archive, not a CSV file; decompress it first",
                            file=name)
        if b"\x00" in head:
            raise DataError("this is a binary file, not CSV text", file=name)
    elif not is_parquet:
        hint = " (it looks like text: use Format CSV)" if b"\x00" not in head else ""
        raise DataError(f"this is not a Parquet file{hint}", file=name)


def _first_record(path: str) -> list[str] | None:
    """Values of the first non-blank line (None for a file without any)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.split("\n"):  # only \n ends a line, as for the CSV readers
        line = line.rstrip("\r")
        if line.strip():
            return next(csv.reader([line]), None)
    return None


def _detect_header(record: list[str], spec: ReadSpec) -> tuple[bool, list[str]]:
    """Is the first row a header, and the schema name of each file column (file order)."""
    names = spec.names
    by_lower = {n.lower(): n for n in names}
    values = [v.strip().lower() for v in record]
    if len(values) == len(names) and set(values) == set(by_lower):
        return True, [by_lower[v] for v in values]
    if len(values) != len(names):
        return False, names  # the column-count check reports it
    probe = pl.DataFrame({n: [v] for n, v in zip(names, record, strict=True)}, schema={
        n: pl.String for n in names
    }).with_columns(pl.all().replace("", None))
    # A header has a name in every column and no number where the schema has one.
    if any(v is None for v in probe.row(0)):
        return False, names
    for attr in spec.schema:
        if attr.is_numeric and probe[attr.name].cast(pl.Float64, strict=False)[0] is not None:
            return False, names
    ts = spec.roles.timestamp
    if ts is not None:
        _, bad, _ = parse_checked(
            probe, ts, spec.timestamp_format if spec.explicit_format else None, spec.time_zone
        )
        return bool(bad[0]), names
    if spec.schema.of_type("integer", "float"):
        return True, names  # every numeric column holds text
    return any(v in by_lower for v in values), names


# -- fast path -----------------------------------------------------------------------------------


def _read_csv_fast(
    path: str, spec: ReadSpec, columns: list[str], skip: int
) -> pl.DataFrame | None:
    """pyarrow's typed reader; None whenever anything is off (the reference path then reports).

    Timestamps are read as text and parsed by polars: pyarrow's strptime parser silently rolls
    invalid dates over (2020-02-30 -> 2020-03-01).
    """
    types = {
        a.name: pa.string() if a.type == "timestamp" else _ARROW_TYPES[a.type] for a in spec.schema
    }
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=skip, block_size=_BLOCK),
            parse_options=pacsv.ParseOptions(delimiter=","),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=spec.names,
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    ts = spec.roles.timestamp
    if ts is not None:
        parsed, bad, _ = parse_checked(
            frame, ts, spec.timestamp_format if spec.explicit_format else None, spec.time_zone
        )
        if bad.any():
            return None
        frame = frame.with_columns(parsed.alias(ts))
    checks = [pl.col(c).null_count() for c in spec.required]
    checks += [
        (~pl.col(a.name).str.contains(_GEO_RE)).sum().alias(a.name)
        for a in spec.schema.of_type("geolocation")
    ]
    if checks and any(v for v in frame.select(checks).row(0)):
        return None
    return frame


# -- reference path ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class _Issue:
    row: int
    position: int  # column position, to break ties left to right
    column: str | None
    message: str


def _read_csv_reference(
    path: str, spec: ReadSpec, columns: list[str], skip: int, name: str
) -> pl.DataFrame:
    """Every value as text, vectorised checks, exact line numbers; DataError on the first issue."""
    _check_utf8(path, name, columns)
    n = len(columns)
    issues: list[_Issue] = []
    lines = pl.read_csv(
        path, has_header=False, separator="\x00", quote_char=None,
        schema={"line": pl.String}, truncate_ragged_lines=True, empty_string_is_null=False,
    ).with_row_index(ROW, offset=1)
    lines = lines.slice(_physical_skip(lines, skip))
    widths = lines.filter(pl.col("line").str.strip_chars().str.len_bytes() > 0).select(
        ROW,
        width=pl.col("line").str.replace_all(_QUOTED_RE, "").str.count_matches(",", literal=True)
        + 1,
    )
    wrong = widths.filter(pl.col("width") != n).head(1)
    if wrong.height:
        row, width = wrong.row(0)
        # name the first missing attribute, or the first column beyond the schema ("#4")
        column = columns[width] if width < n else f"#{n + 1}"
        message = (f"expected {n} columns (one per schema attribute: {', '.join(spec.names)}), "
                   f"found {width}")
        issues.append(_Issue(row, -1, column, message))
    generic = [f"__c{i}" for i in range(n)]
    first_line = int(lines[ROW][0]) if lines.height else 1
    raw = pl.read_csv(
        path, has_header=False, schema={c: pl.String for c in generic},
        skip_lines=first_line - 1, truncate_ragged_lines=True, extra_columns="ignore",
        missing_columns="insert",
        encoding="utf8-lossy",
    )
    raw = (
        raw.rename(dict(zip(generic, columns, strict=True)))
        .with_row_index(ROW, offset=first_line)
        .select([ROW, *spec.names])
        .with_columns([pl.col(c).replace("", None) for c in spec.names])
        .filter(~pl.all_horizontal([pl.col(c).is_null() for c in spec.names]))
    )
    return convert_columns(raw, spec, name, issues)


def _physical_skip(lines: pl.DataFrame, skip: int) -> int:
    """Lines to skip so that ``skip`` non-blank rows (the header) are passed over."""
    if skip == 0:
        return 0
    nonblank = lines.with_row_index("i").filter(
        pl.col("line").str.strip_chars().str.len_bytes() > 0
    )
    if nonblank.height < skip:
        return lines.height
    return int(nonblank["i"][skip - 1]) + 1


def _check_utf8(path: str, name: str, columns: list[str]) -> None:
    """DataError at the first byte that is not UTF-8, naming its line and column."""
    line = 1
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_BLOCK)
            if not chunk:
                return
            chunk += fh.readline()  # end the chunk at a line boundary
            try:
                codecs.decode(chunk, "utf-8")
            except UnicodeDecodeError as exc:
                pos = exc.start
                start = chunk.rfind(b"\n", 0, pos) + 1
                index = chunk.count(b",", start, pos)
                column = columns[index] if index < len(columns) else None
                bad = chunk[pos : pos + 4]
                raise DataError(
                    f"the file is not UTF-8 text (invalid byte {bad[:1]!r} after "
                    f"{chunk[start:pos][-20:].decode('utf-8', 'replace')!r}); save it as UTF-8",
                    file=name, row=line + chunk.count(b"\n", 0, pos), column=column,
                ) from None
            line += chunk.count(b"\n")


def convert_columns(
    raw: pl.DataFrame, spec: ReadSpec, name: str, issues: list[_Issue] | None = None
) -> pl.DataFrame:
    """Cast ``raw`` (``__row`` + one column per attribute, any dtypes) to the canonical dtypes.

    Raises DataError for the first (lowest row) issue among ``issues`` and every failed cast,
    missing required value or bad geolocation.
    """
    issues = list(issues or [])
    out: dict[str, pl.Series] = {}
    for pos, attr in enumerate(spec.schema):
        col = raw[attr.name]
        present = col.is_not_null()
        if attr.type == "timestamp":
            parsed, bad, used = parse_checked(
                raw, attr.name, spec.timestamp_format if spec.explicit_format else None,
                spec.time_zone,
            )
            _first_issue(issues, raw, bad, pos, attr.name,
                         lambda v, used=used: unparseable_message(v, used))
            out[attr.name] = parsed
            continue
        if attr.type in ("string", "geolocation"):
            converted = col.cast(pl.String)
            if attr.type == "geolocation":
                bad = present & ~converted.str.contains(_GEO_RE).fill_null(True)
                _first_issue(issues, raw, bad, pos, attr.name, lambda v: (
                    f"invalid geolocation {v!r}; expected LAT_LONG such as '47.61_-122.33' "
                    "or CC_POSTALCODE such as 'US_98121'"))
        elif attr.type == "integer":
            converted = _to_int(col)
            bad = present & converted.is_null()
            _first_issue(issues, raw, bad, pos, attr.name, _integer_message)
        else:
            converted = col.cast(pl.Float64, strict=False) if col.dtype != pl.Boolean else None
            if converted is None:
                converted = col.cast(pl.Float64)
            bad = present & converted.is_null()
            _first_issue(issues, raw, bad, pos, attr.name,
                         lambda v: f"expected a number, found {v!r}")
        out[attr.name] = converted
    for attr_name in spec.required:
        missing = raw[attr_name].is_null()
        _first_issue(issues, raw, missing, spec.names.index(attr_name), attr_name,
                     lambda v, a=attr_name: f"missing value for required attribute {a!r}")
    if issues:
        first = min(issues)
        raise DataError(first.message, file=name, row=first.row, column=first.column)
    return pl.DataFrame({ROW: raw[ROW], **out})


def _to_int(col: pl.Series) -> pl.Series:
    """Int64 values; null where the value is not a whole number."""
    if col.dtype.is_integer():
        return col.cast(pl.Int64, strict=False)
    if col.dtype.is_float():
        frame = pl.DataFrame({"v": col, "w": (col.is_finite() & (col == col.round(0)))})
        return frame.select(
            pl.when(pl.col("w")).then(pl.col("v").cast(pl.Int64, strict=False)).alias(col.name)
        ).to_series()
    return col.cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)


def _integer_message(value: object) -> str:
    try:
        float(str(value))
    except ValueError:
        return f"expected an integer, found {value!r}"
    return (f"expected an integer, found {value!r}: decimals are not allowed in an integer "
            "attribute (declare it float)")


def _first_issue(issues, raw, mask, pos, column, message) -> None:  # type: ignore[no-untyped-def]
    """Record the first row where ``mask`` holds."""
    if not mask.any():
        return
    index = int(mask.arg_true()[0])
    issues.append(_Issue(int(raw[ROW][index]), pos, column, message(raw[column][index])))


# -- Parquet -------------------------------------------------------------------------------------


def _read_parquet(path: str, spec: ReadSpec, name: str) -> pl.DataFrame:
    """Columns by name (case-insensitive) when all schema names are there, else by position."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read the Parquet file: {exc}", file=name) from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    by_lower = {c.lower(): c for c in frame.columns}
    if all(n.lower() in by_lower for n in spec.names):
        frame = frame.select([pl.col(by_lower[n.lower()]).alias(n) for n in spec.names])
    elif frame.width == len(spec.names):
        frame = frame.rename(dict(zip(frame.columns, spec.names, strict=True)))
    else:
        missing = [n for n in spec.names if n.lower() not in by_lower]
        raise DataError(
            f"the Parquet file has columns {frame.columns}; the schema needs "
            f"{spec.names} (missing: {', '.join(missing)})", file=name,
        )
    frame = frame.with_columns(
        [pl.col(c).cast(pl.String) for c, t in frame.schema.items()
         if isinstance(t, (pl.Categorical, pl.Enum))]
    ).with_row_index(ROW, offset=1)
    return convert_columns(frame, spec, name)


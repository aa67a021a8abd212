"""Dataset import: files -> one validated, sorted canonical frame -> Parquet.

Entry points for the service layer:

* :func:`list_import_files` -- the files of a local file or folder (recursive, hidden files and
  ``_SUCCESS``-style markers skipped, at most 10,000).
* :func:`read_import_files` -- read and validate them into the canonical frame, sorted by
  (item id, dimensions, timestamp); DataError names the file, row and column of bad data.
* :func:`write_canonical` / :func:`read_canonical` -- the stored Parquet of a dataset version.
* :func:`merge_incremental` -- ImportMode INCREMENTAL upsert (FULL simply replaces).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Literal

import polars as pl

from forecasthub.data.reader import FORMATS, ROW, ReadSpec, empty_frame, read_file
from forecasthub.data.schema import (
    ITEM_METADATA,
    RELATED_TIME_SERIES,
    Schema,
    SchemaRoles,
    schema_roles,
)
from forecasthub.data.timestamps import time_zone as parse_time_zone
from forecasthub.data.timestamps import timestamp_format as parse_timestamp_format
from forecasthub.errors import DataError, InvalidInputError

MAX_FILES = 10_000
SCHEMA_METADATA_KEY = "forecasthub.schema"
PARQUET_COMPRESSION: Literal["snappy"] = "snappy"


def list_import_files(path: str | os.PathLike[str]) -> list[str]:
    """The data files of a local file or folder, sorted; InvalidInputError when there are none.

    Folders are walked recursively; names starting with ``.`` or ``_`` (``_SUCCESS``,
    ``_committed_...``, ``.crc`` files) are skipped, as are folders so named.
    """
    root = Path(path)
    if root.is_file():
        return [str(root)]
    if not root.is_dir():
        raise InvalidInputError(f"Import path {str(path)!r} does not exist")
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for f in sorted(filenames):
            if f.startswith((".", "_")) or f.endswith(".crc"):
                continue
            files.append(os.path.join(dirpath, f))
            if len(files) > MAX_FILES:
                raise InvalidInputError(
                    f"Import path {str(path)!r} holds more than {MAX_FILES:,} files; "
                    "split the import"
                )
    if not files:
        raise InvalidInputError(f"Import path {str(path)!r} contains no data files")
    return files


def read_spec(
    schema: Schema,
    dataset_type: str,
    timestamp_format: str | None = None,
    time_zone: str | None = None,
    domain: str | None = None,
) -> ReadSpec:
    """Validate import parameters into the ReadSpec every file is read against."""
    schema.validate_for_type(dataset_type)
    roles = schema_roles(schema, dataset_type, domain)
    required = tuple(c for c in (roles.item_id, roles.timestamp) if c)
    return ReadSpec(
        schema=schema,
        roles=roles,
        timestamp_format=parse_timestamp_format(timestamp_format),
        explicit_format=timestamp_format is not None,
        time_zone=parse_time_zone(time_zone),
        required=required,
    )


def read_import_files(
    files: Sequence[str | os.PathLike[str]],
    schema: Schema,
    dataset_type: str,
    fmt: str = "CSV",
    timestamp_format: str | None = None,
    time_zone: str | None = None,
    *,
    domain: str | None = None,
    display_names: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Read local ``files`` into the canonical frame of one dataset version.

    Columns are the schema's attribute names in schema order with canonical dtypes; rows are
    sorted by (item id, dimensions, timestamp). Duplicate (key, timestamp) rows are an error in a
    RELATED_TIME_SERIES, duplicate item ids in ITEM_METADATA; TARGET_TIME_SERIES duplicates are kept
    (aggregation handles them). ``display_names`` are how errors name the files (e.g. their
    s3:// or file:// URLs); default the paths.
    """
    fmt = (fmt or "CSV").upper()
    if fmt not in FORMATS:
        raise InvalidInputError(f"Invalid Format {fmt!r}: expected CSV or PARQUET")
    if not files:
        raise InvalidInputError("The import has no files")
    if len(files) > MAX_FILES:
        raise InvalidInputError(f"An import takes at most {MAX_FILES:,} files, got {len(files):,}")
    names = [str(n) for n in display_names] if display_names else [os.fspath(f) for f in files]
    if len(names) != len(files):
        raise InvalidInputError("display_names must name every file")
    spec = read_spec(schema, dataset_type, timestamp_format, time_zone, domain)
    frames = [read_file(f, spec, fmt, name=n) for f, n in zip(files, names, strict=True)]
    frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical", rechunk=False)
    if frame.height == 0:
        raise DataError(
            "the import contains no data rows", file=names[0] if len(names) == 1 else None
        )
    frame = sort_canonical(frame, spec.roles)
    if dataset_type in (RELATED_TIME_SERIES, ITEM_METADATA):
        _check_unique(frame, spec, dataset_type, files, names, fmt)
    return frame


def is_sorted(frame: pl.DataFrame, columns: list[str]) -> bool:
    """True when ``frame`` is in lexicographic order of ``columns`` (no nulls assumed)."""
    first = frame[columns[0]]
    if len(columns) == 1:
        return first.is_sorted()
    if len(columns) == 2:
        # the key is sorted, and wherever the second column goes down the key changes
        if not first.is_sorted():
            return False
        second = pl.col(columns[1])
        down = frame.select((second < second.shift(1)).arg_true()).to_series()
        if down.len() == 0:
            return True
        return bool((first.gather(down) != first.gather(down - 1)).all())
    return bool(frame.select(_sorted_expr(columns)).item())


def _sorted_expr(columns: list[str]) -> pl.Expr:
    """True when consecutive rows are in lexicographic order of ``columns``."""
    last = pl.col(columns[-1])
    ok = last <= last.shift(-1)
    for c in reversed(columns[:-1]):
        col, nxt = pl.col(c), pl.col(c).shift(-1)
        ok = (col < nxt) | ((col == nxt) & ok)
    return ok.fill_null(True).all()


def sort_canonical(frame: pl.DataFrame, roles: SchemaRoles) -> pl.DataFrame:
    """Sort by (item id, dimensions, timestamp), skipping the sort when already in order."""
    columns = [c for c in roles.sort_columns if c in frame.columns]
    if not columns or frame.height < 2:
        return frame
    has_nulls = any(frame[c].null_count() for c in columns)
    if has_nulls or not is_sorted(frame, columns):
        order = None if has_nulls else _sort_order(frame, columns)
        if order is None:
            frame = frame.sort(columns, nulls_last=False, maintain_order=True)
        else:
            frame = frame[order]
    return frame.with_columns(pl.col(columns[0]).set_sorted())


def _sort_order(frame: pl.DataFrame, columns: list[str]) -> pl.Series | None:
    """Stable row order by ``columns`` through one Int64 key, or None if it cannot be built.

    Each key column becomes the rank of its value among the column's distinct values (a hash
    lookup), the timestamp an offset in seconds (or microseconds); all fit one Int64 whenever the
    product of the ranges does. Sorting that key is several times faster than polars' sort on
    string columns (10M shuffled rows: about 2 s instead of 7 to 10 s on two cores).
    """
    key: pl.Series | None = None
    span_total = 1
    for name in columns:
        col = frame[name]
        if col.dtype.is_temporal() or col.dtype.is_integer():
            values = col.cast(pl.Int64)
            lo, hi = values.min(), values.max()
            assert isinstance(lo, int) and isinstance(hi, int)
            unit = 1_000_000 if col.dtype.is_temporal() and bool(
                (values % 1_000_000 == 0).all()) else 1
            span = (hi - lo) // unit + 1
            codes = (values - lo) // unit
        else:
            distinct = col.unique().sort()
            span = distinct.len()
            codes = col.replace_strict(
                distinct, pl.int_range(0, span, dtype=pl.Int64, eager=True), return_dtype=pl.Int64
            )
        span_total *= span
        if span_total >= 2**62:
            return None
        key = codes if key is None else key * span + codes
    if key is None:
        return None
    return key.to_frame("k").select(pl.arg_sort_by("k", maintain_order=True)).to_series()


def _check_unique(
    frame: pl.DataFrame,
    spec: ReadSpec,
    dataset_type: str,
    files: Sequence[str | os.PathLike[str]],
    names: list[str],
    fmt: str,
) -> None:
    """DataError for the first repeated key (frame sorted by it), naming where it repeats."""
    keys = spec.roles.sort_columns if dataset_type == RELATED_TIME_SERIES else (
        [spec.roles.item_id] if spec.roles.item_id else []
    )
    if not keys or frame.height < 2:
        return
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(c).shift(1)) for c in keys])
    dup = frame.select(same.fill_null(False).arg_true().first()).item()
    if dup is None:
        return
    values = frame.row(int(dup), named=True)
    where = _locate(values, keys, spec, files, names, fmt)
    described = ", ".join(f"{k}={values[k]!s}" for k in keys)
    what = ("one row per item (and dimensions) and timestamp" if dataset_type ==
            RELATED_TIME_SERIES else "one row per item")
    first = f" (first at file {where[0][0]} row {where[0][1]})" if len(where) > 1 else ""
    file, row = where[-1] if where else (None, None)
    raise DataError(
        f"duplicate row for {described}{first}; a {dataset_type} allows {what}",
        file=file, row=row, column=keys[-1],
    )


def _locate(
    values: dict[str, object],
    keys: list[str],
    spec: ReadSpec,
    files: Sequence[str | os.PathLike[str]],
    names: list[str],
    fmt: str,
) -> list[tuple[str, int]]:
    """(file, row) of the first two rows carrying ``values`` in ``keys`` (error path only)."""
    found: list[tuple[str, int]] = []
    match = pl.all_horizontal([pl.col(k).eq_missing(pl.lit(values[k])) for k in keys])
    for f, n in zip(files, names, strict=True):
        rows = read_file(f, spec, fmt, name=n, with_rows=True).filter(match)[ROW].head(2)
        found += [(n, int(r)) for r in rows]
        if len(found) >= 2:
            break
    return found[:2]


def write_canonical(
    frame: pl.DataFrame, path: str | os.PathLike[str] | IO[bytes], schema: Schema | None = None
) -> None:
    """Write the canonical Parquet of a dataset version to a local path or binary file object.

    The schema JSON, when given, is kept in the file's key-value metadata. The caller makes the
    write atomic (temporary path, then commit).
    """
    metadata = {SCHEMA_METADATA_KEY: schema.to_json()} if schema is not None else None
    target = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
    frame.write_parquet(target, compression=PARQUET_COMPRESSION, statistics=True,
                        metadata=metadata)


def read_canonical(path: str | os.PathLike[str] | IO[bytes], schema: Schema | None = None
                   ) -> pl.DataFrame:
    """Read a stored dataset version (an empty canonical frame when the schema says no rows)."""
    frame = pl.read_parquet(os.fspath(path) if isinstance(path, os.PathLike) else path)
    if schema is not None and frame.height == 0:
        return empty_frame(schema)
    return frame


def merge_incremental(
    previous: pl.DataFrame, new: pl.DataFrame, key_columns: Sequence[str]
) -> pl.DataFrame:
    """ImportMode INCREMENTAL: upsert ``new`` into ``previous`` on ``key_columns``; new wins.

    ``key_columns`` is the full row key, e.g. item id, dimensions and timestamp. Every row of
    ``previous`` whose key appears in ``new`` is replaced by the rows of ``new`` with that key;
    the result is sorted by the key. (ImportMode FULL simply replaces the data.)
    """
    keys = list(key_columns)
    if previous.columns != new.columns:
        raise InvalidInputError(
            f"Incremental import columns {new.columns} differ from the dataset's "
            f"{previous.columns}"
        )
    missing = [k for k in keys if k not in new.columns]
    if missing:
        raise InvalidInputError(f"Key columns not in the data: {', '.join(missing)}")
    new = new.cast(previous.schema)  # type: ignore[arg-type]
    kept = previous.join(new.select(keys).unique(), on=keys, how="anti", nulls_equal=True)
    merged = pl.concat([kept, new], how="vertical")
    return merged.sort(keys, maintain_order=True) if keys else merged

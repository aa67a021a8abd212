"""FieldStatistics and the import summary, in Amazon Forecast's shapes (AMAZON_FORECAST.md §1.6).

Per attribute: ``Count`` (non-null values), ``CountDistinct`` (distinct non-null values),
``CountNull``; numeric attributes add ``CountNan``, ``Min``/``Max`` (strings such as ``'0.0'``),
``Avg`` and ``Stddev`` (sample standard deviation; NaN values excluded); timestamps add ``Min``/
``Max`` like ``'2014-01-01T01:00:00Z'``. Counts above 2^31-1 are reported as -1 with the exact
value in the ``...Long`` twin, as Amazon does.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import polars as pl

from forecasthub.data.schema import Schema, schema_roles
from forecasthub.data.timestamps import format_iso

_INT32_MAX = 2**31 - 1
_SEP = "\x1f"


def _count(stats: dict[str, Any], key: str, value: int) -> None:
    if value > _INT32_MAX:
        stats[key] = -1
        stats[f"{key}Long"] = value
    else:
        stats[key] = value


def _number_text(value: Any, integer: bool) -> str | None:
    if value is None:
        return None
    return str(int(value)) if integer else repr(float(value))


def _float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def field_statistics(frame: pl.DataFrame, schema: Schema) -> dict[str, dict[str, Any]]:
    """Amazon's FieldStatistics map (attribute -> statistics) of a canonical frame."""
    exprs: list[pl.Expr] = []
    for attr in schema:
        c = pl.col(attr.name)
        key = attr.name + _SEP
        exprs += [
            c.count().alias(key + "Count"),
            c.null_count().alias(key + "CountNull"),
            c.drop_nulls().n_unique().alias(key + "CountDistinct"),
        ]
        if attr.is_numeric or attr.type == "timestamp":
            values = c.fill_nan(None) if attr.type == "float" else c
            exprs += [values.min().alias(key + "Min"), values.max().alias(key + "Max")]
        if attr.is_numeric:
            values = c.fill_nan(None) if attr.type == "float" else c
            nan = c.is_nan().sum() if attr.type == "float" else pl.lit(0, pl.UInt32)
            exprs += [
                nan.alias(key + "CountNan"),
                values.mean().alias(key + "Avg"),
                values.std().alias(key + "Stddev"),
            ]
    row = frame.select(exprs).row(0, named=True) if exprs else {}
    result: dict[str, dict[str, Any]] = {}
    for attr in schema:
        key = attr.name + _SEP
        stats: dict[str, Any] = {}
        for name in ("Count", "CountDistinct", "CountNull"):
            _count(stats, name, int(row[key + name]))
        if attr.is_numeric:
            _count(stats, "CountNan", int(row[key + "CountNan"]))
            integer = attr.type == "integer"
            stats["Min"] = _number_text(row[key + "Min"], integer)
            stats["Max"] = _number_text(row[key + "Max"], integer)
            stats["Avg"] = _float(row[key + "Avg"])
            stats["Stddev"] = _float(row[key + "Stddev"])
        elif attr.type == "timestamp":
            lo, hi = row[key + "Min"], row[key + "Max"]
            stats["Min"] = format_iso(lo) if isinstance(lo, datetime) else None
            stats["Max"] = format_iso(hi) if isinstance(hi, datetime) else None
        result[attr.name] = {k: v for k, v in stats.items() if v is not None}
    return result


def import_summary(
    frame: pl.DataFrame,
    schema: Schema,
    dataset_type: str,
    *,
    domain: str | None = None,
    input_bytes: int | None = None,
) -> dict[str, Any]:
    """Rows, series count, first/last timestamp and DataSize (GB) of an imported dataset.

    ``DataSize`` is the size of the imported files (``input_bytes``) in GiB, as Amazon reports it;
    without ``input_bytes`` it is the in-memory size of the frame.
    """
    roles = schema_roles(schema, dataset_type, domain)
    keys = roles.key_columns
    summary: dict[str, Any] = {"Rows": frame.height}
    exprs: list[pl.Expr] = []
    if keys:
        exprs.append(pl.struct(keys).n_unique().alias("series") if len(keys) > 1
                     else pl.col(keys[0]).n_unique().alias("series"))
    if roles.timestamp:
        ts = pl.col(roles.timestamp)
        exprs += [ts.min().alias("first"), ts.max().alias("last")]
    row = frame.select(exprs).row(0, named=True) if exprs and frame.height else {}
    summary["SeriesCount"] = int(row.get("series", 0)) if keys else None
    first, last = row.get("first"), row.get("last")
    summary["FirstTimestamp"] = format_iso(first) if isinstance(first, datetime) else None
    summary["LastTimestamp"] = format_iso(last) if isinstance(last, datetime) else None
    size = input_bytes if input_bytes is not None else frame.estimated_size()
    summary["DataSize"] = round(size / 1024**3, 6)
    return summary

"""Frequency alignment: which forecast bucket each timestamp falls in (AMAZON_FORECAST.md §1.7).

A bucket is labelled by its start. Single-unit buckets follow the calendar and the
TimeAlignmentBoundary (``DayOfWeek`` for W, default MONDAY; ``DayOfMonth`` 1-28 for M, default 1;
``Month`` for Y, default JANUARY; ``Hour`` 0-23 for D, default 0). Multi-unit buckets (``3D``,
``2W``, ``3M``, ``15min``) are anchored at the bucket of the dataset's first timestamp and run
every n units from there, as Amazon's Custom_Frequency_Forecast output shows (data from
2017-12-01 -> ``3D`` points 2019-02-03, 02-06 ...; ``3M`` -> 2019-03-01).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from forecasthub.data.frequency import WEEKDAYS, Frequency, parse_frequency, step_grid
from forecasthub.errors import InvalidInputError

MONTHS: tuple[str, ...] = (
    "JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER",
    "OCTOBER", "NOVEMBER", "DECEMBER",
)
_BOUNDARY_KEY = {"Y": "Month", "M": "DayOfMonth", "W": "DayOfWeek", "D": "Hour"}
_US_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class Boundary:
    """A validated TimeAlignmentBoundary (all fields set, defaults where not given)."""

    month: int = 1  # 1-12, for Y
    day_of_month: int = 1  # 1-28, for M
    weekday: int = 0  # 0 = Monday, for W
    hour: int = 0  # 0-23, for D

    @property
    def week_start(self) -> str:
        return WEEKDAYS[self.weekday]


def time_alignment_boundary(
    value: Mapping[str, Any] | None, frequency: Frequency | str
) -> Boundary:
    """Validate Amazon's TimeAlignmentBoundary for a forecast frequency."""
    freq = parse_frequency(frequency)
    if not value:
        return Boundary()
    allowed = _BOUNDARY_KEY.get(freq.unit)
    unknown = [k for k in value if k not in ("Month", "DayOfMonth", "DayOfWeek", "Hour")]
    if unknown:
        raise InvalidInputError(f"Unknown TimeAlignmentBoundary field(s): {', '.join(unknown)}")
    wrong = [k for k in value if k != allowed]
    if wrong:
        need = f"only {allowed}" if allowed else "no TimeAlignmentBoundary"
        raise InvalidInputError(
            f"TimeAlignmentBoundary {', '.join(wrong)} does not apply to frequency {freq}; "
            f"{freq.unit} takes {need}"
        )
    assert allowed is not None  # every key was rejected above when the unit takes none
    raw = value[allowed]
    if allowed == "Month":
        name = str(raw).upper()
        if name not in MONTHS:
            raise InvalidInputError(f"Invalid TimeAlignmentBoundary Month {raw!r}: use JANUARY...")
        return Boundary(month=MONTHS.index(name) + 1)
    if allowed == "DayOfWeek":
        name = str(raw).upper()
        if name not in WEEKDAYS:
            raise InvalidInputError(
                f"Invalid TimeAlignmentBoundary DayOfWeek {raw!r}: use MONDAY ... SUNDAY"
            )
        return Boundary(weekday=WEEKDAYS.index(name))
    number = _int(raw, allowed)
    if allowed == "DayOfMonth":
        if not 1 <= number <= 28:
            raise InvalidInputError(f"TimeAlignmentBoundary DayOfMonth must be 1-28, got {raw!r}")
        return Boundary(day_of_month=number)
    if not 0 <= number <= 23:
        raise InvalidInputError(f"TimeAlignmentBoundary Hour must be 0-23, got {raw!r}")
    return Boundary(hour=number)


def _int(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"TimeAlignmentBoundary {name} must be a number, got {value!r}"
        ) from None
    if str(number) != str(value).strip() and number != value:
        raise InvalidInputError(f"TimeAlignmentBoundary {name} must be a whole number")
    return number


def _unit_start(expr: pl.Expr, freq: Frequency, b: Boundary) -> pl.Expr:
    """Start of the single-unit period (minute, hour, day, week) containing ``expr``."""
    if freq.unit == "min":
        return expr.dt.truncate("1m")
    if freq.unit == "H":
        return expr.dt.truncate("1h")
    shifted = expr - pl.duration(hours=b.hour) if freq.unit == "D" else expr
    day = shifted.dt.truncate("1d")
    if freq.unit == "D":
        return day + pl.duration(hours=b.hour)
    back = (expr.dt.weekday() - 1 - b.weekday) % 7  # polars weekday: Monday = 1
    return day - pl.duration(days=back)


def _month_index(expr: pl.Expr, freq: Frequency, b: Boundary) -> pl.Expr:
    """Calendar index (year * 12 + month - 1, or the year) of the M/Y period holding ``expr``."""
    if freq.unit == "M":
        index = expr.dt.year().cast(pl.Int64) * 12 + expr.dt.month().cast(pl.Int64) - 1
        return index - (expr.dt.day() < b.day_of_month).cast(pl.Int64)
    return expr.dt.year().cast(pl.Int64) - (expr.dt.month() < b.month).cast(pl.Int64)


def anchor(first: datetime, frequency: Frequency | str, boundary: Boundary) -> datetime:
    """Start of the bucket holding the dataset's first timestamp (multi-unit buckets start here)."""
    freq = parse_frequency(frequency)
    frame = pl.DataFrame({"t": [first]}, schema={"t": pl.Datetime("us")})
    if freq.is_fixed:
        return frame.select(_unit_start(pl.col("t"), freq, boundary)).item()
    index = frame.select(_month_index(pl.col("t"), freq, boundary)).item()
    return _from_index(index, freq, boundary)


def _from_index(index: int, freq: Frequency, b: Boundary) -> datetime:
    if freq.unit == "M":
        return datetime(index // 12, index % 12 + 1, b.day_of_month)
    return datetime(index, b.month, 1)


def bucket_expr(
    column: str, frequency: Frequency | str, boundary: Boundary, start: datetime
) -> pl.Expr:
    """Bucket start (Datetime us) of each timestamp in ``column``; ``start`` from :func:`anchor`."""
    freq = parse_frequency(frequency)
    t = pl.col(column).cast(pl.Datetime("us"))
    if freq.is_fixed:
        step = freq.step_minutes * _US_PER_MINUTE
        origin = pl.lit(start, pl.Datetime("us")).cast(pl.Int64)
        offset = t.cast(pl.Int64) - origin
        return ((offset // step) * step + origin).cast(pl.Datetime("us"))
    origin_index = pl.DataFrame({"t": [start]}, schema={"t": pl.Datetime("us")}).select(
        _month_index(pl.col("t"), freq, boundary)
    ).item()
    n = freq.n
    index = (_month_index(t, freq, boundary) - origin_index) // n * n + origin_index
    if freq.unit == "M":
        return pl.datetime(index // 12, index % 12 + 1, boundary.day_of_month, time_unit="us")
    return pl.datetime(index, boundary.month, 1, time_unit="us")


def polars_interval(frequency: Frequency | str) -> str:
    """Polars interval string of one step: ``15m``, ``3h``... ``3mo``, ``1y``."""
    freq = parse_frequency(frequency)
    if freq.is_fixed:
        return f"{freq.step_minutes}m"
    return f"{freq.months}mo"


def advance(start: datetime, steps: int, frequency: Frequency | str) -> datetime:
    """The bucket ``steps`` periods after the bucket starting at ``start``."""
    grid = step_grid(np.datetime64(start, "us"), steps + 1, frequency)
    return grid[-1].astype("datetime64[us]").astype(datetime)


def future_timestamps(
    history_end: datetime, horizon: int, frequency: Frequency | str
) -> list[datetime]:
    """The ``horizon`` forecast bucket starts after the last history bucket ``history_end``."""
    grid = step_grid(np.datetime64(history_end, "us"), horizon + 1, frequency)[1:]
    return [x.astype("datetime64[us]").astype(datetime) for x in grid]


def step_timedelta(frequency: Frequency | str) -> timedelta | None:
    """Fixed step as a timedelta (None for months and years)."""
    freq = parse_frequency(frequency)
    return timedelta(minutes=freq.step_minutes) if freq.is_fixed else None

"""Amazon Forecast frequencies: ``Y``, ``M`` (1-11), ``W`` (1-4), ``D`` (1-6), ``H`` (1-23),
``min`` (1-59), written ``<n><unit>`` (``3D``, ``2W``, ``15min``; ``n`` defaults to 1).

Validation, pandas offset aliases, season lengths, ordering and inference from timestamps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import total_ordering

import numpy as np
import polars as pl

from forecasthub.errors import InvalidInputError

UNITS: tuple[str, ...] = ("min", "H", "D", "W", "M", "Y")  # finest first
MAX_MULTIPLE: dict[str, int] = {"min": 59, "H": 23, "D": 6, "W": 4, "M": 11, "Y": 1}
# Nominal length in minutes, used only for ordering (a month is 30 days, a year 365).
_MINUTES: dict[str, int] = {
    "min": 1, "H": 60, "D": 1440, "W": 10080, "M": 43200, "Y": 525600,
}
# Seasonal period in base units: a day of minutes, a day of hours, a week of days, a year of
# weeks or months; yearly data has no seasonality.
_SEASON_BASE: dict[str, int] = {"min": 1440, "H": 24, "D": 7, "W": 52, "M": 12, "Y": 1}
_FREQ_RE = re.compile(r"^\s*(\d+)?\s*(min|Y|M|W|D|H)\s*$")
WEEKDAYS: tuple[str, ...] = (
    "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY",
)


@total_ordering
@dataclass(frozen=True)
class Frequency:
    """A validated Amazon frequency: ``n`` units of ``unit``. Ordered from fine to coarse."""

    n: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in MAX_MULTIPLE:
            raise InvalidInputError(
                f"Invalid frequency unit {self.unit!r}: expected one of {', '.join(UNITS)}"
            )
        top = MAX_MULTIPLE[self.unit]
        if not 1 <= self.n <= top:
            raise InvalidInputError(
                f"Invalid frequency {self.n}{self.unit}: {self.unit} takes a multiple from 1 "
                f"to {top} (use the next larger unit instead)"
            )

    def __str__(self) -> str:
        return self.unit if self.n == 1 else f"{self.n}{self.unit}"

    @property
    def minutes(self) -> int:
        """Nominal length in minutes (months 30 days, years 365) for ordering."""
        return self.n * _MINUTES[self.unit]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Frequency):
            return NotImplemented
        return (self.minutes, UNITS.index(self.unit)) < (other.minutes, UNITS.index(other.unit))

    def is_finer_than(self, other: Frequency | str) -> bool:
        """True if this frequency has shorter periods than ``other``."""
        return self < parse_frequency(other)

    @property
    def is_fixed(self) -> bool:
        """True for units of fixed length (min, H, D, W); months and years vary."""
        return self.unit in ("min", "H", "D", "W")

    @property
    def step_minutes(self) -> int:
        """Exact period in minutes; only for fixed-length units."""
        if not self.is_fixed:
            raise InvalidInputError(f"Frequency {self} has no fixed length")
        return self.minutes

    @property
    def months(self) -> int:
        """Period in months; only for M and Y."""
        if self.unit == "M":
            return self.n
        if self.unit == "Y":
            return 12 * self.n
        raise InvalidInputError(f"Frequency {self} is not counted in months")

    def pandas_alias(self, week_start: str = "MONDAY") -> str:
        """pandas offset alias: ``h``, ``3D``, ``15min``, ``W-MON``, ``2W-FRI``, ``MS``, ``YS``.

        Weekly periods are labelled by their first day (``week_start``), months and years by
        their first day, as Amazon Forecast dates them.
        """
        prefix = "" if self.n == 1 else str(self.n)
        if self.unit == "W":
            day = week_start.upper()
            if day not in WEEKDAYS:
                raise InvalidInputError(f"Invalid DayOfWeek {week_start!r}")
            return f"{prefix}W-{day[:3]}"
        suffix = {"min": "min", "H": "h", "D": "D", "M": "MS", "Y": "YS"}[self.unit]
        return prefix + suffix

    @property
    def season_length(self) -> int:
        """Seasonal period in steps: H 24, D 7, W 52, M 12, Y 1, min a day (1440 / n).

        Multiples divide the base period (``2H`` 12, ``3M`` 4), rounded, at least 1.
        """
        return max(1, round(_SEASON_BASE[self.unit] / self.n))


def parse_frequency(value: str | Frequency) -> Frequency:
    """Parse and validate ``Y``, ``M``, ``3D``, ``15min`` ... (InvalidInputError when invalid)."""
    if isinstance(value, Frequency):
        return value
    if not isinstance(value, str):
        raise InvalidInputError(f"Frequency must be text such as 'D' or '15min', got {value!r}")
    m = _FREQ_RE.match(value)
    if not m:
        raise InvalidInputError(
            f"Invalid frequency {value!r}: expected Y, M, W, D, H or min with an optional "
            "multiple, e.g. 'D', '3D', '2W', '15min'"
        )
    return Frequency(int(m.group(1) or 1), m.group(2))


def is_finer(a: str | Frequency, b: str | Frequency) -> bool:
    """True if frequency ``a`` is strictly finer than ``b`` (``H`` is finer than ``D``)."""
    return parse_frequency(a) < parse_frequency(b)


def _from_minutes(minutes: int) -> Frequency | None:
    if minutes <= 0:
        return None
    for unit, size, top in (("W", 10080, 4), ("D", 1440, 6), ("H", 60, 23), ("min", 1, 59)):
        if minutes % size == 0 and minutes // size <= top:
            return Frequency(minutes // size, unit)
    return None


def infer_frequency(
    timestamps: pl.Series | list[datetime], series_key: pl.Series | None = None
) -> Frequency | None:
    """Infer a dataset's frequency from its timestamps (None when it cannot be told).

    Uses the most common positive gap between consecutive distinct timestamps of the same
    series (``series_key``, when given), so sparse and unsorted data work: calendar months and
    years are recognised from month arithmetic, fixed lengths from the gap in minutes.
    """
    ts = timestamps if isinstance(timestamps, pl.Series) else pl.Series(timestamps)
    frame = pl.DataFrame({"ts": ts.cast(pl.Datetime("us"))})
    keys = ["k"] if series_key is not None else []
    if series_key is not None:
        frame = frame.with_columns(k=series_key)
    frame = frame.drop_nulls().unique().sort(keys + ["ts"])
    over = pl.col("k") if keys else None

    def diff(expr: pl.Expr) -> pl.Expr:
        d = expr.diff()
        return d.over(over) if over is not None else d

    gaps = frame.select(
        minutes=diff(pl.col("ts")).dt.total_minutes(),
        months=diff(pl.col("ts").dt.year() * 12 + pl.col("ts").dt.month()),
        micros=diff(pl.col("ts").cast(pl.Int64)),
    ).drop_nulls()
    gaps = gaps.filter(pl.col("micros") > 0)
    if gaps.height == 0:
        return None
    minutes = int(gaps["minutes"].mode().sort()[0])
    four_weeks = 4 * 10080
    share = (gaps["minutes"] == four_weeks).sum() / gaps.height
    if minutes == four_weeks and share > 0.5:
        return Frequency(4, "W")  # calendar months are 28 days apart only around February
    if 28 * 1440 <= minutes <= 366 * 1440:  # a month or more: count calendar months
        months = gaps["months"].filter(gaps["months"] > 0)
        if months.len() == 0:
            return None
        m = int(months.mode().sort()[0])
        if m % 12 == 0 and m // 12 == 1:
            return Frequency(1, "Y")
        if 1 <= m <= 11:
            return Frequency(m, "M")
        return None
    if minutes == 0:  # sub-minute data
        return None
    return _from_minutes(minutes)


def step_grid(start: np.datetime64 | datetime, periods: int, freq: Frequency | str) -> np.ndarray:
    """``periods`` bucket starts from ``start`` (itself a bucket start) every ``freq``."""
    freq = parse_frequency(freq)
    origin = np.datetime64(start).astype("datetime64[us]")
    if freq.is_fixed:
        return origin + np.arange(periods) * np.timedelta64(freq.step_minutes, "m")
    month0 = origin.astype("datetime64[M]")
    offset = origin - month0.astype("datetime64[us]")
    months = month0 + np.arange(periods) * freq.months
    return months.astype("datetime64[us]") + offset

"""Timestamp parsing as Amazon Forecast's import does it.

``TimestampFormat`` is a Java/Joda pattern (``yyyy-MM-dd``, ``yyyy-MM-dd HH:mm:ss`` the default,
or any other pattern such as ``dd/MM/yyyy HH:mm``) or ``epoch`` (seconds since 1970-01-01 UTC).
Amazon's notebooks pass ``yyyy-MM-dd hh:mm:ss`` with 00-23 hours, so ``hh`` means ``HH`` unless the
pattern also has an am/pm marker ``a``. ``TimeZone`` (IANA/Joda ids such as ``America/New_York``,
``EST``, or a fixed offset ``+0530``) names the zone of the data; results are naive wall-clock
datetimes in that zone: plain timestamps are kept as written, epoch values and values carrying an
offset are converted into the zone (into UTC when no zone is given).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import polars as pl

from forecasthub.errors import DataError, InvalidInputError

DEFAULT_TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss"
DATE_FORMAT = "yyyy-MM-dd"
EPOCH_FORMATS = frozenset({"epoch", "epoch_seconds", "epoch_second", "unix"})
TIME_UNIT: Literal["us"] = "us"
DATETIME = pl.Datetime(TIME_UNIT)
_FORMAT_RE = re.compile(r"^[a-zA-Z0-9\-:.,'\s/]+$")
_ZONE_RE = re.compile(r"^[a-zA-Z0-9/+\-_]+$")
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$")
_NUMERIC_RE = r"^\s*[+-]?\d+(\.\d*)?\s*$"

# Java pattern letter -> {run length: strftime directive}; None = any length.
_LETTERS: dict[str, dict[int | None, str]] = {
    "y": {2: "%y", None: "%Y"},
    "u": {2: "%y", None: "%Y"},
    "M": {1: "%m", 2: "%m", 3: "%b", None: "%B"},
    "L": {1: "%m", 2: "%m", 3: "%b", None: "%B"},
    "d": {None: "%d"},
    "D": {None: "%j"},
    "H": {None: "%H"},
    "k": {None: "%H"},
    "m": {None: "%M"},
    "s": {None: "%S"},
    "S": {3: "%3f", 6: "%6f", 9: "%9f"},
    "a": {None: "%p"},
    "E": {1: "%a", 2: "%a", 3: "%a", None: "%A"},
    "Z": {None: "%#z"},
    "X": {None: "%#z"},
    "x": {None: "%#z"},
}
_LITERALS = set("-:.,/ \tT_")


@dataclass(frozen=True)
class TimestampFormat:
    """A parsed TimestampFormat: the user's text and how to parse it."""

    pattern: str  # as given (or the default)
    strptime: str | None  # chrono/strftime format; None for epoch seconds
    has_offset: bool = False  # the values carry their own UTC offset

    @property
    def is_epoch(self) -> bool:
        """True for epoch seconds."""
        return self.strptime is None


def java_to_strptime(pattern: str) -> str:
    """Convert a Java/Joda DateTimeFormat pattern to a strptime/chrono format.

    Raises InvalidInputError for pattern letters without an equivalent (week-based fields, zone
    names).
    """
    out: list[str] = []
    twelve_hour = "a" in re.sub(r"'[^']*'", "", pattern)
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            if end == -1:
                raise InvalidInputError(f"TimestampFormat {pattern!r} has an unclosed quote")
            text = pattern[i + 1 : end] or "'"
            out.append(text.replace("%", "%%"))
            i = end + 1
            continue
        j = i
        while j < n and pattern[j] == ch:
            j += 1
        run = j - i
        if ch.isalpha() and ch != "T":
            if ch in "hK":
                out.append("%I" if twelve_hour else "%H")
            elif ch in _LETTERS:
                table = _LETTERS[ch]
                directive = table.get(run, table.get(None))
                if directive is None:
                    raise InvalidInputError(
                        f"TimestampFormat {pattern!r}: {ch * run!r} is not supported "
                        "(use S, SSS, SSSSSS or SSSSSSSSS for fractions of a second)"
                    )
                out.append(directive)
            else:
                raise InvalidInputError(
                    f"TimestampFormat {pattern!r}: pattern letter {ch!r} is not supported"
                )
        elif ch in _LITERALS or ch.isdigit():
            out.append(ch * run)
        elif ch == "%":
            out.append("%%" * run)
        else:
            raise InvalidInputError(f"TimestampFormat {pattern!r}: unexpected character {ch!r}")
        i = j
    return "".join(out)


def timestamp_format(pattern: str | None) -> TimestampFormat:
    """Validate a TimestampFormat (None = Amazon's default ``yyyy-MM-dd HH:mm:ss``)."""
    if pattern is None:
        pattern = DEFAULT_TIMESTAMP_FORMAT
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 256:
        raise InvalidInputError(
            "TimestampFormat must be a non-empty text of at most 256 characters"
        )
    if pattern.strip().lower() in EPOCH_FORMATS:
        return TimestampFormat(pattern, None)
    if not _FORMAT_RE.match(pattern):
        raise InvalidInputError(
            f"TimestampFormat {pattern!r} may only contain letters, digits, spaces, quotes "
            "and - : . , /"
        )
    fmt = java_to_strptime(pattern)
    if "%Y" not in fmt and "%y" not in fmt:
        raise InvalidInputError(f"TimestampFormat {pattern!r} has no year (yyyy)")
    return TimestampFormat(pattern, fmt, has_offset="%#z" in fmt)


@dataclass(frozen=True)
class TimeZone:
    """A validated TimeZone: an IANA/Joda zone name or a fixed UTC offset in minutes."""

    name: str
    offset_minutes: int | None = None  # set for fixed offsets such as "+0530"


def time_zone(name: str | None) -> TimeZone | None:
    """Validate a TimeZone id (``America/New_York``, ``EST``, ``UTC``, ``+0530``); None passes."""
    if name is None:
        return None
    if not isinstance(name, str) or not _ZONE_RE.match(name) or len(name) > 256:
        raise InvalidInputError(f"Invalid TimeZone {name!r}")
    m = _OFFSET_RE.match(name)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 18 or minutes > 59:
            raise InvalidInputError(f"Invalid TimeZone offset {name!r}")
        return TimeZone(name, sign * (hours * 60 + minutes))
    try:
        pl.Series([datetime(2000, 1, 1)]).dt.replace_time_zone(name)
    except Exception:
        raise InvalidInputError(
            f"Unknown TimeZone {name!r}: use an IANA/Joda id such as 'America/New_York', "
            "'Europe/Berlin', 'EST' or 'UTC'"
        ) from None
    return TimeZone(name)


def _utc_to_local(expr: pl.Expr, tz: TimeZone | None) -> pl.Expr:
    """Naive UTC datetimes -> naive wall-clock datetimes in ``tz`` (UTC when None)."""
    if tz is None:
        return expr
    if tz.offset_minutes is not None:
        return expr + pl.duration(minutes=tz.offset_minutes)
    return expr.dt.replace_time_zone("UTC").dt.convert_time_zone(tz.name).dt.replace_time_zone(None)


def _aware_to_local(expr: pl.Expr, tz: TimeZone | None) -> pl.Expr:
    """UTC-aware datetimes -> naive wall-clock datetimes in ``tz`` (UTC when None)."""
    return _utc_to_local(expr.dt.replace_time_zone(None), tz)


def parse_expr(
    column: str, fmt: TimestampFormat, tz: TimeZone | None, dtype: pl.DataType | None = None
) -> pl.Expr:
    """Expression turning ``column`` into naive Datetime(us); values that do not parse give null.

    ``dtype`` is the column's current dtype: numeric columns are epoch seconds, datetime
    columns are passed through (aware ones converted into ``tz``).
    """
    col = pl.col(column)
    if dtype is not None and dtype.is_temporal():
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            return _aware_to_local(col.dt.convert_time_zone("UTC"), tz).cast(DATETIME)
        return col.cast(DATETIME)
    if fmt.is_epoch or (dtype is not None and dtype.is_numeric()):
        seconds = col.cast(pl.Float64, strict=False)
        micros = (seconds * 1_000_000).round(0).cast(pl.Int64, strict=False)
        return _utc_to_local(micros.cast(DATETIME), tz)
    assert fmt.strptime is not None
    if fmt.has_offset:
        parsed = col.str.strip_chars().str.strptime(
            pl.Datetime(TIME_UNIT, "UTC"), fmt.strptime, strict=False, cache=False
        )
        return _aware_to_local(parsed, tz)
    # cache=False: measured faster than the unique-value cache, even on repetitive columns
    return col.str.strptime(DATETIME, fmt.strptime, strict=False, exact=True, cache=False)


def parse_series(
    values: pl.Series, fmt: TimestampFormat | str | None = None, tz: TimeZone | str | None = None
) -> pl.Series:
    """Parse a Series of timestamps; unparseable values become null (see :func:`parse_column`)."""
    if not isinstance(fmt, TimestampFormat):
        fmt = timestamp_format(fmt)
    if not isinstance(tz, TimeZone):
        tz = time_zone(tz)
    frame = values.rename("v").to_frame()
    return frame.select(parse_expr("v", fmt, tz, frame.schema["v"])).to_series().rename(values.name)


def looks_like_epoch(values: pl.Series) -> bool:
    """True when every non-null value is a number (an epoch-seconds column)."""
    if values.dtype.is_numeric():
        return True
    if values.dtype != pl.String:
        return False
    non_null = values.drop_nulls()
    return non_null.len() > 0 and bool(non_null.str.contains(_NUMERIC_RE).all())


def parse_checked(
    frame: pl.DataFrame,
    column: str,
    fmt: TimestampFormat | str | None = None,
    tz: TimeZone | str | None = None,
) -> tuple[pl.Series, pl.Series, TimestampFormat]:
    """Parse ``column``; return (parsed, mask of values that did not parse, format used).

    With the default format (``fmt`` None) a column of plain dates or of epoch seconds is
    accepted too.
    """
    explicit = fmt is not None
    if not isinstance(fmt, TimestampFormat):
        fmt = timestamp_format(fmt)
    if not isinstance(tz, TimeZone):
        tz = time_zone(tz)
    dtype = frame.schema[column]
    parsed = frame.select(parse_expr(column, fmt, tz, dtype)).to_series()
    bad = parsed.is_null() & frame[column].is_not_null()
    if bad.any() and not explicit and dtype == pl.String:
        for alternative in (timestamp_format(DATE_FORMAT), timestamp_format("epoch")):
            if alternative.is_epoch and not looks_like_epoch(frame[column]):
                continue
            retry = frame.select(parse_expr(column, alternative, tz, dtype)).to_series()
            retry_bad = retry.is_null() & frame[column].is_not_null()
            if not retry_bad.any():
                return retry, retry_bad, alternative
    return parsed, bad, fmt


def unparseable_message(value: object, fmt: TimestampFormat) -> str:
    """User message for a timestamp that does not match ``fmt``."""
    expected = "epoch seconds" if fmt.is_epoch else f"TimestampFormat {fmt.pattern!r}"
    return f"cannot parse timestamp {value!r}; expected {expected}"


def parse_column(
    frame: pl.DataFrame,
    column: str,
    fmt: TimestampFormat | str | None = None,
    tz: TimeZone | str | None = None,
    *,
    file: str | None = None,
    row_column: str | None = None,
    row_offset: int = 1,
) -> pl.DataFrame:
    """Replace ``column`` of ``frame`` by parsed naive datetimes; DataError on the first bad value.

    Null stays null. The error names ``file``, the row (from ``row_column`` when given, else the
    0-based position + ``row_offset``) and the column.
    """
    parsed, bad, used = parse_checked(frame, column, fmt, tz)
    if bad.any():
        index = int(bad.arg_true()[0])
        row = int(frame[row_column][index]) if row_column else index + row_offset
        raise DataError(
            unparseable_message(frame[column][index], used), file=file, row=row, column=column
        )
    return frame.with_columns(parsed.alias(column))


def format_iso(value: datetime) -> str:
    """Amazon's FieldStatistics form of a timestamp: ``2014-01-01T01:00:00Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_seconds(value: datetime) -> float:
    """Seconds since 1970-01-01 of a naive UTC datetime."""
    return (value - datetime(1970, 1, 1)) / timedelta(seconds=1)

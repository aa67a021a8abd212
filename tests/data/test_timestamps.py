from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasthub.data.timestamps import (
    java_to_strptime,
    parse_column,
    parse_series,
    time_zone,
    timestamp_format,
)
from forecasthub.errors import DataError, InvalidInputError

SECONDS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
# zone rules: polars (chrono-tz) stops applying DST after 2037, Python's zoneinfo does not
ZONED = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2037, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
PATTERNS = [
    "yyyy-MM-dd HH:mm:ss",
    "yyyy-MM-dd hh:mm:ss",
    "dd/MM/yyyy HH:mm:ss",
    "yyyy-MM-dd'T'HH:mm:ss",
    "MM.dd.yyyy HH:mm",
    "dd MMM yyyy HH:mm:ss",
    "yyyy-MM-dd hh:mm:ss a",
]


def test_conversions() -> None:
    assert java_to_strptime("yyyy-MM-dd HH:mm:ss") == "%Y-%m-%d %H:%M:%S"
    assert java_to_strptime("yyyy-MM-dd hh:mm:ss") == "%Y-%m-%d %H:%M:%S"  # hh means HH
    assert java_to_strptime("dd/MM/yy hh:mm a") == "%d/%m/%y %I:%M %p"
    assert java_to_strptime("yyyy-MM-dd'T'HH:mm:ss.SSSXXX") == "%Y-%m-%dT%H:%M:%S.%3f%#z"
    assert java_to_strptime("EEE, d MMMM yyyy") == "%a, %d %B %Y"
    for bad in ("yyyy-ww", "yyyy-MM-dd G", "yyyy 'open"):
        with pytest.raises(InvalidInputError):
            timestamp_format(bad)
    with pytest.raises(InvalidInputError, match="year"):
        timestamp_format("MM-dd")


@settings(max_examples=60, deadline=None)
@given(values=st.lists(SECONDS, min_size=1, max_size=20), pattern=st.sampled_from(PATTERNS))
def test_pattern_round_trip(values: list[datetime], pattern: str) -> None:
    fmt = timestamp_format(pattern)
    if "%M" in fmt.strptime and "%S" not in fmt.strptime:  # type: ignore[operator]
        values = [v.replace(second=0) for v in values]
    text = [v.strftime(fmt.strptime) for v in values]  # type: ignore[arg-type]
    parsed = parse_series(pl.Series("t", text), pattern)
    assert parsed.to_list() == values


@settings(max_examples=60, deadline=None)
@given(values=st.lists(SECONDS, min_size=1, max_size=20))
def test_date_only_round_trip(values: list[datetime]) -> None:
    days = [v.replace(hour=0, minute=0, second=0) for v in values]
    text = [d.strftime("%Y-%m-%d") for d in days]
    assert parse_series(pl.Series(text), "yyyy-MM-dd").to_list() == days


@settings(max_examples=60, deadline=None)
@given(values=st.lists(ZONED, min_size=1, max_size=20),
       zone=st.sampled_from(["UTC", "America/New_York", "Europe/Berlin", "EST", "Asia/Kolkata"]))
def test_epoch_round_trip(values: list[datetime], zone: str) -> None:
    seconds = [int(v.replace(tzinfo=UTC).timestamp()) for v in values]
    parsed = parse_series(pl.Series([str(s) for s in seconds]), "epoch", zone).to_list()
    expected = [
        datetime.fromtimestamp(s, tz=ZoneInfo(zone)).replace(tzinfo=None) for s in seconds
    ]
    assert parsed == expected
    numeric = parse_series(pl.Series(seconds, dtype=pl.Int64), None, None).to_list()
    assert numeric == values


@settings(max_examples=40, deadline=None)
@given(value=ZONED, minutes=st.integers(-12 * 60, 14 * 60))
def test_offset_values_convert_to_zone(value: datetime, minutes: int) -> None:
    offset = timezone(timedelta(minutes=minutes))
    aware = value.replace(tzinfo=offset)
    text = aware.strftime("%Y-%m-%dT%H:%M:%S%z")
    parsed = parse_series(pl.Series([text]), "yyyy-MM-dd'T'HH:mm:ssZ", "Europe/Berlin")
    expected = aware.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    assert parsed.to_list() == [expected]


def test_plain_values_stay_wall_clock_with_time_zone() -> None:
    parsed = parse_series(pl.Series(["2019-03-10 02:30:00"]), None, "America/New_York")
    assert parsed.to_list() == [datetime(2019, 3, 10, 2, 30)]


def test_time_zones() -> None:
    assert time_zone("EST").name == "EST"
    assert time_zone("America/New_York").offset_minutes is None
    assert time_zone("+0530").offset_minutes == 330
    assert time_zone("-08").offset_minutes == -480
    assert time_zone(None) is None
    for bad in ("Mars/Olympus", "Europe/Berlin;", "+25"):
        with pytest.raises(InvalidInputError):
            time_zone(bad)


def test_unparseable_value_names_row_and_column() -> None:
    frame = pl.DataFrame({"ts": ["2020-01-01 00:00:00", None, "2020-02-30 00:00:00"]})
    with pytest.raises(DataError) as err:
        parse_column(frame, "ts", "yyyy-MM-dd HH:mm:ss", file="a.csv", row_offset=2)
    e = err.value
    assert (e.file, e.row, e.column) == ("a.csv", 4, "ts")
    assert "2020-02-30 00:00:00" in str(e)


def test_default_format_accepts_dates_and_epochs() -> None:
    dates = pl.DataFrame({"ts": ["2020-01-01", "2020-01-02"]})
    days = [datetime(2020, 1, 1), datetime(2020, 1, 2)]
    assert parse_column(dates, "ts")["ts"].to_list() == days
    epochs = pl.DataFrame({"ts": ["0", "86400"]})
    epoch_days = [datetime(1970, 1, 1), datetime(1970, 1, 2)]
    assert parse_column(epochs, "ts")["ts"].to_list() == epoch_days
    with pytest.raises(DataError):
        parse_column(dates, "ts", "yyyy-MM-dd HH:mm:ss")  # explicit formats are strict

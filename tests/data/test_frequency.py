from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasthub.data.frequency import (
    MAX_MULTIPLE,
    Frequency,
    infer_frequency,
    is_finer,
    parse_frequency,
)
from forecasthub.errors import InvalidInputError

VALID = st.sampled_from(list(MAX_MULTIPLE)).flatmap(
    lambda unit: st.integers(1, MAX_MULTIPLE[unit]).map(lambda n: Frequency(n, unit))
)


@settings(max_examples=100, deadline=None)
@given(freq=VALID)
def test_text_round_trip(freq: Frequency) -> None:
    assert parse_frequency(str(freq)) == freq
    assert parse_frequency(f"{freq.n}{freq.unit}") == freq


@pytest.mark.parametrize(
    "bad", ["60min", "24H", "7D", "5W", "12M", "2Y", "0D", "D3", "3d", "", "1s"]
)
def test_invalid(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_frequency(bad)


def test_aliases_and_seasons() -> None:
    assert parse_frequency("H").pandas_alias() == "h"
    assert parse_frequency("15min").pandas_alias() == "15min"
    assert parse_frequency("3D").pandas_alias() == "3D"
    assert parse_frequency("W").pandas_alias() == "W-MON"
    assert parse_frequency("2W").pandas_alias("friday") == "2W-FRI"
    assert parse_frequency("M").pandas_alias() == "MS"
    assert parse_frequency("Y").pandas_alias() == "YS"
    seasons = {"H": 24, "D": 7, "W": 52, "M": 12, "Y": 1, "2H": 12, "3M": 4, "15min": 96}
    for text, season in seasons.items():
        assert parse_frequency(text).season_length == season


@settings(max_examples=100, deadline=None)
@given(a=VALID, b=VALID)
def test_ordering_is_consistent(a: Frequency, b: Frequency) -> None:
    assert is_finer(a, b) == (a < b)
    assert not (a < b and b < a)
    if a.unit == b.unit:
        assert (a < b) == (a.n < b.n)
    assert (a == b) == (str(a) == str(b))


def test_known_order() -> None:
    chain = ["1min", "59min", "H", "23H", "D", "6D", "W", "4W", "M", "11M", "Y"]
    freqs = [parse_frequency(x) for x in chain]
    assert freqs == sorted(freqs)
    assert is_finer("H", "D") and not is_finer("D", "H") and not is_finer("D", "D")


def _regular(freq: Frequency, start: datetime, count: int) -> list[datetime]:
    if freq.is_fixed:
        return [start + timedelta(minutes=freq.step_minutes * i) for i in range(count)]
    out = []
    for i in range(count):
        m = start.month - 1 + i * freq.months
        out.append(start.replace(year=start.year + m // 12, month=m % 12 + 1))
    return out


@settings(max_examples=100, deadline=None)
@given(freq=VALID, count=st.integers(3, 40), drop=st.integers(0, 1000),
       start=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)))
def test_inference_recovers_frequency(freq: Frequency, count: int, drop: int,
                                      start: datetime) -> None:
    start = start.replace(day=min(start.day, 28), second=0, microsecond=0)
    stamps = _regular(freq, start, count)
    # a sparse series (one point missing) and shuffled order still infer the same frequency
    if count > 4:
        del stamps[1 + drop % (count - 3)]
    stamps = stamps[::-1]
    assert infer_frequency(pl.Series(stamps)) == freq


def test_inference_per_series() -> None:
    ts = [datetime(2020, 1, 1), datetime(2020, 1, 2), datetime(2020, 1, 1, 12),
          datetime(2020, 1, 2, 12)]
    keys = pl.Series(["a", "a", "b", "b"])
    assert infer_frequency(pl.Series(ts), keys) == Frequency(1, "D")
    assert infer_frequency(pl.Series(ts)) == Frequency(12, "H")
    assert infer_frequency(pl.Series([datetime(2020, 1, 1)])) is None

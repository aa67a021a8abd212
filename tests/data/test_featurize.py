"""Aggregation, alignment, filling and series keys on hand-made frames."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import polars as pl
import pytest

from forecasthub.data.alignment import future_timestamps, time_alignment_boundary
from forecasthub.data.featurize import (
    Fill,
    RelatedFeaturization,
    TargetFeaturization,
    align,
    featurizations_to_attribute_configs,
    parse_transformations,
    prepare_related,
    prepare_static,
    prepare_target,
)
from forecasthub.data.keys import SERIES_KEY_SEPARATOR, make_series_key, split_series_key
from forecasthub.errors import InvalidInputError

from .conftest import schema

D = datetime
TTS = schema(("item_id", "string"), ("timestamp", "timestamp"), ("target_value", "float"))
TTS_DIM = schema(("item_id", "string"), ("store", "string"), ("timestamp", "timestamp"),
                 ("target_value", "float"))
RTS = schema(("item_id", "string"), ("timestamp", "timestamp"), ("price", "float"))


def _tts(rows: list[tuple[str, datetime, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"item_id": pl.String, "timestamp": pl.Datetime("us"),
                                      "target_value": pl.Float64}, orient="row")


def _series(frame, item: str) -> list[float]:  # type: ignore[no-untyped-def]
    return frame[frame.item_id == item].target.tolist()


def test_hourly_to_daily_aggregations() -> None:
    rows = [("a", D(2020, 1, 1, h), float(h)) for h in range(24)] + [
        ("a", D(2020, 1, 2, 5), 7.0), ("a", D(2020, 1, 2, 1), 3.0), ("a", D(2020, 1, 2, 2), None)]
    frame = _tts(rows)
    al = align(frame, TTS, "D")
    expected = {"sum": [276.0, 10.0], "avg": [11.5, 5.0], "min": [0.0, 3.0], "max": [23.0, 7.0],
                "first": [0.0, 3.0]}
    for aggregation, values in expected.items():
        out = prepare_target(frame, TTS, al, featurization=TargetFeaturization(aggregation))
        assert out.target.tolist() == values, aggregation
        assert out.timestamp.tolist() == [D(2020, 1, 1), D(2020, 1, 2)]
        assert str(out.timestamp.dtype) == "datetime64[ns]" and out.target.dtype == "float64"


def test_off_grid_timestamps_align_to_buckets() -> None:
    frame = _tts([("a", D(2020, 1, 1, 2, 20), 1.0), ("a", D(2020, 1, 1, 2, 45), 2.0),
                  ("a", D(2020, 1, 1, 3, 5), 4.0)])
    out = prepare_target(frame, TTS, align(frame, TTS, "H"))
    assert out.timestamp.tolist() == [D(2020, 1, 1, 2), D(2020, 1, 1, 3)]
    assert out.target.tolist() == [3.0, 4.0]


def test_multi_unit_buckets_anchor_at_first_timestamp() -> None:
    # Amazon's Custom_Frequency_Forecast: hourly data 2017-12-01 .. 2019-01-31 23:00
    stamps = [D(2017, 12, 1), D(2019, 1, 31, 23)]
    frame = _tts([("a", t, 1.0) for t in stamps])
    assert align(frame, TTS, "3D").future_start() == D(2019, 2, 3)
    assert align(frame, TTS, "3M").future_start() == D(2019, 3, 1)
    assert align(frame, TTS, "M").future_start() == D(2019, 2, 1)
    # Custom_Time_Alignment_Boundary: data ends Thu 2019-01-31 22:00
    frame = _tts([("a", D(2017, 12, 1), 1.0), ("a", D(2019, 1, 31, 22), 1.0)])
    assert align(frame, TTS, "W", {"DayOfWeek": "FRIDAY"}).future_start() == D(2019, 2, 1)
    assert align(frame, TTS, "W", {"DayOfWeek": "SUNDAY"}).future_start() == D(2019, 2, 3)
    assert align(frame, TTS, "W").future_start() == D(2019, 2, 4)
    daily9 = align(frame, TTS, "D", {"Hour": 9})
    assert daily9.history_end == D(2019, 1, 31, 9) and daily9.future_start() == D(2019, 2, 1, 9)
    mid = align(frame, TTS, "M", {"DayOfMonth": 15})
    assert mid.start == D(2017, 11, 15) and mid.history_end == D(2019, 1, 15)
    year = align(frame, TTS, "Y", {"Month": "JULY"})
    assert (year.start, year.history_end) == (D(2017, 7, 1), D(2018, 7, 1))
    assert future_timestamps(D(2019, 1, 15), 2, "M") == [D(2019, 2, 15), D(2019, 3, 15)]


def test_two_week_buckets() -> None:
    frame = _tts([("a", D(2020, 1, 1) + timedelta(days=i), 1.0) for i in range(30)])
    out = prepare_target(frame, TTS, align(frame, TTS, "2W"))
    assert out.timestamp.tolist() == [D(2019, 12, 30), D(2020, 1, 13), D(2020, 1, 27)]
    assert out.target.tolist() == [12.0, 14.0, 4.0]


def test_boundary_validation() -> None:
    with pytest.raises(InvalidInputError, match="DayOfWeek"):
        time_alignment_boundary({"DayOfWeek": "FRIDAY"}, "D")
    with pytest.raises(InvalidInputError):
        time_alignment_boundary({"DayOfMonth": 31}, "M")
    with pytest.raises(InvalidInputError):
        time_alignment_boundary({"DayOfWeek": "FUNDAY"}, "W")
    assert time_alignment_boundary({"Hour": 9}, "D").hour == 9


def test_target_filling() -> None:
    days = [D(2020, 1, d) for d in range(1, 11)]
    a = [("a", days[i], v) for i, v in [(0, 1.0), (1, 3.0), (4, 5.0), (6, 7.0)]]
    b = [("b", days[i], 2.0) for i in (2, 3)] + [("b", days[9], 9.0)]
    frame = _tts(a + b + [("c", days[0], None)])
    al = align(frame, TTS, "D")
    default = prepare_target(frame, TTS, al)
    assert _series(default, "a") == [1, 3, 0, 0, 5, 0, 7, 0, 0, 0]  # zero middle + back fill
    assert _series(default, "b") == [2, 2, 0, 0, 0, 0, 0, 9]  # series starts at first value
    assert "c" not in set(default.item_id)  # no value at all: dropped
    nan = prepare_target(frame, TTS, al, featurization=TargetFeaturization(
        "sum", Fill("nan"), Fill("value", 2.5)))
    got = _series(nan, "a")
    assert [math.isnan(x) for x in got[:7]] == [False, False, True, True, False, True, False]
    assert got[7:] == [2.5, 2.5, 2.5]
    stats = {m: prepare_target(frame, TTS, al, featurization=TargetFeaturization(
        "sum", Fill(m), Fill(m))) for m in ("mean", "median", "min", "max")}
    assert _series(stats["mean"], "a") == [1, 3, 2, 2, 5, 3, 7, 4, 4, 4]
    assert _series(stats["median"], "a") == [1, 3, 2, 2, 5, 3, 7, 4, 4, 4]
    assert _series(stats["min"], "a") == [1, 3, 1, 1, 5, 1, 7, 1, 1, 1]
    assert _series(stats["max"], "a") == [1, 3, 3, 3, 5, 5, 7, 7, 7, 7]


def test_rolling_window_is_64_entries() -> None:
    rows = [("a", D(2020, 1, 1) + timedelta(days=i), 1000.0 if i == 0 else 1.0)
            for i in range(65)] + [("a", D(2020, 3, 31), 1.0)]
    frame = _tts(rows)
    out = prepare_target(frame, TTS, align(frame, TTS, "D"),
                         featurization=TargetFeaturization("sum", Fill("max"), Fill("zero")))
    assert out.target.iloc[65] == 1.0  # the 1000 is 65 entries back: outside the window


def test_dimensions_key_and_split() -> None:
    frame = pl.DataFrame({"item_id": ["a", "a", "a"], "store": ["s1", "s2", "s1"],
                          "timestamp": [D(2020, 1, 1), D(2020, 1, 1), D(2020, 1, 1)],
                          "target_value": [1.0, 2.0, 3.0]})
    al = align(frame, TTS_DIM, "D")
    per_store = prepare_target(frame, TTS_DIM, al, forecast_dimensions=["store"])
    sep = SERIES_KEY_SEPARATOR
    assert per_store.item_id.tolist() == [f"a{sep}s1", f"a{sep}s2"]
    assert per_store.target.tolist() == [4.0, 2.0]
    per_item = prepare_target(frame, TTS_DIM, al)
    assert per_item.item_id.tolist() == ["a"] and per_item.target.tolist() == [6.0]
    keys = make_series_key(frame, "item_id", ["store"])
    back = split_series_key(keys, "item_id", ["store"])
    assert back.rows() == frame.select("item_id", "store").rows()
    with pytest.raises(InvalidInputError, match="ForecastDimensions"):
        prepare_target(frame, TTS_DIM, al, forecast_dimensions=["color"])


def test_related_filling_and_future() -> None:
    tts = _tts([("a", D(2020, 1, d), 1.0) for d in range(1, 6)])
    al = align(tts, TTS, "D")
    rts = pl.DataFrame({"item_id": ["a"] * 4, "timestamp": [D(2020, 1, d) for d in (1, 2, 4, 6)],
                        "price": [10.0, 20.0, 40.0, None]})
    fills = {"price": RelatedFeaturization(Fill("mean"), Fill("value", 1.0), Fill("max"))}
    out = prepare_related(rts, RTS, al, horizon=3, featurization=fills)
    assert out.timestamp.tolist() == [D(2020, 1, d) for d in range(1, 9)]
    assert out.price.tolist() == [10, 20, 15, 40, 1, 40, 40, 40]
    with pytest.raises(InvalidInputError, match="middlefill"):
        prepare_related(rts, RTS, al, horizon=3)
    history_only = prepare_related(rts.head(2), RTS, al, horizon=3, featurization={
        "price": RelatedFeaturization(backfill=Fill("zero"))})
    assert history_only.timestamp.max() == D(2020, 1, 5)
    twice = pl.concat([rts, rts.head(1)])
    with pytest.raises(InvalidInputError, match="several rows"):
        prepare_related(twice, RTS, al, horizon=3, featurization=fills)


def test_transformations_validation() -> None:
    ok = parse_transformations([
        {"AttributeName": "demand", "Transformations": {"aggregation": "avg", "frontfill": "none",
                                                         "middlefill": "nan", "backfill": "value",
                                                         "backfill_value": "2"}},
        {"AttributeName": "price", "Transformations": {"futurefill": "max", "middlefill": "mean"}},
    ], target="demand", related=["price"])
    assert ok.target == TargetFeaturization("avg", Fill("nan"), Fill("value", 2.0))
    assert ok.related["price"] == RelatedFeaturization(Fill("mean"), None, Fill("max"))
    bad = [
        ("demand", {"futurefill": "zero"}, "futurefill"),
        ("price", {"aggregation": "sum"}, "aggregation"),
        ("demand", {"aggregation": "median"}, "aggregation"),
        ("demand", {"middlefill": "value"}, "middlefill_value"),
        ("demand", {"middlefill": "value", "middlefill_value": "abc"}, "number"),
        ("demand", {"backfill_value": "1"}, "backfill"),
        ("price", {"middlefill": "nan"}, "middlefill"),
        ("demand", {"frontfill": "zero"}, "frontfill"),
        ("demand", {"fill": "zero"}, "unknown"),
        ("color", {"middlefill": "zero"}, "unknown attribute"),
    ]
    for name, transformations, words in bad:
        with pytest.raises(InvalidInputError, match=words):
            parse_transformations([{"AttributeName": name, "Transformations": transformations}],
                                  target="demand", related=["price"])
    legacy = featurizations_to_attribute_configs([{"AttributeName": "demand",
        "FeaturizationPipeline": [{"FeaturizationMethodName": "filling",
                                   "FeaturizationMethodParameters": {"middlefill": "zero"}}]}])
    assert legacy == [{"AttributeName": "demand", "Transformations": {"middlefill": "zero"}}]


def test_static_frame() -> None:
    im = pl.DataFrame({"item_id": ["a", "b"], "type": ["A", "B"], "size": [1.0, 2.0]})
    out = prepare_static(im, schema(("item_id", "string"), ("type", "string"), ("size", "float")))
    assert list(out.columns) == ["item_id", "type", "size"]
    assert str(out["type"].dtype) == "category"

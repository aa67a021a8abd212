"""Realised accuracy as pure functions, on the hand-computed case (tests/monitoring/hand.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from forecasthub.monitoring.realised import (
    covered_window,
    item_accuracy_frame,
    metric_results,
    realised_accuracy,
)
from tests.monitoring import hand

QUANTILES = (0.1, 0.5, 0.9)


def _forecast() -> pd.DataFrame:
    return hand.forecast_frame().rename(columns={"date": "timestamp"})


def test_window_is_the_forecast_dates_covered_by_actuals() -> None:
    dates = _forecast()["timestamp"]
    assert covered_window(dates, pd.Timestamp(hand.day(12))) == (pd.Timestamp(hand.day(10)),
                                                                 pd.Timestamp(hand.day(12)))
    assert covered_window(dates, pd.Timestamp(hand.day(20)))[1] == pd.Timestamp(hand.day(13))
    assert covered_window(dates, pd.Timestamp(hand.day(9))) is None
    assert covered_window(dates, None) is None


def test_metrics_per_series_and_overall_match_the_hand_computation() -> None:
    result = realised_accuracy(_forecast(), hand.actuals_frame(), QUANTILES, season_length=7)
    assert result is not None
    assert (result.window_start, result.window_end) == (pd.Timestamp(hand.day(10)), pd.Timestamp(hand.day(12)))
    assert (result.items, result.points) == (2, 6)
    for name, value in hand.EXPECTED_OVERALL.items():
        assert result.overall[name] == pytest.approx(value, rel=1e-12), name
    per = result.per_series.set_index("item_id")
    for item, expected in hand.EXPECTED_SERIES.items():
        for name, value in expected.items():
            assert per.loc[item, name] == pytest.approx(value, rel=1e-12), (item, name)
    # MetricResults: the five API metrics, in Amazon's order
    results = metric_results(result.overall)
    assert [r["MetricName"] for r in results] == ["AverageWeightedQuantileLoss", "MAPE", "MASE", "RMSE", "WAPE"]
    assert results[-1]["MetricValue"] == pytest.approx(12 / 102)


def test_item_frame_has_sql_names() -> None:
    result = realised_accuracy(_forecast(), hand.actuals_frame(), QUANTILES, season_length=7)
    frame = item_accuracy_frame(result.per_series, QUANTILES)
    assert list(frame.columns) == ["item_id", "wql_p10", "wql_p50", "wql_p90", "average_wql", "wape", "rmse",
                                   "mape", "mase", "points"]
    assert frame.set_index("item_id").loc["b", "wape"] == pytest.approx(6 / 65)
    assert frame["points"].tolist() == [3, 3]


def test_missing_actuals_are_not_scored_and_no_overlap_gives_none() -> None:
    actuals = hand.actuals_frame()
    # b's Jan 11 actual missing (NaN): b is scored on Jan 10 and 12 only
    actuals.loc[(actuals["item_id"] == "b") & (actuals["timestamp"] == pd.Timestamp(hand.day(11))), "target"] = math.nan
    result = realised_accuracy(_forecast(), actuals, QUANTILES, season_length=7)
    assert result.points == 5
    assert result.per_series.set_index("item_id").loc["b", "WAPE"] == pytest.approx((1 + 1) / (20 + 20))
    other = _forecast().assign(item_id=lambda f: f["item_id"].map({"a": "x", "b": "y"}))
    assert realised_accuracy(other, hand.actuals_frame(), QUANTILES, season_length=7) is None


def test_without_mean_the_median_is_the_point_forecast() -> None:
    forecast = _forecast().drop(columns=["mean"])
    result = realised_accuracy(forecast, hand.actuals_frame(), QUANTILES, season_length=7)
    # |y - p50|: a 0+1+2, b 1+3+0 over sum |y| = 102
    assert result.overall["WAPE"] == pytest.approx((3 + 4) / 102)
    only_p10 = _forecast()[["item_id", "timestamp", "p10"]]
    result = realised_accuracy(only_p10, hand.actuals_frame(), (0.1,), season_length=7)
    assert math.isnan(result.overall["WAPE"]) and math.isnan(result.overall["MASE"])
    assert [r["MetricName"] for r in metric_results(result.overall)] == ["AverageWeightedQuantileLoss"]

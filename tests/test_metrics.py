"""Metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasthub.errors import InvalidInputError
from forecasthub.metrics import (
    MAPE,
    MASE,
    METRICS,
    RMSE,
    SMAPE,
    WAPE,
    WQL,
    check_metric,
    mase_scale,
    pinball,
    score,
    score_overall,
    score_per_series,
)


@pytest.fixture
def evaluated() -> pd.DataFrame:
    # item a: y = 10, 20; item b: y = 0, 4
    return pd.DataFrame({
        "item_id": ["a", "a", "b", "b"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"] * 2),
        "target": [10.0, 20.0, 0.0, 4.0],
        "mean": [12.0, 18.0, 1.0, 4.0],
        "p10": [8.0, 15.0, 0.0, 2.0],
        "p50": [12.0, 18.0, 1.0, 4.0],
        "p90": [14.0, 25.0, 2.0, 6.0],
    })


def test_pinball() -> None:
    assert pinball(np.array([10.0]), np.array([8.0]), 0.1)[0] == pytest.approx(0.2)
    assert pinball(np.array([10.0]), np.array([12.0]), 0.1)[0] == pytest.approx(1.8)


def test_overall_metrics_by_hand(evaluated: pd.DataFrame) -> None:
    m = score_overall(evaluated, (0.1, 0.5, 0.9))
    sum_abs_y = 34.0
    # p10 pinball: (10-8)*.1 + (20-15)*.1 + 0 + (4-2)*.1 = 0.9
    assert m["wQL[0.1]"] == pytest.approx(2 * 0.9 / sum_abs_y)
    # p50: |err| = 2, 2, 1, 0 -> 0.5 * 5 = 2.5
    assert m["wQL[0.5]"] == pytest.approx(2 * 2.5 / sum_abs_y)
    # p90: (14-10)*.1 + (25-20)*.1 + (2-0)*.1 + (6-4)*.1 = 1.3
    assert m["wQL[0.9]"] == pytest.approx(2 * 1.3 / sum_abs_y)
    assert m[WQL] == pytest.approx((2 * 0.9 + 2 * 2.5 + 2 * 1.3) / 3 / sum_abs_y)
    assert m[WAPE] == pytest.approx(5.0 / 34.0)
    assert m[RMSE] == pytest.approx(math.sqrt((4 + 4 + 1 + 0) / 4))
    # y = 0 excluded: (2/10 + 2/20 + 0/4) / 3
    assert m[MAPE] == pytest.approx((0.2 + 0.1 + 0.0) / 3)
    assert m["ItemCount"] == 2 and m["PointCount"] == 4
    assert math.isnan(m[MASE])  # no scale given


def test_mase_and_scale() -> None:
    train = pd.DataFrame({
        "item_id": ["a"] * 4 + ["b"] * 3,
        "timestamp": list(pd.date_range("2024-01-01", periods=4)) +
        list(pd.date_range("2024-01-01", periods=3)),
        "target": [1.0, 3.0, 2.0, 6.0, 5.0, 5.0, 5.0],
    })
    scale = mase_scale(train, season_length=2)
    assert scale["a"] == pytest.approx((1.0 + 3.0) / 2)  # |2-1|, |6-3|
    assert math.isnan(scale["b"])  # constant series: undefined, left out
    short = mase_scale(train[train.item_id == "a"].head(2), season_length=2)
    assert short["a"] == pytest.approx(2.0)  # shorter than a season: naive (m = 1)


def test_mase_per_series_and_overall(evaluated: pd.DataFrame) -> None:
    scale = pd.Series({"a": 4.0, "b": 0.5})
    per = score_per_series(evaluated, (0.5,), scale=scale).set_index("item_id")
    assert per.loc["a", MASE] == pytest.approx(2.0 / 4.0)  # mae 2
    assert per.loc["b", MASE] == pytest.approx(0.5 / 0.5)  # mae 0.5
    overall = score_overall(evaluated, (0.5,), scale=scale)
    assert overall[MASE] == pytest.approx((0.5 + 1.0) / 2)


def test_grouped_scores_and_smape(evaluated: pd.DataFrame) -> None:
    df = evaluated.assign(window=[0, 1, 0, 1])
    by_window = score(df, (0.1, 0.5, 0.9), by=["window"], smape=True).set_index("window")
    assert by_window.loc[0, WAPE] == pytest.approx((2 + 1) / 10)
    assert by_window.loc[1, WAPE] == pytest.approx((2 + 0) / 24)
    # sMAPE window 0: a: 2*2/22, b: 2*1/1 -> mean over series
    assert by_window.loc[0, SMAPE] == pytest.approx((4 / 22 + 2.0) / 2)


def test_zero_denominator_is_nan() -> None:
    df = pd.DataFrame({"item_id": ["a"], "target": [0.0], "mean": [1.0], "p50": [1.0]})
    m = score_overall(df, (0.5,))
    assert math.isnan(m[WAPE]) and math.isnan(m[MAPE]) and math.isnan(m["wQL[0.5]"])


def test_metric_table() -> None:
    assert set(METRICS) == {WQL, WAPE, RMSE, MAPE, MASE}
    assert METRICS[WQL].needs_quantiles and not METRICS[WAPE].needs_quantiles
    assert not any(m.greater_is_better for m in METRICS.values())
    with pytest.raises(InvalidInputError, match="valid metrics"):
        check_metric("R2")


def test_missing_column_is_reported(evaluated: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match="p99"):
        score(evaluated, (0.99,))


def _manual_loop(df: pd.DataFrame, scale: pd.Series) -> dict[str, dict[str, float]]:
    """Slow per-series reference."""
    out = {}
    for item, g in df.groupby("item_id"):
        y, m = g["target"].to_numpy(), g["mean"].to_numpy()
        wql = [2 * pinball(y, g[c].to_numpy(), q).sum() / np.abs(y).sum()
               for q, c in ((0.1, "p10"), (0.9, "p90"))]
        out[item] = {"wql": float(np.mean(wql)),
                     "wape": float(np.abs(y - m).sum() / np.abs(y).sum()),
                     "rmse": float(np.sqrt(((y - m) ** 2).mean())),
                     "mase": float(np.abs(y - m).mean() / scale[item])}
    return out


@given(st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=6),
       st.integers(min_value=0, max_value=10_000))
@settings(max_examples=25, deadline=None)
def test_vectorised_equals_manual_loop(n_items: int, n_points: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = n_items * n_points
    y = rng.uniform(1, 100, n)
    mean = y + rng.normal(0, 5, n)
    df = pd.DataFrame({"item_id": np.repeat([f"i{k}" for k in range(n_items)], n_points),
                       "target": y, "mean": mean,
                       "p10": mean - rng.uniform(0, 10, n), "p90": mean + rng.uniform(0, 10, n)})
    scale = pd.Series(rng.uniform(1, 5, n_items), index=[f"i{k}" for k in range(n_items)])
    per = score_per_series(df, (0.1, 0.9), scale=scale).set_index("item_id")
    for item, ref in _manual_loop(df, scale).items():
        assert per.loc[item, WQL] == pytest.approx(ref["wql"])
        assert per.loc[item, WAPE] == pytest.approx(ref["wape"])
        assert per.loc[item, RMSE] == pytest.approx(ref["rmse"])
        assert per.loc[item, MASE] == pytest.approx(ref["mase"])

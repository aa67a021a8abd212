"""run_automl / run_single_algorithm end to end on a tiny panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasthub.automl import AutoMLConfig, run_automl, run_single_algorithm
from forecasthub.automl.candidates import DataProfile, default_candidates
from forecasthub.errors import InvalidInputError
from forecasthub.metrics import WQL
from forecasthub.models import Forecaster, ModelContext, create_model
from forecasthub.models.frames import check_forecast
from forecasthub.models.tree import LightGBM


@pytest.fixture(scope="module")
def result(panel: pd.DataFrame, ctx: ModelContext):
    events = []
    config = AutoMLConfig(
        candidates={"SeasonalNaive": create_model("SeasonalNaive"), "ETS": create_model("ETS"),
                    "LightGBM": LightGBM(n_estimators=30, num_leaves=15, min_child_samples=5)},
        n_windows=2, progress=events.append)
    return run_automl(panel, ctx, config=config), events


def test_result_forecast_and_metrics(result, ctx: ModelContext) -> None:
    res, _ = result
    check_forecast(res.forecast, ctx.quantiles, ctx.horizon)
    assert res.forecast["item_id"].nunique() == 5
    assert abs(sum(res.weights.values()) - 1) < 1e-9
    board = res.leaderboard()
    assert "Ensemble" in set(board["model"]) and board[WQL].notna().all()
    computed = res.metrics[res.metrics.EvaluationType == "COMPUTED"]
    assert len(computed) == 4 * 2  # 3 candidates + ensemble, 2 windows
    assert (computed["TestWindowEnd"] > computed["TestWindowStart"]).all()
    windows = res.test_windows()
    assert windows[0]["EvaluationType"] == "SUMMARY" and len(windows) == 3
    quantiles = [x["Quantile"] for x in windows[1]["Metrics"]["WeightedQuantileLosses"]]
    assert quantiles == [0.9, 0.5, 0.1]
    assert set(windows[1]["Metrics"]["ErrorMetrics"][0]) == {"ForecastType", "WAPE", "RMSE",
                                                               "MASE", "MAPE"}


def test_backtest_forecasts_and_item_metrics(result) -> None:
    res, _ = result
    bt = res.backtest_forecasts
    for col in ("item_id", "timestamp", "target", "window_start", "window_end", "model",
                "mean", "p10", "p50", "p90"):
        assert col in bt.columns
    assert set(bt["model"]) == {"SeasonalNaive", "ETS", "LightGBM", "Ensemble"}
    items = res.item_metrics
    assert {"model", "window", "item_id", "WAPE"} <= set(items.columns)
    assert set(items["window"]) == {"SUMMARY", 0, 1}


def test_tiny_panel_is_chosen_on_more_windows_but_reports_the_requested_ones(
    ctx: ModelContext,
) -> None:
    """3 long series x 2 windows are too few (series, window) pairs to choose weights on:
    AutoML backtests 5 windows to choose, and reports the 2 requested ones (the newest)."""
    rng = np.random.default_rng(0)
    t = np.arange(400)
    stamps = pd.date_range("2023-01-01", periods=400, freq="D")
    panel = pd.concat([pd.DataFrame({
        "item_id": f"s{i}", "timestamp": stamps,
        "target": 20 + i + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, 400),
    }) for i in range(3)], ignore_index=True)
    events: list = []
    config = AutoMLConfig(
        candidates={"SeasonalNaive": create_model("SeasonalNaive"),
                    "Naive": create_model("Naive")},
        n_windows=2, progress=events.append)
    res = run_automl(panel, ctx, config=config)
    assert events[0].message.endswith("5 window(s)")
    assert len(res.windows) == 2 and res.spread is None  # 3 x 5 pairs: too few for a spread
    bt = res.backtest_forecasts
    assert set(bt["window"]) == {0, 1}
    starts = bt.groupby("window")["window_start"].first()
    assert [starts[w.index] for w in res.windows] == [w.start for w in res.windows]
    assert res.windows[-1].end == res.forecast["timestamp"].min()


def test_fallbacks_are_recorded_and_progress_reported(result) -> None:
    res, events = result
    zero = [r for r in res.fallbacks if "zeros" in r.items and r.model == "ETS"]
    assert zero and all("all-zero" in r.reason for r in zero)
    assert {e.stage for e in events} >= {"backtest", "ensemble", "refit", "done"}
    assert events[-1].candidates_done == events[-1].candidates_total == 3


def test_ensemble_saves_and_loads(result, tmp_path: Path) -> None:
    res, _ = result
    res.predictor.save(tmp_path / "ens.pkl")
    loaded = Forecaster.load(tmp_path / "ens.pkl")
    pd.testing.assert_frame_equal(loaded.predict(), res.forecast)


def test_single_algorithm_by_arn(panel: pd.DataFrame, ctx: ModelContext) -> None:
    res = run_single_algorithm(panel, ctx, "arn:aws:forecast:::algorithm/ETS",
                               config=AutoMLConfig(n_windows=1))
    assert res.model_name == "ETS" and set(res.metrics["model"]) == {"ETS"}
    assert res.forecast["item_id"].nunique() == 5
    with pytest.raises(InvalidInputError, match="algorithm/ETS"):
        run_single_algorithm(panel, ctx, "arn:aws:forecast:::algorithm/CNN-QR")


def test_time_budget_skips_expensive_candidates(panel: pd.DataFrame, ctx: ModelContext) -> None:
    res = run_automl(panel, ctx, config=AutoMLConfig(
        candidates=["SeasonalNaive", "ARIMA"], time_limit_s=1e-3, per_series_weights=False))
    assert "ARIMA" in res.skipped and "time budget" in res.skipped["ARIMA"]
    assert res.weights == {"SeasonalNaive": 1.0}


def test_default_candidates_scale_with_data(ctx: ModelContext) -> None:
    config = AutoMLConfig()
    small = default_candidates(_panel(20, 100), ctx, config)
    assert {"SeasonalNaive", "LightGBM", "ETS", "Theta"} <= set(small)
    big = DataProfile(n_series=100_000, mean_length=150, intermittent_share=0.0)
    assert big.n_series * small["ETS"].cost_per_series > config.local_model_budget_s


def _panel(n_items: int, n_points: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    stamps = pd.date_range("2024-01-01", periods=n_points, freq="D")
    return pd.DataFrame({"item_id": np.repeat([f"i{i}" for i in range(n_items)], n_points),
                         "timestamp": np.tile(stamps, n_items),
                         "target": rng.uniform(1, 10, n_items * n_points)})


def test_cold_start_items_through_the_ensemble(panel: pd.DataFrame, ctx: ModelContext) -> None:
    healthy = panel[panel.item_id.isin(["seasonal", "trend", "intermittent"])]
    static = pd.DataFrame({"item_id": ["seasonal", "trend", "intermittent", "brand_new"],
                           "group": ["g1", "g2", "g1", "g1"]})
    config = AutoMLConfig(candidates={
        "SeasonalNaive": create_model("SeasonalNaive"),
        "LightGBM": LightGBM(n_estimators=30, num_leaves=15, min_child_samples=5)},
        per_series_weights=False)
    res = run_automl(healthy, ctx, static=static, config=config)
    assert "brand_new" in set(res.forecast["item_id"])
    new = res.predictor.predict(items=["brand_new"])
    check_forecast(new, ctx.quantiles, ctx.horizon)


def test_global_member_kept_for_cold_start(panel: pd.DataFrame, ctx: ModelContext) -> None:
    healthy = panel[panel.item_id.isin(["seasonal", "trend"])]
    static = pd.DataFrame({"item_id": ["seasonal", "trend", "brand_new"], "g": ["a", "b", "a"]})
    config = AutoMLConfig(candidates={
        "Naive": create_model("Naive"),
        # a deliberately poor global model: weight 0, yet needed for the new item
        "LightGBM": LightGBM(n_estimators=1, num_leaves=2, min_child_samples=50)},
        per_series_weights=False)
    res = run_automl(healthy, ctx, static=static, config=config)
    assert "brand_new" in set(res.forecast["item_id"])
    assert res.forecast["item_id"].nunique() == 3


def test_related_covariates_through_automl(panel: pd.DataFrame, ctx: ModelContext) -> None:
    healthy = panel[panel.item_id.isin(["seasonal", "trend"])]
    stamps = pd.date_range(healthy.timestamp.min(), periods=100 + ctx.horizon, freq="D")
    related = pd.DataFrame({"item_id": np.repeat(["seasonal", "trend"], len(stamps)),
                            "timestamp": np.tile(stamps, 2),
                            "price": np.tile(np.arange(len(stamps), dtype=float), 2)})
    config = AutoMLConfig(candidates={
        "LightGBM": LightGBM(n_estimators=30, num_leaves=15, min_child_samples=5)},
        ensemble=False)
    res = run_automl(healthy, ctx, related=related, config=config)
    assert res.fallbacks == [] and res.model_name == "LightGBM"
    check_forecast(res.forecast, ctx.quantiles, ctx.horizon)

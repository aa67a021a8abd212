"""Cold start: items with metadata but no history get forecasts from the global models, and the
AutoML result, the predictor and the forecast record which model served them. Also: the deep
models (DeepAR, TFT) AutoML tries by default."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasthub.automl import AutoMLConfig, run_automl
from forecasthub.automl.coldstart import cold_items, cold_start_record
from forecasthub.models import ModelContext, create_model
from forecasthub.models.frames import check_forecast
from forecasthub.models.gluonts_common import deep_available
from forecasthub.models.tree import LightGBM

needs_deep = pytest.mark.skipif(not deep_available(thorough=True),
                                reason="the `deep` extra (torch, gluonts, lightning) is missing")
HEALTHY = ["seasonal", "trend", "intermittent"]
STATIC = pd.DataFrame({"item_id": [*HEALTHY, "brand_new"], "group": ["g1", "g2", "g1", "g1"]})
TFT_FAST = {"epochs": 2, "num_batches_per_epoch": 8, "batch_size": 16, "hidden_dim": 16,
            "variable_dim": 8}


def _lgbm(**params) -> LightGBM:
    return LightGBM(**{"n_estimators": 30, "num_leaves": 15, "min_child_samples": 5, **params})


def _check_cold(frame: pd.DataFrame, ctx: ModelContext) -> pd.DataFrame:
    new = frame[frame.item_id == "brand_new"].reset_index(drop=True)
    check_forecast(new, ctx.quantiles, ctx.horizon)
    q = new[["p10", "p50", "p90"]].to_numpy()
    assert np.isfinite(q).all() and (np.diff(q, axis=1) >= 0).all()
    return new


def _blend_of_servers(res, record: dict) -> np.ndarray:
    """The cold item's mean as the record's weights over its members' own forecasts."""
    means = [w * res.predictor.members[name].predict(items=["brand_new"])["mean"].to_numpy()
             for name, w in record["Weights"].items()]
    return np.sum(means, axis=0)


def test_cold_items() -> None:
    train = pd.DataFrame({"item_id": ["a", "b"], "timestamp": pd.Timestamp("2024-01-01"),
                          "target": 1.0})
    assert cold_items(train, None) == []
    assert cold_items(train, pd.DataFrame({"item_id": ["b", "c", "a", "d"]})) == ["c", "d"]


@needs_deep
def test_automl_serves_and_records_cold_start_items(panel: pd.DataFrame,
                                                    ctx: ModelContext) -> None:
    from forecasthub.models.tft import TFT

    healthy = panel[panel.item_id.isin(HEALTHY)]
    config = AutoMLConfig(candidates={"SeasonalNaive": create_model("SeasonalNaive"),
                                      "LightGBM": _lgbm(), "TFT": TFT(**TFT_FAST)},
                          per_series_weights=False)
    res = run_automl(healthy, ctx, static=STATIC, config=config)
    new = _check_cold(res.forecast, ctx)
    record = res.cold_start
    assert record["Items"] == 1 and record["ItemIds"] == ["brand_new"]
    assert set(record["Weights"]) <= {"LightGBM", "TFT"}  # global models only
    assert abs(sum(record["Weights"].values()) - 1) < 1e-6
    expected = next(iter(record["Weights"])) if len(record["Weights"]) == 1 else "Ensemble"
    assert record["Model"] == expected
    # the record is what happened: the ensemble's cold forecast is that blend of the servers
    np.testing.assert_allclose(new["mean"], _blend_of_servers(res, record), rtol=1e-6)


def test_kept_global_member_is_named(panel: pd.DataFrame, ctx: ModelContext) -> None:
    # a deliberately poor global model gets weight 0 and is kept only to serve the new item
    poor = _lgbm(n_estimators=1, num_leaves=2, min_child_samples=50)
    res = run_automl(panel[panel.item_id.isin(HEALTHY)], ctx, static=STATIC,
                     config=AutoMLConfig(candidates={"Naive": create_model("Naive"),
                                                     "LightGBM": poor},
                                         per_series_weights=False))
    assert res.weights.get("LightGBM", 0.0) == 0.0
    assert res.cold_start == {"Model": "LightGBM", "Weights": {"LightGBM": 1.0}, "Items": 1,
                              "ItemIds": ["brand_new"]}
    new = _check_cold(res.forecast, ctx)
    np.testing.assert_allclose(new["mean"], _blend_of_servers(res, res.cold_start))


@needs_deep
def test_single_tft_predictor_records_itself(panel: pd.DataFrame, ctx: ModelContext) -> None:
    from forecasthub.models.tft import TFT

    healthy = panel[panel.item_id.isin(HEALTHY)]
    res = run_automl(healthy, ctx, static=STATIC,
                     config=AutoMLConfig(candidates={"TFT": TFT(**TFT_FAST)}, ensemble=False))
    assert res.model_name == "TFT"
    _check_cold(res.forecast, ctx)
    assert res.cold_start["Model"] == "TFT" and res.cold_start["Weights"] == {"TFT": 1.0}


def test_local_model_cannot_serve_and_says_so(panel: pd.DataFrame, ctx: ModelContext) -> None:
    healthy = panel[panel.item_id.isin(HEALTHY)]
    res = run_automl(healthy, ctx, static=STATIC,
                     config=AutoMLConfig(candidates=["SeasonalNaive"], ensemble=False))
    assert "brand_new" not in set(res.forecast.item_id)
    assert res.cold_start["Model"] is None and res.cold_start["Items"] == 1
    assert "global" in res.cold_start["Reason"]
    assert cold_start_record(res.predictor, []) is None


# -- through the service: CreatePredictor -> CreateForecast records ---------------------------
def test_predictor_and_forecast_record_the_serving_model(fh, tmp_path: Path) -> None:
    from forecasthub.storage.layout import META_FILE
    from forecasthub.store.orm import ForecastRow, PredictorRow
    from tests.sql.flow import cold_start_flow

    predictor, forecast = cold_start_flow(fh, tmp_path)

    expected = {"Model": "LightGBM", "Weights": {"LightGBM": 1.0}, "Items": 1,
                "ItemIds": ["a_new"]}
    with fh.hub.db.session() as s:
        p_row, f_row = s.get(PredictorRow, predictor), s.get(ForecastRow, forecast)
        p_summary, p_key = dict(p_row.summary), p_row.artifact_key
        f_summary, f_key = dict(f_row.summary), f_row.artifact_key
    assert p_summary["ColdStart"] == expected
    assert json.loads(fh.hub.store.read_bytes(f"{p_key}/{META_FILE}"))["ColdStart"] == expected
    assert f_summary["ColdStart"] == expected
    assert json.loads(fh.hub.store.read_bytes(f"{f_key}/{META_FILE}"))["ColdStart"] == expected

    answer = fh.query_forecast(ForecastArn=forecast, Filters={"item_id": "a_new"})
    p = answer["Forecast"]["Predictions"]
    assert len(p["p50"]) == 7
    for lo, mid, hi in zip(p["p10"], p["p50"], p["p90"], strict=True):
        assert np.isfinite([lo["Value"], mid["Value"], hi["Value"]]).all()
        assert lo["Value"] <= mid["Value"] <= hi["Value"]


# -- which deep models AutoML tries ------------------------------------------------------------
def _uniform_panel(n_items: int, n_points: int) -> pd.DataFrame:
    stamps = pd.date_range("2024-01-01", periods=n_points, freq="D")
    values = np.random.default_rng(1).uniform(1, 10, n_items * n_points)
    return pd.DataFrame({"item_id": np.repeat([f"s{i}" for i in range(n_items)], n_points),
                         "timestamp": np.tile(stamps, n_items), "target": values})


@needs_deep
def test_tft_joins_the_default_candidates_under_deepars_rule(ctx: ModelContext) -> None:
    from forecasthub.automl.candidates import default_candidates

    config = AutoMLConfig()
    enough = default_candidates(_uniform_panel(60, 320), ctx, config)
    assert {"DeepAR", "TFT"} <= set(enough) and "Prophet" not in enough
    assert enough["TFT"].name == "TFT" and enough["TFT"].n_jobs == config.n_jobs
    too_few = default_candidates(_uniform_panel(10, 320), ctx, config)
    too_short = default_candidates(_uniform_panel(60, 100), ctx, config)
    for chosen in (too_few, too_short):
        assert not {"DeepAR", "TFT"} & set(chosen)
    # over the time budget, neither network is tried
    tight = default_candidates(_uniform_panel(60, 320), ctx,
                               AutoMLConfig(local_model_budget_s=1.0))
    assert not {"DeepAR", "TFT"} & set(tight)

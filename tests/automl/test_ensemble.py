"""Greedy ensemble selection, per-series shrinkage, WeightedEnsemble blending."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasthub.automl.ensemble import WeightedEnsemble
from forecasthub.automl.objective import Objective
from forecasthub.automl.select import blend, greedy_weights, per_series_weights, select
from forecasthub.errors import InvalidInputError
from forecasthub.metrics import MASE, RMSE, WAPE, WQL, score_overall
from forecasthub.models import ModelContext, create_model


def _objective(metric: str, y: np.ndarray, series: np.ndarray) -> Objective:
    return Objective(metric, y, np.zeros_like(y), series, np.ones_like(y), (0.1, 0.5, 0.9))


def _constant_model(y: np.ndarray, bias: float) -> np.ndarray:
    point = y + bias
    return np.stack([point, point - 1, point, point + 1], axis=1)


def test_objective_matches_metrics_module() -> None:
    rng = np.random.default_rng(0)
    y = rng.uniform(5, 10, 12)
    series = np.repeat(["a", "b", "c"], 4)
    pred = _constant_model(y, 0.5) + rng.normal(0, 0.3, (12, 4))
    frame = pd.DataFrame({"item_id": series, "target": y, "mean": pred[:, 0], "p10": pred[:, 1],
                          "p50": pred[:, 2], "p90": pred[:, 3]})
    expected = score_overall(frame, (0.1, 0.5, 0.9), scale=pd.Series(1.0, index=["a", "b", "c"]))
    for metric in (WQL, WAPE, RMSE, MASE):
        assert _objective(metric, y, series).value(pred) == pytest.approx(expected[metric])


def test_greedy_prefers_the_better_model_and_mixes_opposite_biases() -> None:
    y = np.linspace(10, 20, 20)
    series = np.repeat(["a", "b"], 10)
    obj = _objective(WAPE, y, series)
    good, bad = _constant_model(y, 0.1), _constant_model(y, 3.0)
    assert greedy_weights(np.stack([bad, good]), obj, size=10).tolist() == [0.0, 1.0]
    low, high = _constant_model(y, -2.0), _constant_model(y, 2.0)
    w = greedy_weights(np.stack([low, high]), obj, size=10)
    assert w.sum() == pytest.approx(1.0) and w[0] == pytest.approx(0.5)


def test_per_series_weights_help_when_series_differ() -> None:
    y = np.linspace(10, 20, 40)
    series = np.repeat(["a", "b"], 20)
    obj = _objective(WAPE, y, series)
    # model 0 is right on series a, model 1 on series b
    m0 = _constant_model(y, np.where(series == "a", 0.0, 4.0))
    m1 = _constant_model(y, np.where(series == "a", 4.0, 0.0))
    preds = np.stack([m0, m1])
    sw = per_series_weights(preds, obj, size=5)
    assert sw.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    chosen = select(preds, obj, size=10)
    assert chosen.shrinkage > 0 and chosen.series_weights is not None
    assert obj.value(blend(preds, chosen.series_weights, obj.series)) < obj.value(
        blend(preds, chosen.weights))


def test_per_series_weights_dropped_when_they_do_not_help() -> None:
    y = np.linspace(10, 20, 40)
    series = np.repeat(["a", "b"], 20)
    obj = _objective(WAPE, y, series)
    preds = np.stack([_constant_model(y, 0.1), _constant_model(y, 3.0)])
    chosen = select(preds, obj, size=10)
    assert chosen.series_weights is None and chosen.shrinkage == 0.0


def test_weighted_ensemble_blends_members(panel: pd.DataFrame, ctx: ModelContext) -> None:
    healthy = panel[panel.item_id.isin(["seasonal", "trend"])]
    naive = create_model("Naive").fit(healthy, ctx).predict()
    mean = create_model("Mean").fit(healthy, ctx).predict()
    ens = WeightedEnsemble({"Naive": create_model("Naive"), "Mean": create_model("Mean"),
                            "ETS": create_model("ETS")}, {"Naive": 0.25, "Mean": 0.75, "ETS": 0})
    assert set(ens.members) == {"Naive", "Mean"}  # zero weight: not refitted
    fcst = ens.fit(healthy, ctx).predict()
    np.testing.assert_allclose(fcst["mean"], 0.25 * naive["mean"] + 0.75 * mean["mean"])
    series_w = pd.DataFrame({"Naive": [1.0], "Mean": [0.0]}, index=["trend"])
    ens2 = WeightedEnsemble({"Naive": create_model("Naive"), "Mean": create_model("Mean")},
                            {"Naive": 0.25, "Mean": 0.75}, series_w).fit(healthy, ctx)
    out = ens2.predict()
    trend = out.item_id == "trend"
    np.testing.assert_allclose(out.loc[trend, "mean"], naive.loc[trend, "mean"])
    np.testing.assert_allclose(out.loc[~trend, "mean"], fcst.loc[~trend, "mean"])
    with pytest.raises(InvalidInputError):
        WeightedEnsemble({"Naive": create_model("Naive")}, {"Naive": 0.0})


def test_spread_calibration_widens_too_narrow_bands() -> None:
    from forecasthub.automl.spread import apply_spread, calibrate_spread

    rng = np.random.default_rng(0)
    y = rng.normal(100, 10, 600)
    series = np.repeat(np.arange(10), 60)  # 10 series x 2 windows: enough pairs to calibrate
    window = np.tile(np.repeat([0, 1], 30), 10)
    obj = Objective(WQL, y, window, series, np.ones_like(y), (0.1, 0.5, 0.9))
    narrow = np.stack([np.full(600, 100.0), np.full(600, 95.0), np.full(600, 100.0),
                       np.full(600, 105.0)], axis=1)  # true p10/p90 are about 100 -+ 12.8
    factors = calibrate_spread(narrow, obj, (0.1, 0.5, 0.9))
    assert factors is not None and factors[0] > 2 - 0.5 and factors[2] > 2 - 0.5
    assert obj.value(apply_spread(narrow, factors)) < obj.value(narrow)
    well = np.stack([np.full(600, 100.0), np.full(600, 87.2), np.full(600, 100.0),
                     np.full(600, 112.8)], axis=1)
    kept = calibrate_spread(well, obj, (0.1, 0.5, 0.9))
    assert kept is None or np.allclose(kept, 1.0, atol=0.15)


def test_spread_is_not_calibrated_on_a_tiny_panel() -> None:
    """3 series x 2 windows are 6 (series, window) pairs: too few to trust a held-out check,
    even though the bands are too narrow (the electricity sample's case)."""
    from forecasthub.automl.spread import MIN_CELLS, calibrate_spread

    rng = np.random.default_rng(0)
    y = rng.normal(100, 10, 144)
    series = np.repeat(np.arange(3), 48)
    window = np.tile(np.repeat([0, 1], 24), 3)
    assert 3 * 2 < MIN_CELLS
    obj = Objective(WQL, y, window, series, np.ones_like(y), (0.1, 0.5, 0.9))
    narrow = np.stack([np.full(144, 100.0), np.full(144, 95.0), np.full(144, 100.0),
                       np.full(144, 105.0)], axis=1)
    assert calibrate_spread(narrow, obj, (0.1, 0.5, 0.9)) is None

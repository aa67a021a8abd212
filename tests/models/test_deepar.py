"""DeepAR (GluonTS, PyTorch): contract, reproducibility, persistence, covariates, cold start.

Tiny data and a few training batches; skipped cleanly when the `deep` extra is not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.models import registry
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.frames import check_forecast
from forecasthub.models.gluonts_common import deep_available, period_freq

needs_deep = pytest.mark.skipif(not deep_available(thorough=True),
                                reason="the `deep` extra (torch, gluonts, lightning) is missing")

FAST = {"epochs": 2, "num_batches_per_epoch": 8, "num_samples": 50, "num_cells": 16,
        "batch_size": 16}
ELECTRICITY = Path("/work/shared/data/amazon-forecast-samples/electricity/item-demand-time.csv")


def _panel(n_items: int = 6, n_points: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n_points)
    frames = []
    for k in range(n_items):
        level = 10 + 5 * k
        y = level + 3 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n_points)
        frames.append(pd.DataFrame({
            "item_id": f"i{k}",
            "timestamp": pd.date_range("2024-01-01", periods=n_points, freq="D"),
            "target": y,
        }))
    return pd.concat(frames, ignore_index=True)


def _related(panel: pd.DataFrame, horizon: int, future_value: float = 0.0) -> pd.DataFrame:
    """A promo flag over training + horizon; the future part set to ``future_value``."""
    rows = []
    for item, g in panel.groupby("item_id"):
        stamps = pd.date_range(g["timestamp"].min(), periods=len(g) + horizon, freq="D")
        promo = (np.arange(len(stamps)) % 5 == 0).astype(float)
        promo[len(g):] = future_value
        rows.append(pd.DataFrame({"item_id": item, "timestamp": stamps, "promo": promo}))
    return pd.concat(rows, ignore_index=True)


def _promo_panel(horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The panel with a promo flag that lifts the target by 20, and the flag as related."""
    panel = _panel()
    rel = _related(panel, horizon)
    panel = panel.merge(rel, on=["item_id", "timestamp"])
    panel["target"] += 20 * panel.pop("promo")
    return panel, rel


def _static_with_new() -> pd.DataFrame:
    """Item metadata of the six items plus "new", which has no history (group b: items 3-6)."""
    return pd.DataFrame({"item_id": [f"i{k}" for k in range(6)] + ["new"],
                         "group": ["a", "a", "a", "b", "b", "b", "b"],
                         "size": [1.0, 2, 3, 4, 5, 6, 7]})


@pytest.fixture(scope="module")
def ctx() -> ModelContext:
    return ModelContext(freq="D", season_length=7, horizon=7, seed=3)


@pytest.fixture(scope="module")
def fitted(ctx: ModelContext) -> Forecaster:
    from forecasthub.models.deepar import DeepAR

    return DeepAR(**FAST).fit(_panel(), ctx)


def test_unavailable_model_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(registry._REGISTRY, "DeepAR", raising=False)
    monkeypatch.setitem(registry._UNAVAILABLE, "DeepAR", "install the `deep` extra")
    with pytest.raises(InvalidInputError, match="deep"):
        registry.create_model("DeepAR")
    with pytest.raises(InvalidInputError, match="deep"):
        registry.model_name_for_arn("arn:aws:forecast:::algorithm/Deep_AR_Plus")


def test_period_freq() -> None:
    assert period_freq("h") == "h"
    assert period_freq("W-SUN") == "W-SUN"
    assert period_freq("MS") == "M"
    assert period_freq("3D") == "3D"
    pd.Period("2024-01-01", freq=period_freq("QS"))


@needs_deep
def test_arn_maps_to_deepar() -> None:
    assert registry.model_name_for_arn("arn:aws:forecast:::algorithm/Deep_AR_Plus") == "DeepAR"
    with pytest.raises(InvalidInputError, match="likelihood"):
        registry.create_model("DeepAR", likelihood="beta")


@needs_deep
def test_fit_predict_shapes_and_quantiles(fitted: Forecaster, ctx: ModelContext) -> None:
    fcst = fitted.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    assert sorted(fcst["item_id"].unique()) == [f"i{k}" for k in range(6)]
    assert (fcst.groupby("item_id")["timestamp"].min() == pd.Timestamp("2024-03-01")).all()
    q = fcst[["p10", "p50", "p90"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()
    subset = fitted.predict(items=["i2"])
    pd.testing.assert_frame_equal(subset, fcst[fcst.item_id == "i2"].reset_index(drop=True))


@needs_deep
def test_reproducible_under_seed(fitted: Forecaster, ctx: ModelContext) -> None:
    from forecasthub.models.deepar import DeepAR

    again = DeepAR(**FAST).fit(_panel(), ctx)
    pd.testing.assert_frame_equal(again.predict(), fitted.predict())


@needs_deep
def test_save_load_round_trip(fitted: Forecaster, tmp_path: Path) -> None:
    fitted.save(tmp_path / "m.pkl")
    loaded = Forecaster.load(tmp_path / "m.pkl")
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())


@needs_deep
@pytest.mark.slow
def test_fresh_process_predicts_identically(fitted: Forecaster, tmp_path: Path) -> None:
    fitted.save(tmp_path / "m.pkl")
    script = textwrap.dedent(f"""
        from forecasthub.models.base import Forecaster
        Forecaster.load({str(tmp_path / 'm.pkl')!r}).predict().to_pickle(
            {str(tmp_path / 'f.pkl')!r})
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    pd.testing.assert_frame_equal(pd.read_pickle(tmp_path / "f.pkl"), fitted.predict())


@needs_deep
def test_related_covariates_are_used(ctx: ModelContext) -> None:
    from forecasthub.models.deepar import DeepAR

    panel, rel = _promo_panel(ctx.horizon)
    model = DeepAR(**FAST).fit(panel, ctx, related=rel)
    low = model.predict(future_related=_related(panel, ctx.horizon, 0.0))
    high = model.predict(future_related=_related(panel, ctx.horizon, 1.0))
    assert not np.allclose(low["mean"], high["mean"])
    with pytest.raises(Exception, match="future"):
        model.predict()


@needs_deep
def test_cold_start_item_gets_a_forecast(ctx: ModelContext) -> None:
    from forecasthub.models.deepar import DeepAR

    model = DeepAR(**FAST).fit(_panel(), ctx, static=_static_with_new())
    assert model._categories["group"] == ["a", "b"]
    fcst = model.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    new = fcst[fcst.item_id == "new"]
    assert len(new) == ctx.horizon
    assert new["timestamp"].min() == pd.Timestamp("2024-03-01")
    assert new["mean"].mean() > 0
    pd.testing.assert_frame_equal(model.predict(items=["new"]), new.reset_index(drop=True))


@needs_deep
@pytest.mark.skipif(not ELECTRICITY.exists(), reason="electricity sample missing")
def test_electricity_sample_finite_forecasts() -> None:
    from forecasthub.models.deepar import DeepAR

    raw = pd.read_csv(ELECTRICITY, header=None, names=["timestamp", "target", "item_id"],
                      parse_dates=["timestamp"])
    train = (raw
             .groupby("item_id").tail(24 * 28)  # four weeks per client keeps it quick
             .sort_values(["item_id", "timestamp"]).reset_index(drop=True))
    ctx = ModelContext(freq="h", season_length=24, horizon=24, seed=0)
    model = DeepAR(epochs=2, num_batches_per_epoch=10, num_samples=50).fit(train, ctx)
    fcst = model.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    assert fcst["item_id"].nunique() == train["item_id"].nunique()

"""TFT (GluonTS Temporal Fusion Transformer, PyTorch): contract, quantiles it is trained on,
reproducibility, persistence, covariates, cold start, the electricity sample.

Tiny data and a few training batches; skipped cleanly when the `deep` extra is not installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.models import registry
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.frames import check_forecast
from forecasthub.models.gluonts_common import deep_available
from tests.models.test_deepar import _panel, _promo_panel, _related, _static_with_new

needs_deep = pytest.mark.skipif(not deep_available(thorough=True),
                                reason="the `deep` extra (torch, gluonts, lightning) is missing")

FAST = {"epochs": 2, "num_batches_per_epoch": 8, "batch_size": 16, "hidden_dim": 16,
        "variable_dim": 8}
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "amazon-forecast-samples"
USAGE = SAMPLES / "electricity" / "electricityusagedata.csv"
COLD_META = SAMPLES / "cold-start" / "itemMetaData.csv"


@pytest.fixture(scope="module")
def ctx() -> ModelContext:
    return ModelContext(freq="D", season_length=7, horizon=7, seed=3)


@pytest.fixture(scope="module")
def fitted(ctx: ModelContext) -> Forecaster:
    from forecasthub.models.tft import TFT

    return TFT(**FAST).fit(_panel(), ctx)


def test_without_the_deep_extra_both_networks_name_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from forecasthub.models import gluonts_common

    monkeypatch.setattr(gluonts_common, "deep_available", lambda thorough=False: False)
    # registration as on a machine without the extra, on copies of the registry's tables
    monkeypatch.setattr(registry, "_REGISTRY", {k: v for k, v in registry._REGISTRY.items()
                                                if k not in registry.DEEP_MODELS})
    monkeypatch.setattr(registry, "_UNAVAILABLE", dict(registry._UNAVAILABLE))
    registry._register_deep()
    assert not registry.deep_models_available()
    for name, arn in (("TFT", "TFT"), ("DeepAR", "Deep_AR_Plus")):
        assert name not in registry.model_names()
        with pytest.raises(InvalidInputError, match="`deep` extra"):
            registry.create_model(name)
        with pytest.raises(InvalidInputError, match="`deep` extra"):
            registry.model_name_for_arn(f"arn:aws:forecast:::algorithm/{arn}")


@needs_deep
def test_registered_with_its_own_arn() -> None:
    assert registry.model_name_for_arn("arn:aws:forecast:::algorithm/TFT") == "TFT"
    assert "arn:aws:forecast:::algorithm/TFT" in registry.supported_algorithm_arns()
    assert registry.arn_for_model("TFT") is None  # no Amazon twin: .../algorithm/TFT is ours
    assert registry.get_model_class("TFT").is_global
    with pytest.raises(InvalidInputError, match="num_heads"):
        registry.create_model("TFT", hidden_dim=10, num_heads=4)
    with pytest.raises(InvalidInputError, match="epochs"):
        registry.create_model("TFT", epochs=0)


@needs_deep
def test_fit_predict_shapes_and_quantiles(fitted: Forecaster, ctx: ModelContext) -> None:
    fcst = fitted.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    assert sorted(fcst["item_id"].unique()) == [f"i{k}" for k in range(6)]
    assert (fcst.groupby("item_id")["timestamp"].min() == pd.Timestamp("2024-03-01")).all()
    q = fcst[["p10", "p50", "p90"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()
    assert (q[:, 2] > q[:, 0]).mean() > 0.9  # a real spread, not a point forecast
    np.testing.assert_array_equal(fcst["mean"], fcst["p50"])  # documented: mean = p50
    # levels follow the data: item k sits around 10 + 5k
    level = fcst.groupby("item_id")["p50"].mean().to_numpy()
    assert (np.diff(level) > 0).all()
    subset = fitted.predict(items=["i2"])
    pd.testing.assert_frame_equal(subset, fcst[fcst.item_id == "i2"].reset_index(drop=True))
    assert fitted.epochs_run >= 1 and fitted.best_val_loss is not None  # validation window


@needs_deep
def test_trained_on_exactly_the_requested_quantiles() -> None:
    from forecasthub.models.tft import TFT, trained_quantiles

    assert trained_quantiles((0.1, 0.9)) == [0.1, 0.5, 0.9]
    assert trained_quantiles((0.05, 0.5, 0.99)) == [0.05, 0.5, 0.99]
    ctx = ModelContext(freq="D", season_length=7, horizon=5, seed=1, quantiles=(0.05, 0.9, 0.99))
    model = TFT(**FAST).fit(_panel(n_items=3), ctx)
    assert model.quantiles == [0.05, 0.5, 0.9, 0.99]
    predictor = model._get_predictor()
    assert [float(q) for q in predictor.forecast_generator.quantiles] == [0.05, 0.5, 0.9, 0.99]
    fcst = model.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    assert list(fcst.columns) == ["item_id", "timestamp", "mean", "p5", "p90", "p99"]


@needs_deep
def test_series_of_very_different_size_are_scaled(ctx: ModelContext) -> None:
    from forecasthub.models.tft import TFT

    panel = _panel(n_items=4)
    big = panel.item_id.isin(["i1", "i3"])
    panel.loc[big, "target"] *= 1000  # levels ~15 and ~25 thousand next to ~10 and ~20
    model = TFT(**FAST).fit(panel, ctx)
    assert 9 < model._scales["i0"] < 11 and 14_000 < model._scales["i1"] < 16_000
    level = model.predict().groupby("item_id")["p50"].mean()
    truth = panel.groupby("item_id")["target"].mean()
    # each series is scaled down for the network and its forecast scaled back to its level
    assert ((level / truth) - 1).abs().max() < 0.5
    hourly = ModelContext(freq="h", season_length=24, horizon=24)
    assert TFT(context_length=None)._context_for(hourly) == 168  # a week of hours
    assert TFT(context_length=None)._context_for(ctx) == 28  # four weeks of days


@needs_deep
def test_reproducible_under_seed(fitted: Forecaster, ctx: ModelContext) -> None:
    from forecasthub.models.tft import TFT

    again = TFT(**FAST).fit(_panel(), ctx)
    pd.testing.assert_frame_equal(again.predict(), fitted.predict())
    other = TFT(**FAST).fit(_panel(), ModelContext(freq="D", season_length=7, horizon=7, seed=4))
    assert not np.allclose(other.predict()["p50"], fitted.predict()["p50"])


@needs_deep
def test_save_load_round_trip(fitted: Forecaster, tmp_path: Path) -> None:
    fitted.save(tmp_path / "m.pkl")
    loaded = Forecaster.load(tmp_path / "m.pkl")
    assert loaded._predictor is None  # rebuilt from the CPU state dict
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())


@needs_deep
def test_related_covariates_and_holidays_are_used(ctx: ModelContext) -> None:
    from forecasthub.models.tft import TFT

    panel, rel = _promo_panel(ctx.horizon)
    holiday_ctx = ModelContext(freq="D", season_length=7, horizon=7, seed=3,
                               holidays_country="US")
    model = TFT(**FAST).fit(panel, holiday_ctx, related=rel)
    assert model._num_dynamic() == 2  # promo + the US holiday flag
    low = model.predict(future_related=_related(panel, ctx.horizon, 0.0))
    high = model.predict(future_related=_related(panel, ctx.horizon, 1.0))
    assert not np.allclose(low["mean"], high["mean"])
    with pytest.raises(ModelError, match="future"):
        model.predict()


@needs_deep
def test_cold_start_item_gets_a_forecast(ctx: ModelContext) -> None:
    from forecasthub.models.tft import TFT

    model = TFT(**FAST).fit(_panel(), ctx, static=_static_with_new())
    assert model._cardinality() == [2]
    fcst = model.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    new = fcst[fcst.item_id == "new"]
    assert len(new) == ctx.horizon
    assert new["timestamp"].min() == pd.Timestamp("2024-03-01")
    q = new[["p10", "p50", "p90"]].to_numpy()
    assert np.isfinite(q).all() and (np.diff(q, axis=1) >= 0).all()
    # peers of group b are items 3..5 (levels 25..35): the new item lands near them
    assert 15 < new["p50"].mean() < 45
    pd.testing.assert_frame_equal(model.predict(items=["new"]), new.reset_index(drop=True))
    with pytest.raises(ModelError, match="nope"):
        model.predict(items=["nope"])


def _usage(days: int) -> pd.DataFrame:
    raw = pd.read_csv(USAGE, header=None, names=["timestamp", "target", "item_id"],
                      parse_dates=["timestamp"])
    return (raw.sort_values(["item_id", "timestamp"]).groupby("item_id").tail(24 * days)
            .reset_index(drop=True))


@needs_deep
@pytest.mark.skipif(not USAGE.exists() or not COLD_META.exists(),
                    reason="electricity / cold-start samples missing (/work/shared/data)")
def test_electricity_sample_with_cold_start_clients() -> None:
    """Ten real clients, hourly, their type (A-D) as metadata; client_370..373 have metadata
    but no history (Amazon's cold-start sample)."""
    from forecasthub.models.tft import TFT

    train = _usage(days=21)
    meta = pd.read_csv(COLD_META, encoding="utf-8-sig")
    meta = meta[meta.item_id.isin(set(train.item_id)) |
                meta.item_id.isin([f"client_{k}" for k in range(370, 374)])]
    ctx = ModelContext(freq="h", season_length=24, horizon=24, seed=0)
    model = TFT(epochs=2, num_batches_per_epoch=10).fit(train, ctx, static=meta)
    fcst = model.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    assert fcst["item_id"].nunique() == train["item_id"].nunique() + 4
    cold = fcst[fcst.item_id.isin([f"client_{k}" for k in range(370, 374)])]
    assert len(cold) == 4 * 24
    assert (cold[["p10", "p50", "p90"]] >= 0).all().all()
    assert (cold["p90"] >= cold["p10"]).all()

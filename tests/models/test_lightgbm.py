"""Global LightGBM: related covariates, item metadata, cold start, holidays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.models import ModelContext
from forecasthub.models.features import HolidayFlag
from forecasthub.models.tree import LightGBM

SMALL = dict(n_estimators=30, num_leaves=15, min_child_samples=5)


@pytest.fixture(scope="module")
def promo_data() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Four items, demand doubles on promotion days; related covers the horizon."""
    rng = np.random.default_rng(1)
    stamps = pd.date_range("2024-01-01", periods=120 + 7, freq="D")
    train, related = [], []
    for i, item in enumerate(["a", "b", "c", "d"]):
        promo = (rng.random(len(stamps)) < 0.3).astype(float)
        y = (10 + 3 * i) * (1 + promo) + rng.normal(0, 0.5, len(stamps))
        related.append(pd.DataFrame({"item_id": item, "timestamp": stamps, "promo": promo}))
        train.append(pd.DataFrame({"item_id": item, "timestamp": stamps[:120], "target": y[:120]}))
    static = pd.DataFrame({"item_id": ["a", "b", "c", "d", "new"],
                           "category": ["x", "x", "y", "y", "y"]})
    return pd.concat(train, ignore_index=True), pd.concat(related, ignore_index=True), static


def test_related_covariates_change_the_forecast(promo_data, ctx: ModelContext) -> None:
    train, related, _ = promo_data
    model = LightGBM(**SMALL).fit(train, ctx, related=related)
    base = model.predict(related)
    flipped = related.assign(promo=1.0 - related["promo"])
    other = model.predict(flipped)
    assert not np.allclose(base["mean"], other["mean"])
    with pytest.raises(ModelError, match="related"):
        model.predict()


def test_missing_future_covariates_are_reported(promo_data, ctx: ModelContext) -> None:
    train, related, _ = promo_data
    model = LightGBM(**SMALL).fit(train, ctx, related=related)
    short = related[related["timestamp"] < related["timestamp"].max()]
    with pytest.raises(ModelError, match="cover"):
        model.predict(short)


def test_cold_start_from_item_metadata(promo_data, ctx: ModelContext) -> None:
    train, related, static = promo_data
    model = LightGBM(**SMALL).fit(train, ctx, related=related, static=static)
    fcst = model.predict(related.assign(promo=0.0)._append(
        related[related.item_id == "a"].assign(item_id="new", promo=0.0)))
    assert set(fcst["item_id"]) == {"a", "b", "c", "d", "new"}
    new = fcst[fcst.item_id == "new"]
    assert len(new) == ctx.horizon and np.isfinite(new["mean"]).all()
    assert (np.diff(new[["p10", "p50", "p90"]].to_numpy(), axis=1) >= 0).all()
    with pytest.raises(ModelError, match="unknown"):
        model.predict(related, items=["unknown"])


def test_quantile_methods_and_transforms(promo_data, ctx: ModelContext) -> None:
    train, _, _ = promo_data
    for kwargs in ({"quantile_method": "quantile"}, {"target_transform": "difference"},
                   {"quantile_method": "conformal", "target_transform": "none"}):
        fcst = LightGBM(**SMALL, **kwargs).fit(train, ctx).predict()
        assert fcst[["mean", "p10", "p50", "p90"]].notna().all().all()
    with pytest.raises(InvalidInputError):
        LightGBM(quantile_method="bogus").fit(train, ctx)


def test_holiday_flags(promo_data) -> None:
    flag = HolidayFlag("US")
    days = pd.DatetimeIndex(["2024-07-04", "2024-07-05", "2024-12-25 13:00"])
    assert flag(days).tolist() == [1.0, 0.0, 1.0]
    assert HolidayFlag("UK").country == "GB"
    with pytest.raises(InvalidInputError):
        HolidayFlag("XX")
    train, _, _ = promo_data
    ctx = ModelContext(freq="D", season_length=7, horizon=7, holidays_country="US")
    fcst = LightGBM(**SMALL).fit(train, ctx).predict()
    assert len(fcst) == 4 * 7


def test_series_barely_longer_than_a_season_still_fit() -> None:
    """Weekly series of 53 points (season 52): the rolling-mean window shrinks to what the
    history allows instead of leaving no training rows (it used to fail with 'Input data must
    be 2 dimensional and non empty')."""
    rng = np.random.default_rng(0)
    stamps = pd.date_range("2020-01-05", periods=53, freq="W-SUN")
    train = pd.concat([pd.DataFrame({"item_id": f"i{i}", "timestamp": stamps,
                                     "target": rng.gamma(2.0, 10.0, stamps.size)})
                       for i in range(5)], ignore_index=True)
    ctx = ModelContext(freq="W-SUN", season_length=52, horizon=4)
    out = LightGBM(**SMALL).fit(train, ctx).predict()
    assert len(out) == 5 * 4
    assert np.isfinite(out[["mean", "p10", "p50", "p90"]].to_numpy()).all()
    assert (out["p10"] <= out["p50"]).all() and (out["p50"] <= out["p90"]).all()


def _panel(n_series: int, n_days: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    stamps = pd.date_range("2024-01-01", periods=n_days, freq="D")
    t = np.arange(n_days)
    return pd.concat([pd.DataFrame({
        "item_id": f"s{i}", "timestamp": stamps,
        "target": 20 + i + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1 + i % 3, n_days),
    }) for i in range(n_series)], ignore_index=True)


def test_residual_quantiles_use_more_holdout_windows_on_a_tiny_panel(
    ctx: ModelContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3 long series x 7 steps = 21 residuals a window: too few for p10/p90, so the
    calibration adds windows further back (up to MAX_CALIBRATION_WINDOWS); 50 series, or short
    series, keep one window."""
    from forecasthub.models.calibration import MAX_CALIBRATION_WINDOWS, MIN_RESIDUALS

    calls: list[pd.Timestamp] = []
    original = LightGBM._holdout_forecast

    def spy(self, head, tail, ctx):  # type: ignore[no-untyped-def]
        calls.append(tail["timestamp"].min())
        return original(self, head, tail, ctx)

    monkeypatch.setattr(LightGBM, "_holdout_forecast", spy)
    tiny = LightGBM(**SMALL).fit(_panel(3, 400), ctx)
    assert len(calls) == MAX_CALIBRATION_WINDOWS
    assert len(set(calls)) == len(calls)  # distinct windows, one horizon apart
    assert tiny._calibrator is not None
    fcst = tiny.predict()
    assert (fcst["p10"] < fcst["p50"]).all() and (fcst["p50"] < fcst["p90"]).all()

    calls.clear()
    assert 50 * ctx.horizon >= MIN_RESIDUALS
    LightGBM(**SMALL).fit(_panel(50, 60), ctx)
    assert len(calls) == 1
    calls.clear()
    LightGBM(**SMALL).fit(_panel(3, 120), ctx)  # 2 windows would span more than a tenth
    assert len(calls) == 1


def test_residual_quantiles_pool_several_windows() -> None:
    from forecasthub.models.calibration import WINDOW_KEY, ResidualQuantiles

    stamps = pd.date_range("2024-01-01", periods=4, freq="D")
    rows = []
    for w, (start, err) in enumerate([(0, 1.0), (2, -1.0)]):
        for k in range(2):
            rows.append({"item_id": "a", "timestamp": stamps[start + k], WINDOW_KEY: w,
                         "mean": 10.0, "target": 10.0 + err * (k + 1)})
    frame = pd.DataFrame(rows)
    rq = ResidualQuantiles((0.5,), horizon=2).fit(frame, frame, pd.Series({"a": 1.0}))
    # steps counted within each window: 4 residuals (1, 2, -1, -2) pooled, median 0
    assert rq.offsets.shape == (2, 1) and np.allclose(rq.offsets, 0.0)

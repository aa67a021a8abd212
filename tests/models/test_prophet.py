"""Prophet (the `prophet` extra): holidays, regressors, quantiles from predictive samples,
reproducibility, persistence, per-series independence; a clear error when it is missing.

The tests that fit need prophet; without it they skip with the reason (CI does not install
the extra), while the missing-extra behaviour is tested everywhere.
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

HOLIDAY = pd.Timestamp("2024-07-04")


@pytest.fixture(scope="module")
def prophet_cls() -> type[Forecaster]:
    pytest.importorskip("prophet", reason="the `prophet` extra is not installed")
    from forecasthub.models.prophet import Prophet

    return Prophet


def _holiday_series(n_items: int = 1, seed: int = 0) -> pd.DataFrame:
    """Daily 2021-01-01 .. 2024-06-30: level + weekly pattern + noise, +60 on US holidays."""
    import holidays

    stamps = pd.date_range("2021-01-01", "2024-06-30", freq="D")
    days = pd.DatetimeIndex(list(holidays.country_holidays("US", years=range(2020, 2025))))
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n_items):
        y = (100 + 10 * k + 8 * np.sin(2 * np.pi * stamps.dayofweek / 7)
             + 60 * stamps.isin(days) + rng.normal(0, 2, len(stamps)))
        frames.append(pd.DataFrame({"item_id": f"s{k}", "timestamp": stamps, "target": y}))
    return pd.concat(frames, ignore_index=True)


def _spike(fcst: pd.DataFrame, col: str = "mean") -> float:
    """Forecast on the holiday minus the mean of the other horizon days."""
    on = fcst.loc[fcst.timestamp == HOLIDAY, col].mean()
    off = fcst.loc[fcst.timestamp != HOLIDAY, col].mean()
    return float(on - off)


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from forecasthub.models import prophet as module

    monkeypatch.setattr(module, "prophet_available", lambda: False)
    # registration as on a machine without the extra, on copies of the registry's tables
    monkeypatch.setattr(registry, "_REGISTRY", {k: v for k, v in registry._REGISTRY.items()
                                                if k != "Prophet"})
    monkeypatch.setattr(registry, "_UNAVAILABLE", dict(registry._UNAVAILABLE))
    registry._register_prophet()
    assert "Prophet" not in registry.model_names()
    for call in (lambda: registry.create_model("Prophet"),
                 lambda: registry.model_name_for_arn("arn:aws:forecast:::algorithm/Prophet")):
        with pytest.raises(InvalidInputError, match=r"prophet.*extra|extra.*prophet"):
            call()
    panel = _holiday_series()
    with pytest.raises(ModelError, match="prophet"):
        module.Prophet().fit(panel, ModelContext(freq="D", season_length=7, horizon=7))


def test_arn_is_amazons_prophet(prophet_cls: type[Forecaster]) -> None:
    assert registry.model_name_for_arn("arn:aws:forecast:::algorithm/Prophet") == "Prophet"
    assert registry.arn_for_model("Prophet") == "arn:aws:forecast:::algorithm/Prophet"
    assert not prophet_cls.is_global
    with pytest.raises(InvalidInputError, match="growth"):
        registry.create_model("Prophet", growth="logistic")
    with pytest.raises(InvalidInputError, match="uncertainty_samples"):
        registry.create_model("Prophet", uncertainty_samples=1)


def test_holidays_change_the_forecast_around_a_holiday(prophet_cls: type[Forecaster]) -> None:
    panel = _holiday_series()
    plain = ModelContext(freq="D", season_length=7, horizon=14, seed=1)
    with_us = ModelContext(freq="D", season_length=7, horizon=14, seed=1,
                           holidays_country="US")
    without = prophet_cls().fit(panel, plain).predict()
    holiday = prophet_cls().fit(panel, with_us).predict()
    check_forecast(holiday, with_us.quantiles, with_us.horizon)
    assert HOLIDAY in set(holiday.timestamp)
    assert abs(_spike(without)) < 15  # no holiday effect: July 4th looks like any day
    assert 40 < _spike(holiday) < 80  # the +60 holiday lift is learned
    assert _spike(holiday, "p10") > 30 and _spike(holiday, "p90") > 30


def test_quantiles_from_samples_and_reproducible(prophet_cls: type[Forecaster]) -> None:
    panel = _holiday_series(n_items=3)
    ctx = ModelContext(freq="D", season_length=7, horizon=7, seed=2,
                       quantiles=(0.1, 0.5, 0.9, 0.99), holidays_country="US")
    model = prophet_cls(uncertainty_samples=300)
    fcst = model.fit(panel, ctx).predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    q = fcst[["p10", "p50", "p90", "p99"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all() and (q[:, 3] > q[:, 0]).all()
    # noise sd 2 once holidays are modelled: the 80% interval is a few units wide
    width = fcst["p90"] - fcst["p10"]
    assert ((width > 2) & (width < 20)).all()
    assert (abs(fcst["mean"] - fcst["p50"]) < 2).all()
    again = prophet_cls(uncertainty_samples=300).fit(panel, ctx).predict()
    pd.testing.assert_frame_equal(again, fcst)
    # series are independent: fitting one alone gives its rows of the whole fit (shardable)
    alone = prophet_cls(uncertainty_samples=300).fit(panel[panel.item_id == "s1"], ctx)
    pd.testing.assert_frame_equal(alone.predict(),
                                  fcst[fcst.item_id == "s1"].reset_index(drop=True))


def test_save_load_round_trip(prophet_cls: type[Forecaster], tmp_path: Path) -> None:
    panel = _holiday_series(n_items=2)
    ctx = ModelContext(freq="D", season_length=7, horizon=7, holidays_country="US")
    fitted = prophet_cls().fit(panel, ctx)
    fitted.save(tmp_path / "m.pkl")
    loaded = Forecaster.load(tmp_path / "m.pkl")
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())
    pd.testing.assert_frame_equal(loaded.predict(items=["s1"]),
                                  fitted.predict(items=["s1"]))


def test_related_series_are_regressors(prophet_cls: type[Forecaster]) -> None:
    panel = _holiday_series(n_items=2)
    ctx = ModelContext(freq="D", season_length=7, horizon=7, seed=0)
    stamps = pd.date_range(panel.timestamp.min(), periods=panel.timestamp.nunique() + 7,
                           freq="D")
    promo = (np.arange(len(stamps)) % 5 == 0).astype(float)
    promo[-7:] = [1, 0, 1, 0, 1, 0, 1]

    related = pd.concat([pd.DataFrame({"item_id": i, "timestamp": stamps, "promo": promo})
                         for i in ("s0", "s1")], ignore_index=True)
    lifted = panel.merge(related, on=["item_id", "timestamp"])
    lifted["target"] += 30 * lifted.pop("promo")
    fcst = prophet_cls().fit(lifted, ctx, related=related).predict()
    on = fcst.groupby(fcst.timestamp.isin(stamps[-7:][::2]))["mean"].mean()
    assert on[True] - on[False] > 20  # promo days forecast ~30 higher
    short = related[related.timestamp < stamps[-3]]
    with pytest.raises(ModelError, match="cover"):
        prophet_cls().fit(lifted, ctx, related=short)


def test_holiday_country_is_checked(prophet_cls: type[Forecaster]) -> None:
    ctx = ModelContext(freq="D", season_length=7, horizon=7, holidays_country="XX")
    with pytest.raises(InvalidInputError, match="XX"):
        prophet_cls().fit(_holiday_series(), ctx)

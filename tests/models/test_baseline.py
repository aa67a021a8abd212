"""The vectorised baselines equal statsforecast's models (the slow per-series reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasthub.models import ModelContext
from forecasthub.models.baseline import Mean, Naive, SeasonalNaive
from forecasthub.models.frames import from_intervals, levels_for, to_nixtla


def _reference(model: object, train: pd.DataFrame, ctx: ModelContext) -> pd.DataFrame:
    from statsforecast import StatsForecast

    sf = StatsForecast(models=[model], freq=ctx.freq)
    fcst = sf.forecast(df=to_nixtla(train), h=ctx.horizon, level=levels_for(ctx.quantiles))
    return from_intervals(fcst, model.alias, ctx.quantiles)  # type: ignore[attr-defined]


@pytest.mark.parametrize("ours", [SeasonalNaive, Naive, Mean])
def test_baseline_equals_statsforecast(ours: type, panel: pd.DataFrame) -> None:
    from statsforecast import models as sfm

    ctx = ModelContext(freq="D", season_length=7, horizon=10, quantiles=(0.05, 0.1, 0.5, 0.9))
    data = panel[panel.item_id != "short"]
    data = data.assign(target=data["target"] - 3.0)  # negative values: no clipping at zero
    reference = {SeasonalNaive: sfm.SeasonalNaive(7), Naive: sfm.Naive(),
                 Mean: sfm.HistoricAverage()}[ours]
    expected = _reference(reference, data, ctx)
    got = ours().fit(data, ctx).predict()
    pd.testing.assert_frame_equal(got[["item_id", "timestamp"]], expected[["item_id", "timestamp"]])
    np.testing.assert_allclose(got.iloc[:, 2:].to_numpy(), expected.iloc[:, 2:].to_numpy(),
                               rtol=1e-9, atol=1e-9)


def test_conformal_option_uses_statsforecast(panel: pd.DataFrame, ctx: ModelContext) -> None:
    data = panel[panel.item_id.isin(["seasonal", "trend"])]
    fcst = SeasonalNaive(conformal_windows=2).fit(data, ctx).predict()
    assert (fcst["p90"] >= fcst["p10"]).all() and len(fcst) == 2 * ctx.horizon

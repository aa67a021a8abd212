"""Per-series fallbacks are used and recorded, never fatal."""

from __future__ import annotations

import pandas as pd

from forecasthub.automl.fallback import FallbackForecaster
from forecasthub.errors import ModelError
from forecasthub.models import ModelContext
from forecasthub.models.frames import check_forecast
from forecasthub.models.statistical import ETS


class _FailsOn(ETS):
    """ETS that fails whenever the batch contains ``bad`` (a series-level library failure)."""

    name = "FailsOn"

    def __init__(self, bad: str) -> None:
        super().__init__()
        self.bad = bad

    def _forecast_all(self, train: pd.DataFrame, ctx: ModelContext) -> pd.DataFrame:
        if (train["item_id"] == self.bad).any():
            raise ModelError(f"cannot fit {self.bad}")
        return super()._forecast_all(train, ctx)


def test_short_and_zero_series_fall_back(panel: pd.DataFrame, ctx: ModelContext) -> None:
    model = FallbackForecaster(ETS(conformal_windows=2), stage="test").fit(panel, ctx)
    fcst = model.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    assert fcst["item_id"].nunique() == 5
    by_item = {i: r for r in model.records for i in r.items}
    assert set(by_item) == {"short", "zeros"}
    assert by_item["short"].fallback == "Naive" and "fewer than" in by_item["short"].reason
    assert by_item["zeros"].reason.startswith("all-zero")
    assert by_item["zeros"].stage == "test"
    assert (fcst[fcst.item_id == "zeros"][["mean", "p10", "p90"]] == 0).all().all()


def test_failing_series_is_isolated(panel: pd.DataFrame, ctx: ModelContext) -> None:
    healthy = panel[panel.item_id.isin(["seasonal", "trend", "intermittent"])]
    model = FallbackForecaster(_FailsOn("trend")).fit(healthy, ctx)
    (record,) = model.records
    assert record.items == ("trend",) and record.model == "FailsOn"
    assert "cannot fit trend" in record.reason and record.fallback == "SeasonalNaive"
    assert model.predict()["item_id"].nunique() == 3
    assert record.to_dict()["item_count"] == 1

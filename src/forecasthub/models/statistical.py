"""statsforecast adapters: ETS, ARIMA, Theta, CES and the intermittent-demand models (Croston,
ADIDA, IMAPA, TSB); the baselines live in :mod:`baseline`.

Quantiles come from prediction intervals: quantile q < 0.5 is the lower bound of the central
``(1 - 2q)`` interval, q > 0.5 the upper bound of ``(2q - 1)``; the median is the point forecast
(symmetric intervals, so median = mean). Models without native intervals use statsforecast's
``ConformalIntervals`` (residuals of ``conformal_windows`` rolling windows of ``horizon`` steps).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import pandas as pd

from forecasthub.errors import ModelError
from forecasthub.models.base import ModelContext
from forecasthub.models.frames import from_intervals, levels_for, to_nixtla
from forecasthub.models.local import LocalForecaster


class StatsForecastModel(LocalForecaster):
    """One statsforecast model over all series, forecast in a single ``forecast`` pass."""

    conformal: ClassVar[bool] = False  # no native intervals: always conformal
    # Fit on at most max(history_points, history_seasons * season) recent points: optimisers
    # slow down with length (AutoARIMA on 8,000 hourly points: minutes per series) for
    # little gain; AutoGluon caps local models similarly (max_ts_length).
    history_points: ClassVar[int] = 1000
    history_seasons: ClassVar[int] = 20

    def __init__(
        self,
        n_jobs: int = 1,
        conformal_windows: int | None = None,
        max_length: int | None = None,
        **params: Any,
    ) -> None:
        """Args:
        n_jobs: statsforecast worker processes.
        conformal_windows: use conformal intervals with this many windows (None = native
            intervals where the model has them, 2 windows otherwise).
        max_length: most recent points per series to fit on (None = the class default;
            0 = all).
        params: passed to the statsforecast model.
        """
        super().__init__()
        self.n_jobs = n_jobs
        self.conformal_windows = conformal_windows
        self.max_length = max_length
        self.params = params

    def history_limit(self, ctx: ModelContext) -> int | None:
        if self.max_length == 0:
            return None
        if self.max_length is not None:
            return self.max_length
        return max(self.history_points, self.history_seasons * max(ctx.season_length, 1))

    def _windows(self) -> int | None:
        if self.conformal_windows is not None:
            return self.conformal_windows
        return 2 if self.conformal else None

    def required_length(self, ctx: ModelContext) -> int:
        windows = self._windows()
        need = windows * ctx.horizon + 1 if windows else 0
        return max(self.min_length, need)

    @abstractmethod
    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        """The statsforecast model instance."""

    def _forecast_all(self, train: pd.DataFrame, ctx: ModelContext) -> pd.DataFrame:
        from statsforecast import StatsForecast
        from statsforecast.utils import ConformalIntervals

        windows = self._windows()
        intervals = ConformalIntervals(h=ctx.horizon, n_windows=windows) if windows else None
        model = self._model(ctx, intervals)
        levels = levels_for(ctx.quantiles)
        sf = StatsForecast(models=[model], freq=ctx.freq, n_jobs=self.n_jobs)
        limit = self.history_limit(ctx)
        if limit is not None:
            train = train.groupby("item_id", sort=False, observed=True).tail(limit)
        df = to_nixtla(train[["item_id", "timestamp", "target"]])
        try:
            fcst = sf.forecast(df=df, h=ctx.horizon, level=levels or None)
        except Exception as e:  # library errors have no common base class
            raise ModelError(f"{self.name} failed: {type(e).__name__}: {e}") from e
        return from_intervals(fcst, model.alias, ctx.quantiles)


class ETS(StatsForecastModel):
    name = "ETS"
    min_length = 3
    cost_per_series = 0.07

    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        from statsforecast.models import AutoETS

        return AutoETS(season_length=ctx.season_length, prediction_intervals=intervals,
                       **self.params)


class ARIMA(StatsForecastModel):
    name = "ARIMA"
    min_length = 3
    cost_per_series = 0.2
    history_points = 300
    history_seasons = 6

    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        from statsforecast.models import AutoARIMA

        return AutoARIMA(season_length=ctx.season_length, prediction_intervals=intervals,
                         **self.params)


class Theta(StatsForecastModel):
    """DynamicOptimizedTheta (the M4-strong variant; AutoTheta with ``auto=True``)."""

    name = "Theta"
    min_length = 3
    cost_per_series = 0.02

    def __init__(self, auto: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.auto = auto

    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        from statsforecast.models import AutoTheta, DynamicOptimizedTheta

        cls = AutoTheta if self.auto else DynamicOptimizedTheta
        return cls(season_length=ctx.season_length, alias="Theta",
                   prediction_intervals=intervals, **self.params)


class CES(StatsForecastModel):
    name = "CES"
    min_length = 3
    cost_per_series = 0.06  # measured: ~94 ms per 156-point weekly series with simulated intervals

    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        from statsforecast.models import AutoCES

        return AutoCES(season_length=ctx.season_length, alias="CES",
                       prediction_intervals=intervals, **self.params)


class Croston(StatsForecastModel):
    """CrostonOptimized for intermittent demand; conformal quantiles."""

    name = "Croston"
    conformal = True
    cost_per_series = 0.002

    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        from statsforecast.models import CrostonOptimized

        return CrostonOptimized(alias="Croston", prediction_intervals=intervals)


class ADIDA(StatsForecastModel):
    name = "ADIDA"
    conformal = True
    cost_per_series = 0.002

    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        from statsforecast.models import ADIDA as _ADIDA

        return _ADIDA(prediction_intervals=intervals)


class IMAPA(StatsForecastModel):
    name = "IMAPA"
    conformal = True
    cost_per_series = 0.003

    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        from statsforecast.models import IMAPA as _IMAPA

        return _IMAPA(prediction_intervals=intervals)


class TSB(StatsForecastModel):
    name = "TSB"
    conformal = True
    cost_per_series = 0.002

    def _model(self, ctx: ModelContext, intervals: Any) -> Any:
        from statsforecast.models import TSB as _TSB

        alpha_d = self.params.get("alpha_d", 0.2)
        alpha_p = self.params.get("alpha_p", 0.2)
        return _TSB(alpha_d=alpha_d, alpha_p=alpha_p, prediction_intervals=intervals)

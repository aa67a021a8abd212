"""Base of local (per-series) models: they forecast while fitting and keep only the forecast.

A local model without covariates has nothing left to decide at predict time, so we use the
libraries' one-pass ``forecast`` (no per-series model objects kept in memory) and ``predict``
returns the stored frame. Saving and loading therefore reproduce the forecast exactly.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, TARGET, quantile_column
from forecasthub.errors import ModelError
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.frames import check_train, finalize, select_items


class LocalForecaster(Forecaster):
    """Fit = forecast every series once; predict = the stored forecast (optionally a subset)."""

    def __init__(self) -> None:
        self.ctx: ModelContext | None = None
        self._forecast: pd.DataFrame | None = None

    def fit(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None = None,
        static: pd.DataFrame | None = None,
    ) -> LocalForecaster:
        check_train(train)
        train = fill_missing(train)
        frame = self._forecast_all(train, ctx)
        frame = clip_nonnegative(frame, train, ctx.quantiles)
        self.ctx, self._forecast = ctx, finalize(frame, ctx.quantiles)
        return self

    def predict(
        self,
        future_related: pd.DataFrame | None = None,
        items: list[str] | None = None,
    ) -> pd.DataFrame:
        if self._forecast is None:
            raise ModelError(f"{self.name} must be fitted before predict")
        return select_items(self._forecast, items).copy()

    @abstractmethod
    def _forecast_all(self, train: pd.DataFrame, ctx: ModelContext) -> pd.DataFrame:
        """Forecast frame (any row order) for every item of ``train``."""


def fill_missing(train: pd.DataFrame) -> pd.DataFrame:
    """Local models need complete series: interpolate NaN targets inside each series, carry the
    edges, and use 0 for a series with no value at all."""
    if not train[TARGET].isna().any():
        return train
    out = train.copy()
    grouped = out.groupby(ITEM_ID, observed=True, sort=False)[TARGET]
    out[TARGET] = grouped.transform(
        lambda s: s.interpolate(limit_direction="both")
    ).fillna(0.0)
    return out


def clip_nonnegative(
    frame: pd.DataFrame, train: pd.DataFrame, quantiles: tuple[float, ...]
) -> pd.DataFrame:
    """Clip forecasts at 0 for items whose history never goes below 0."""
    nonneg = train.groupby(ITEM_ID, observed=True)[TARGET].min().fillna(0) >= 0
    mask = frame[ITEM_ID].map(nonneg).fillna(False).to_numpy(dtype=bool)
    for col in ["mean", *(quantile_column(q) for q in quantiles)]:
        values = frame[col].to_numpy(dtype=float)
        frame[col] = np.where(mask, np.maximum(values, 0.0), values)
    return frame

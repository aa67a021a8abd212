"""NPTS (non-parametric time series) via GluonTS's ``NPTSPredictor``, seeded sampling."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import ModelError
from forecasthub.models.base import ModelContext
from forecasthub.models.frames import future_timestamps
from forecasthub.models.local import LocalForecaster


class NPTS(LocalForecaster):
    """Amazon Forecast's NPTS: samples past values with exponentially decaying weights."""

    name = "NPTS"
    min_length = 2
    cost_per_series = 0.01

    def __init__(
        self,
        num_samples: int = 100,
        context_length: int | None = None,
        use_seasonal_model: bool = True,
        kernel_type: str = "exponential",
        exp_kernel_weights: float = 1.0,
    ) -> None:
        super().__init__()
        self.num_samples = num_samples
        self.context_length = context_length
        self.use_seasonal_model = use_seasonal_model
        self.kernel_type = kernel_type
        self.exp_kernel_weights = exp_kernel_weights

    def _forecast_all(self, train: pd.DataFrame, ctx: ModelContext) -> pd.DataFrame:
        with warnings.catch_warnings():  # gluonts warns that orjson/ujson are missing
            warnings.simplefilter("ignore", UserWarning)
            from gluonts.model.npts import KernelType, NPTSPredictor

        predictor = NPTSPredictor(
            prediction_length=ctx.horizon,
            context_length=self.context_length,
            kernel_type=KernelType(self.kernel_type),
            exp_kernel_weights=self.exp_kernel_weights,
            use_seasonal_model=self.use_seasonal_model,
        )
        groups = train.groupby(ITEM_ID, sort=True, observed=True)
        dataset = [
            {
                "item_id": str(item),
                "start": pd.Period(g[TIMESTAMP].iloc[0], freq=ctx.freq),
                "target": g[TARGET].to_numpy(dtype=np.float32),
            }
            for item, g in groups
        ]
        state = np.random.get_state()
        np.random.seed(ctx.seed)
        try:
            forecasts = list(predictor.predict(dataset, num_samples=self.num_samples))
        except Exception as e:  # gluonts raises assorted errors on odd series
            raise ModelError(f"NPTS failed: {type(e).__name__}: {e}") from e
        finally:
            np.random.set_state(state)
        last = groups[TIMESTAMP].max()
        out = future_timestamps(last, ctx.freq, ctx.horizon)
        out[MEAN] = np.concatenate([f.mean for f in forecasts])
        for q in ctx.quantiles:
            out[quantile_column(q)] = np.concatenate([f.quantile(q) for f in forecasts])
        return out

"""Quantiles from holdout residuals, pooled across series after per-series scaling.

For each step k of the horizon, the q-quantile of ``(y - mean) / scale_i`` over all series of a
holdout window (or several: the ``calibration_window`` column) gives an offset; a forecast's
quantile is ``mean + scale_i * offset[k, q]``. Pooling makes the offsets stable with one window
of a big panel, a few windows for a small one (:data:`MIN_RESIDUALS`); scaling lets a series
with small values get a narrow band and a large one a wide band. Offsets can be asymmetric
(skewed errors).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.metrics import mase_scale

MIN_PER_STEP = 30  # fewer residuals than this per step: pool over all steps
# Holdout windows of a small panel: add windows until this many residuals (3 hourly series x 24
# steps: 72 per window -> 5 windows), up to MAX_CALIBRATION_WINDOWS; one refit per window.
MIN_RESIDUALS = 300
MAX_CALIBRATION_WINDOWS = 5
LONG_SERIES = 10  # ... and only while the windows span at most a tenth of the typical series
WINDOW_KEY = "calibration_window"  # optional column telling holdout windows apart


def series_scale(train: pd.DataFrame, season_length: int) -> pd.Series:
    """Per-item error scale: seasonal-naive in-sample MAE, else mean |y|, else 0."""
    scale = mase_scale(train, season_length)
    level = train[TARGET].abs().groupby(train[ITEM_ID], observed=True).mean()
    return scale.reindex(level.index).fillna(level).fillna(0.0)


class ResidualQuantiles:
    """Offsets ``[step, quantile]`` learnt from one or more holdout windows."""

    def __init__(self, quantiles: Sequence[float], horizon: int) -> None:
        self.quantiles = tuple(quantiles)
        self.horizon = horizon
        self.offsets = np.zeros((horizon, len(self.quantiles)))

    def fit(
        self, actual: pd.DataFrame, forecast: pd.DataFrame, scale: pd.Series
    ) -> ResidualQuantiles:
        """``actual``: item_id, timestamp, target; ``forecast``: item_id, timestamp, mean; both
        with a ``calibration_window`` column when they hold several holdout windows."""
        key = [ITEM_ID, TIMESTAMP] + ([WINDOW_KEY] if WINDOW_KEY in forecast.columns else [])
        joined = forecast[[*key, MEAN]].merge(
            actual[[*key, TARGET]], on=key
        ).sort_values(key[:1] + key[2:] + key[1:2])
        s = joined[ITEM_ID].map(scale).to_numpy(dtype=float)
        ok = np.isfinite(s) & (s > 0) & joined[TARGET].notna().to_numpy()
        joined = joined[ok]
        resid = (joined[TARGET] - joined[MEAN]).to_numpy(dtype=float) / s[ok]
        step = joined.groupby(key[:1] + key[2:], observed=True).cumcount().to_numpy()
        if resid.size == 0:
            return self
        pooled = np.quantile(resid, self.quantiles)
        for k in range(self.horizon):
            at_k = resid[step == k]
            self.offsets[k] = (np.quantile(at_k, self.quantiles) if at_k.size >= MIN_PER_STEP
                               else pooled)
        self.offsets = np.sort(self.offsets, axis=1)
        return self

    def apply(self, forecast: pd.DataFrame, scale: pd.Series) -> pd.DataFrame:
        """Add quantile columns to a frame sorted by item then time, ``horizon`` rows each."""
        out = forecast.sort_values([ITEM_ID, TIMESTAMP]).reset_index(drop=True)
        step = out.groupby(ITEM_ID, observed=True).cumcount().to_numpy()
        step = np.minimum(step, self.horizon - 1)
        s = out[ITEM_ID].map(scale).fillna(0.0).to_numpy(dtype=float)
        mean = out[MEAN].to_numpy(dtype=float)
        for j, q in enumerate(self.quantiles):
            out[quantile_column(q)] = mean + s * self.offsets[step, j]
        return out

"""Quantile spread calibration of the ensemble on its backtest forecasts.

Blending shrinks or widens the band of the members; for each quantile q a factor c rescales its
distance to the mean (``mean + c * (q - mean)``), c chosen on a grid to minimise the pinball
loss of the backtest points. Kept only when it lowers the held-out loss (leave one window out,
or one half of each series' points with a single window), like per-series weights, and only
with at least :data:`MIN_CELLS` (series, window) pairs: the points of one series in one window
share their errors, so 3 series x 2 windows of 24 hours are 6 observations, not 144, and the
held-out check then passes by chance (measured on the 3-client electricity sample over 8 origins:
factors at the grid's ends, mean wQL 0.129 without, 0.133 with).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecasthub.automl.objective import Objective
from forecasthub.automl.select import folds
from forecasthub.metrics import WQL, pinball

GRID = np.round(np.arange(0.5, 2.0001, 0.05), 2)
MIN_CELLS = 20  # fewer (series, window) pairs than this: keep the blend's own quantiles


def apply_spread(pred: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``pred`` [points, 1 + quantiles] with each quantile's distance to the mean rescaled."""
    out = pred.copy()
    out[:, 1:] = pred[:, :1] + factors * (pred[:, 1:] - pred[:, :1])
    out[:, 1:] = np.sort(out[:, 1:], axis=1)
    return out


def fit_spread(
    pred: np.ndarray, y: np.ndarray, quantiles: Sequence[float], rows: np.ndarray | None = None
) -> np.ndarray:
    """Per quantile, the grid factor with the lowest pinball loss on ``rows``."""
    mask = np.ones(y.size, dtype=bool) if rows is None else rows
    mean, yy = pred[mask, 0], y[mask]
    factors = np.ones(len(quantiles))
    for j, q in enumerate(quantiles):
        gap = pred[mask, 1 + j] - mean
        losses = [pinball(yy, mean + c * gap, q).sum() for c in GRID]
        factors[j] = GRID[int(np.argmin(losses))]
    return factors


def calibrate_spread(
    pred: np.ndarray, objective: Objective, quantiles: Sequence[float]
) -> np.ndarray | None:
    """Spread factors for the blended backtest forecast, or None when they don't help."""
    if objective.metric != WQL or not len(quantiles):
        return None
    if objective.n_series * objective.n_windows < MIN_CELLS:
        return None
    before = after = 0.0
    for held in folds(objective):
        fit_rows = ~held
        if not fit_rows.any() or not held.any():
            continue
        factors = fit_spread(pred, objective.y, quantiles, fit_rows)
        before += objective.value(pred, rows=held)
        after += objective.value(apply_spread(pred, factors), rows=held)
    if not after < before:
        return None
    return fit_spread(pred, objective.y, quantiles)

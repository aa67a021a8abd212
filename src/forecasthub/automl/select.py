"""Ensemble weights from backtest forecasts: greedy (Caruana) selection with replacement,
globally and per series, and the shrinkage of per-series weights toward the global ones.

``preds`` is ``[models, points, 1 + quantiles]`` (mean first), aligned with the Objective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasthub.automl.objective import Objective

SHRINKAGE_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)


def greedy_weights(
    preds: np.ndarray, objective: Objective, size: int = 25, rows: np.ndarray | None = None
) -> np.ndarray:
    """Caruana et al. (2004): repeatedly add (with replacement) the model that most lowers
    the ensemble's loss; return the weights of the best ensemble seen."""
    n_models = preds.shape[0]
    total = np.zeros(preds.shape[1:])
    counts = np.zeros(n_models)
    best, best_counts = np.inf, np.eye(n_models)[0]
    for k in range(1, size + 1):
        losses = [objective.value((total + preds[m]) / k, rows) for m in range(n_models)]
        choice = int(np.argmin(losses))
        total += preds[choice]
        counts[choice] += 1
        if losses[choice] < best - 1e-12:
            best, best_counts = losses[choice], counts.copy()
    return best_counts / best_counts.sum()


def per_series_weights(
    preds: np.ndarray, objective: Objective, size: int = 10, rows: np.ndarray | None = None
) -> np.ndarray:
    """Greedy selection run for every series at once: weights ``[series, models]``."""
    n_models = preds.shape[0]
    series = objective.series
    total = np.zeros(preds.shape[1:])
    counts = np.zeros((objective.n_series, n_models))
    best = np.full(objective.n_series, np.inf)
    best_counts = np.zeros_like(counts)
    best_counts[:, 0] = 1.0
    for k in range(1, size + 1):
        losses = np.stack([objective.series_loss((total + preds[m]) / k, rows)
                           for m in range(n_models)])  # [models, series]
        choice = np.argmin(losses, axis=0)
        total += preds[choice[series], np.arange(series.size)]
        counts[np.arange(objective.n_series), choice] += 1
        lowest = losses[choice, np.arange(objective.n_series)]
        better = lowest < best - 1e-12
        best[better] = lowest[better]
        best_counts[better] = counts[better]
    return best_counts / best_counts.sum(axis=1, keepdims=True)


def blend(preds: np.ndarray, weights: np.ndarray, series: np.ndarray | None = None) -> np.ndarray:
    """Weighted forecast: ``weights`` is ``[models]`` or ``[series, models]`` (with ``series``)."""
    if weights.ndim == 1:
        return np.tensordot(weights, preds, axes=1)
    w = weights[series]  # [points, models]
    return np.einsum("pm,mpc->pc", w, preds)


@dataclass(frozen=True)
class Selection:
    """Chosen weights: global ``[models]``, per series ``[series, models]`` (or None) and the
    shrinkage that blends them (0 = global weights only)."""

    weights: np.ndarray
    series_weights: np.ndarray | None
    shrinkage: float
    validation: dict[float, float]  # shrinkage -> held-out loss


def folds(objective: Objective) -> list[np.ndarray]:
    """Held-out masks: each window once; with one window, each half of its steps."""
    if objective.n_windows >= 2:
        return [objective.window == w for w in range(objective.n_windows)]
    # Within-series position: first half vs second half of each series' points.
    order = np.argsort(objective.series, kind="stable")
    pos = np.empty_like(order)
    counts = np.bincount(objective.series)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    pos[order] = np.arange(order.size) - starts
    second = pos >= (counts[objective.series] / 2)
    return [second, ~second]


def select(
    preds: np.ndarray, objective: Objective, size: int = 25, per_series: bool = True
) -> Selection:
    """Global greedy weights; per-series weights kept only if they lower held-out loss."""
    weights = greedy_weights(preds, objective, size)
    if not per_series or preds.shape[0] < 2 or objective.n_series < 2:
        return Selection(weights, None, 0.0, {})
    scores = {lam: 0.0 for lam in SHRINKAGE_GRID}
    for held in folds(objective):
        fit_rows = ~held
        if not fit_rows.any() or not held.any():
            continue
        g = greedy_weights(preds, objective, size, rows=fit_rows)
        s = per_series_weights(preds, objective, max(size // 2, 1), rows=fit_rows)
        for lam in SHRINKAGE_GRID:
            mixed = lam * s + (1.0 - lam) * g
            scores[lam] += objective.value(blend(preds, mixed, objective.series), rows=held)
    best = min(SHRINKAGE_GRID, key=lambda lam: (scores[lam], lam))
    if best == 0.0:
        return Selection(weights, None, 0.0, scores)
    series_w = per_series_weights(preds, objective, max(size // 2, 1))
    return Selection(weights, best * series_w + (1 - best) * weights, best, scores)

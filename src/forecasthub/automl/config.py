"""AutoML settings and progress events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forecasthub.metrics import WQL
from forecasthub.models.base import Forecaster


@dataclass(frozen=True)
class Progress:
    """One progress event; ``stage`` is backtest | ensemble | refit | forecast | done."""

    stage: str
    candidates_done: int
    candidates_total: int
    series_done: int
    series_total: int
    elapsed_s: float
    message: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass
class AutoMLConfig:
    """How AutoML searches.

    Attributes:
        candidates: model names (registry), or name -> unfitted Forecaster; None = a default
            set chosen from the data size (:func:`.candidates.default_candidates`).
        n_windows: backtest windows (Amazon's NumberOfBacktestWindows, 1-5).
        window_offset: BackTestWindowOffset in steps (None = horizon).
        optimization_metric: AverageWeightedQuantileLoss | WAPE | RMSE | MAPE | MASE.
        ensemble: blend candidates (False = keep the single best, as legacy AutoML does).
        ensemble_size: greedy selection rounds (weights are multiples of 1/size).
        per_series_weights: try per-series weights shrunk toward the global ones; kept only when
            they lower the held-out backtest loss.
        time_limit_s: overall budget; candidates whose estimated cost no longer fits are
            skipped (recorded in the result). None = no limit.
        local_model_budget_s: default set only: leave out a local model whose estimated cost
            per window exceeds this (e.g. ETS on 100k series).
        n_jobs: worker processes/threads given to each model.
        progress: called with :class:`Progress` events.
    """

    candidates: list[str] | dict[str, Forecaster] | None = None
    n_windows: int = 1
    window_offset: int | None = None
    optimization_metric: str = WQL
    ensemble: bool = True
    ensemble_size: int = 25
    per_series_weights: bool = True
    time_limit_s: float | None = None
    local_model_budget_s: float = 60.0
    n_jobs: int = 1
    progress: ProgressCallback | None = None

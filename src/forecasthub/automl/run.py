"""AutoML entry points: backtest candidates -> ensemble weights -> refit -> forecast.

* :func:`run_automl` (CreateAutoPredictor / PerformAutoML): every candidate on every backtest
  window, greedy weighted ensemble on the optimization metric, refit of members with weight > 0.
  A small panel (fewer than 20 series x windows) is chosen on up to 5 windows, the requested ones
  and older ones (:func:`.windows.selection_window_count`); metrics cover the requested ones.
* :func:`run_single_algorithm` (legacy CreatePredictor with one AlgorithmArn): the same
  backtests and metrics for one model, no ensemble.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from forecasthub.automl.backtest import (
    MODEL,
    SCALE,
    WINDOW,
    WINDOW_END,
    WINDOW_START,
    BacktestRun,
    run_backtests,
)
from forecasthub.automl.candidates import resolve_candidates
from forecasthub.automl.coldstart import cold_items, cold_start_record
from forecasthub.automl.config import AutoMLConfig, Progress
from forecasthub.automl.ensemble import WeightedEnsemble
from forecasthub.automl.objective import Objective
from forecasthub.automl.result import ENSEMBLE, SUMMARY, AutoMLResult
from forecasthub.automl.select import Selection, blend, greedy_weights, select
from forecasthub.automl.spread import apply_spread, calibrate_spread
from forecasthub.automl.windows import (
    BacktestWindow,
    backtest_windows,
    check_history,
    selection_window_count,
)
from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.metrics import check_metric, score
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.frames import check_train
from forecasthub.models.registry import get_model_class, model_name_for_arn

KEYS = [WINDOW, ITEM_ID, TIMESTAMP]


class _Reporter:
    """Sends Progress events with elapsed time to the optional callback."""

    def __init__(self, config: AutoMLConfig, total: int, series: int) -> None:
        self.callback, self.total, self.series = config.progress, total, series
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, series_done: int = 0, message: str = "") -> None:
        if self.callback is not None:
            self.callback(Progress(stage, done, self.total, series_done, self.series,
                                   time.monotonic() - self.started, message))


def run_automl(
    train: pd.DataFrame,
    ctx: ModelContext,
    related: pd.DataFrame | None = None,
    static: pd.DataFrame | None = None,
    config: AutoMLConfig | None = None,
) -> AutoMLResult:
    """Backtest candidates, blend them, refit and forecast (see module docstring)."""
    config = config or AutoMLConfig()
    check_train(train)
    _check_context(ctx)
    check_metric(config.optimization_metric)
    started = time.monotonic()
    deadline = started + config.time_limit_s if config.time_limit_s else None
    train = train.assign(**{ITEM_ID: train[ITEM_ID].astype(str)})
    windows = backtest_windows(train[TIMESTAMP].max(), ctx.freq, ctx.horizon,
                               config.n_windows, config.window_offset)
    check_history(train, windows, ctx.horizon)
    candidates = resolve_candidates(train, ctx, config)
    n_series = train[ITEM_ID].nunique()
    chosen_on = _selection_windows(train, ctx, config, windows, len(candidates))
    extra = len(chosen_on) - len(windows)  # older windows only to choose on (small panels)
    report = _Reporter(config, len(candidates), n_series)
    report("backtest", 0, message=f"{len(candidates)} candidates, {len(chosen_on)} window(s)")

    bt = run_backtests(
        candidates, train, ctx, chosen_on, related, static, deadline,
        on_step=lambda done, name, window: report(
            "backtest", done, series_done=n_series * (window + 1) // len(chosen_on),
            message=f"{name}: window {window + 1}/{len(chosen_on)}"),
    )
    if bt.forecasts.empty:
        raise ModelError(f"No candidate could be backtested: {bt.skipped}")
    report("ensemble", len(candidates))
    names, preds, keys = _aligned(bt, ctx.quantiles)
    objective = _objective(config.optimization_metric, keys, ctx.quantiles)
    selection = _select(preds, objective, config)
    blended = _blend(preds, selection, objective)
    factors = calibrate_spread(blended, objective, ctx.quantiles) if config.ensemble else None
    forecasts = bt.forecasts
    if config.ensemble:
        blended = blended if factors is None else apply_spread(blended, factors)
        forecasts = _with_ensemble_rows(forecasts, keys, blended, ctx.quantiles)
    forecasts = _requested_windows(forecasts, extra)

    weights = {n: float(w) for n, w in zip(names, selection.weights, strict=True) if w > 0}
    series_w = _series_frame(selection, keys, names)
    keep = _cold_start_member(names, weights, candidates, train, static, preds, objective)
    spread = None if factors is None else dict(zip(ctx.quantiles, factors.tolist(), strict=True))
    ensemble = WeightedEnsemble({n: candidates[n] for n in names}, weights, series_w, keep=keep,
                                spread=spread)
    timings = {f"backtest:{k}": v for k, v in bt.seconds.items()}
    timings.update(_refit(ensemble, train, ctx, related, static, report))
    predictor: Forecaster = ensemble
    model_name = ENSEMBLE
    if not config.ensemble and len(ensemble.members) == 1:
        model_name, predictor = next(iter(ensemble.members.items()))
    report("forecast", len(candidates), n_series)
    forecast = predictor.predict(related)
    cold_start = cold_start_record(predictor, cold_items(train, static))
    timings["total"] = time.monotonic() - started
    report("done", len(candidates), n_series)
    metrics, item_metrics = _metrics(forecasts, ctx.quantiles)
    return AutoMLResult(
        predictor=predictor, model_name=model_name, forecast=forecast, windows=windows,
        quantiles=tuple(ctx.quantiles), optimization_metric=config.optimization_metric,
        metrics=metrics, item_metrics=item_metrics, backtest_forecasts=forecasts,
        weights=weights, series_weights=series_w, shrinkage=selection.shrinkage, spread=spread,
        fallbacks=bt.fallbacks + ensemble.records, skipped=bt.skipped, timings=timings,
        cold_start=cold_start,
    )


def run_single_algorithm(
    train: pd.DataFrame,
    ctx: ModelContext,
    algorithm: str,
    related: pd.DataFrame | None = None,
    static: pd.DataFrame | None = None,
    config: AutoMLConfig | None = None,
) -> AutoMLResult:
    """Legacy CreatePredictor: one model (registry name or AlgorithmArn), same backtests."""
    name = model_name_for_arn(algorithm) if algorithm.startswith("arn:") else algorithm
    get_model_class(name)  # InvalidInputError listing the valid names
    base = config or AutoMLConfig()
    single = AutoMLConfig(
        candidates=[name], n_windows=base.n_windows, window_offset=base.window_offset,
        optimization_metric=base.optimization_metric, ensemble=False,
        per_series_weights=False, n_jobs=base.n_jobs, progress=base.progress,
    )
    return run_automl(train, ctx, related=related, static=static, config=single)


def _selection_windows(
    train: pd.DataFrame,
    ctx: ModelContext,
    config: AutoMLConfig,
    windows: list[BacktestWindow],
    n_candidates: int,
) -> list[BacktestWindow]:
    """The requested windows, plus older ones for a small panel with several candidates to
    choose between (:func:`.windows.selection_window_count`)."""
    if n_candidates < 2:
        return windows
    length = float(train.groupby(ITEM_ID, observed=True)[TIMESTAMP].count().median())
    n = selection_window_count(train[ITEM_ID].nunique(), length, ctx.horizon,
                               ctx.season_length, len(windows), config.window_offset)
    if n == len(windows):
        return windows
    return backtest_windows(train[TIMESTAMP].max(), ctx.freq, ctx.horizon, n,
                            config.window_offset)


def _requested_windows(forecasts: pd.DataFrame, extra: int) -> pd.DataFrame:
    """Backtest rows of the requested windows only, numbered from 0 again."""
    if not extra:
        return forecasts
    kept = forecasts[forecasts[WINDOW] >= extra].reset_index(drop=True)
    return kept.assign(**{WINDOW: kept[WINDOW] - extra})


def _check_context(ctx: ModelContext) -> None:
    if ctx.horizon < 1:
        raise InvalidInputError(f"ForecastHorizon must be >= 1, got {ctx.horizon}")
    bad = [q for q in ctx.quantiles if not 0 < q < 1]
    if bad:
        raise InvalidInputError(f"Quantiles must lie strictly between 0 and 1, got {bad}")


def _refit(
    ensemble: WeightedEnsemble,
    train: pd.DataFrame,
    ctx: ModelContext,
    related: pd.DataFrame | None,
    static: pd.DataFrame | None,
    report: _Reporter,
) -> dict[str, float]:
    """Fit every member on all the data; seconds per member."""
    timings = {}
    n_series, total = train[ITEM_ID].nunique(), report.total
    for done, name in enumerate(ensemble.members, start=1):
        started = time.monotonic()
        ensemble.fit_member(name, train, ctx, related=related, static=static)
        timings[f"refit:{name}"] = time.monotonic() - started
        report("refit", total, series_done=n_series * done // len(ensemble.members),
               message=f"{name} refitted")
    return timings


def _cold_start_member(
    names: list[str],
    weights: dict[str, float],
    candidates: dict[str, Forecaster],
    train: pd.DataFrame,
    static: pd.DataFrame | None,
    preds: np.ndarray,
    objective: Objective,
) -> tuple[str, ...]:
    """The best global candidate, kept for items that have metadata but no history, when no
    global candidate made it into the weights."""
    cold = cold_items(train, static)
    global_names = [i for i, n in enumerate(names) if candidates[n].is_global]
    if not cold or not global_names or any(names[i] in weights for i in global_names):
        return ()
    best = min(global_names, key=lambda i: objective.value(preds[i]))
    return (names[best],)


def _aligned(
    bt: BacktestRun, quantiles: tuple[float, ...]
) -> tuple[list[str], np.ndarray, pd.DataFrame]:
    """Model names, predictions ``[models, points, 1 + quantiles]`` on the points every model
    forecast, and those points' keys (+ target, scale)."""
    cols = [MEAN, *(quantile_column(q) for q in quantiles)]
    frames = {name: g.set_index(KEYS).sort_index() for name, g in bt.forecasts.groupby(MODEL)}
    names = sorted(frames, key=lambda n: -len(frames[n]))
    common = frames[names[0]].index
    for name in names[1:]:
        common = common.intersection(frames[name].index)
    if len(common) == 0:
        raise ModelError("Candidates share no backtest points to compare")
    preds = np.stack([frames[n].loc[common, cols].to_numpy(dtype=float) for n in names])
    keys = frames[names[0]].loc[common, [TARGET, SCALE]].reset_index()
    return names, preds, keys


def _objective(metric: str, keys: pd.DataFrame, quantiles: tuple[float, ...]) -> Objective:
    return Objective(metric, keys[TARGET].to_numpy(), keys[WINDOW].to_numpy(),
                     keys[ITEM_ID].to_numpy(), keys[SCALE].to_numpy(dtype=float), quantiles)


def _select(preds: np.ndarray, objective: Objective, config: AutoMLConfig) -> Selection:
    if config.ensemble:
        return select(preds, objective, config.ensemble_size, config.per_series_weights)
    best = greedy_weights(preds, objective, size=1)  # the single best model
    return Selection(best, None, 0.0, {})


def _series_frame(
    selection: Selection, keys: pd.DataFrame, names: list[str]
) -> pd.DataFrame | None:
    if selection.series_weights is None:
        return None
    items = np.unique(keys[ITEM_ID].to_numpy())
    return pd.DataFrame(selection.series_weights, index=pd.Index(items, name=ITEM_ID),
                        columns=names)


def _blend(preds: np.ndarray, selection: Selection, objective: Objective) -> np.ndarray:
    weights = (selection.series_weights if selection.series_weights is not None
               else selection.weights)
    return blend(preds, weights, objective.series)


def _with_ensemble_rows(
    forecasts: pd.DataFrame,
    keys: pd.DataFrame,
    blended: np.ndarray,
    quantiles: tuple[float, ...],
) -> pd.DataFrame:
    """Backtest forecasts plus the ensemble's rows (model ``Ensemble``)."""
    cols = [MEAN, *(quantile_column(q) for q in quantiles)]
    rows = keys.copy()
    rows[cols] = blended
    if len(cols) > 1:
        rows[cols[1:]] = np.sort(rows[cols[1:]].to_numpy(), axis=1)
    bounds = forecasts.drop_duplicates(WINDOW).set_index(WINDOW)[[WINDOW_START, WINDOW_END]]
    rows = rows.join(bounds, on=WINDOW)
    rows[MODEL] = ENSEMBLE
    return pd.concat([forecasts, rows[forecasts.columns]], ignore_index=True)


def _metrics(
    forecasts: pd.DataFrame, quantiles: tuple[float, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (model, window) COMPUTED rows + per-model SUMMARY rows; and per-item metrics."""
    per_window = score(forecasts, quantiles, scale=SCALE, by=[MODEL, WINDOW])
    bounds = forecasts.drop_duplicates(WINDOW).set_index(WINDOW)[[WINDOW_START, WINDOW_END]]
    per_window = per_window.join(bounds, on=WINDOW).rename(
        columns={WINDOW_START: "TestWindowStart", WINDOW_END: "TestWindowEnd"})
    per_window["EvaluationType"] = "COMPUTED"
    numeric = [c for c in per_window.columns if c not in
               (MODEL, WINDOW, "TestWindowStart", "TestWindowEnd", "EvaluationType")]
    summary = per_window.groupby(MODEL, as_index=False)[numeric].mean()
    summary[WINDOW] = SUMMARY
    summary["EvaluationType"] = SUMMARY
    metrics = pd.concat([summary, per_window.astype({WINDOW: object})], ignore_index=True)
    lead = [MODEL, WINDOW, "EvaluationType", "TestWindowStart", "TestWindowEnd", "ItemCount"]
    metrics = metrics[lead + [c for c in metrics.columns if c not in lead]]
    items = score(forecasts, quantiles, scale=SCALE, by=[MODEL, WINDOW, ITEM_ID])
    numeric = [c for c in items.columns if c not in (MODEL, WINDOW, ITEM_ID)]
    item_summary = items.groupby([MODEL, ITEM_ID], as_index=False)[numeric].mean()
    item_summary[WINDOW] = SUMMARY
    items = pd.concat([item_summary[items.columns], items.astype({WINDOW: object})],
                      ignore_index=True)
    return metrics, items


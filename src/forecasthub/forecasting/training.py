"""Train a predictor: dataset group data -> panel -> AutoML (or one algorithm) -> artifacts.

Artifacts (one immutable store version per predictor): ``model.pkl`` (the fitted predictor),
``backtest_values.parquet`` and ``backtest_accuracy.parquet`` (what a backtest export writes),
``meta.json`` (dataset versions trained on, key columns, grid).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd
import polars as pl

from forecasthub.columns import ITEM_ID, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError
from forecasthub.forecasting.config import PredictorConfig
from forecasthub.forecasting.panel import Datasets, Panel, load_panel
from forecasthub.storage.layout import BACKTEST_ACCURACY, BACKTEST_VALUES, META_FILE, MODEL_FILE

HOLIDAY_ALIASES = {"UK": "GB"}  # Amazon's code -> the `holidays` package's


@dataclass
class TrainResult:
    artifact_key: str
    accuracy: dict[str, Any]
    summary: dict[str, Any]


def model_context(config: PredictorConfig, panel: Panel) -> Any:
    from forecasthub.models.base import ModelContext

    country = config.holidays_country
    return ModelContext(
        freq=panel.alignment.pandas_freq, season_length=panel.alignment.frequency.season_length,
        horizon=config.horizon, quantiles=config.quantiles or (0.5,), seed=0,
        holidays_country=HOLIDAY_ALIASES.get(country, country) if country else None,
    )


def _check_history(panel: Panel, config: PredictorConfig) -> None:
    lengths = panel.target.groupby(ITEM_ID, observed=True).size()
    longest = int(lengths.max())
    fraction = 4 if config.is_auto else 3
    limit = min(500, longest // fraction)
    if config.horizon > limit:
        raise InvalidInputError(
            f"ForecastHorizon {config.horizon} is too long for {longest} {config.frequency} periods "
            f"of history: the limit is min(500, 1/{fraction} of the history) = {limit}"
        )


def _windows(config: PredictorConfig, panel: Panel) -> int:
    """Backtest windows: as asked (legacy), else as many (1-3) as the history pays for."""
    if config.backtest_windows:
        return config.backtest_windows
    longest = int(panel.target.groupby(ITEM_ID, observed=True).size().max())
    by_history = max(1, min(3, (longest - 2 * config.horizon) // max(config.horizon, 1) // 2))
    rows = len(panel.target)  # every window refits every candidate: spend less on big data
    by_size = 1 if rows > 3_000_000 else 2 if rows > 600_000 else 3
    return min(by_history, by_size)


def train_predictor(store: Any, name: str, config: PredictorConfig, datasets: Datasets,
                    versions: dict[str, str], progress: Any) -> TrainResult:
    """Train on ``datasets`` (type -> (dataset row, current frame)); artifacts go to ``store``."""
    from forecasthub.automl.config import AutoMLConfig
    from forecasthub.automl.run import run_automl, run_single_algorithm

    started = time.monotonic()
    progress.update(stage="preparing data", done=0, total=1)
    panel = load_panel(datasets, config)
    _check_history(panel, config)
    ctx = model_context(config, panel)

    def on_progress(p: Any) -> None:
        progress.update(stage=f"{p.stage}: {p.message}" if p.message else p.stage,
                        done=p.candidates_done, total=max(p.candidates_total, 1),
                        series_done=p.series_done, series_total=p.series_total)

    automl = AutoMLConfig(n_windows=_windows(config, panel), window_offset=config.backtest_offset,
                          optimization_metric=config.optimization_metric,
                          time_limit_s=config.time_budget_seconds, progress=on_progress)
    if config.algorithm and config.training_parameters:  # CreatePredictor TrainingParameters
        from forecasthub.tuning.hyperparameters import build_model

        model = build_model(config.algorithm, config.training_parameters, panel.target, ctx)
        automl.candidates, automl.ensemble, automl.per_series_weights = (
            {config.algorithm: model}, False, False)
        result = run_automl(panel.target, ctx, panel.related, panel.static, automl)
    elif config.algorithm:
        result = run_single_algorithm(panel.target, ctx, config.algorithm, panel.related,
                                      panel.static, automl)
    else:
        result = run_automl(panel.target, ctx, panel.related, panel.static, automl)
    progress.update(stage="saving artifacts")
    key = f"predictors/{name}/{uuid.uuid4().hex[:12]}"
    meta = {"versions": versions, "item_field": panel.item_field, "dimensions": panel.dimensions,
            "cold_start": panel.cold_start, "model_name": result.model_name,
            "history_end": panel.last_timestamp.isoformat(),
            "ColdStart": result.cold_start}  # which model serves the cold-start items
    with store.version(key) as staging:
        result.predictor.save(staging / MODEL_FILE)
        backtest_values(result, panel).write_parquet(staging / BACKTEST_VALUES)
        backtest_accuracy(result, panel).write_parquet(staging / BACKTEST_ACCURACY)
        (staging / META_FILE).write_text(json.dumps(meta, indent=1))
    summary = {
        "model": result.model_name,
        "algorithms": sorted(result.weights) if result.weights else [result.model_name],
        "weights": result.weights, "shrinkage": result.shrinkage,
        "fallbacks": [f.to_dict() for f in result.fallbacks][:100],
        "fallback_count": len(result.fallbacks), "skipped": result.skipped,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "series": int(panel.target[ITEM_ID].nunique()), "cold_start": len(panel.cold_start),
        "ColdStart": result.cold_start,
        "windows": len(result.windows),
        "seconds": round(time.monotonic() - started, 3),
    }
    return TrainResult(key, accuracy_metrics(result), summary)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def accuracy_metrics(result: Any) -> dict[str, Any]:
    """GetAccuracyMetrics' PredictorEvaluationResults: the predictor first, then each candidate."""
    from forecasthub.models.registry import arn_for_model

    models = [result.model_name] + [m for m in result.metrics["model"].unique()
                                    if m != result.model_name]
    out = []
    for model in models:
        arn = arn_for_model(model) or f"arn:aws:forecast:::algorithm/{model}"
        out.append({"AlgorithmArn": arn, "TestWindows": _clean(result.test_windows(model))})
    return {"PredictorEvaluationResults": out}


def backtest_values(result: Any, panel: Panel) -> pl.DataFrame:
    """Amazon's forecasted-values: keys, timestamp, target_value, window bounds, quantiles, mean."""
    bt = result.backtest_forecasts
    bt = bt[bt["model"] == result.model_name]
    types = ["mean"] + [quantile_column(q) for q in result.quantiles]
    values = pl.DataFrame({
        TIMESTAMP: bt[TIMESTAMP].to_numpy(), "target_value": bt[TARGET].to_numpy(),
        "backtestwindow_start_time": bt["window_start"].to_numpy(),
        "backtestwindow_end_time": bt["window_end"].to_numpy(),
        **{t: bt[t].to_numpy() for t in types if t in bt},
    })
    return pl.concat([panel.split_keys(bt[ITEM_ID]), values], how="horizontal")


def backtest_accuracy(result: Any, panel: Panel) -> pl.DataFrame:
    """Amazon's accuracy-metrics-values: per item and window (Computed) and over windows (Summary)."""
    from forecasthub.metrics import wql_column

    im = result.item_metrics
    im = im[im["model"] == result.model_name].copy()
    bounds = {str(w.index): (w.start, w.end) for w in result.windows}
    names = {wql_column(q): f"wQL[{q}]" for q in result.quantiles}
    frame = pl.DataFrame({
        "backtest_window": ["Summary" if str(w) == "SUMMARY" else "Computed" for w in im["window"]],
        "window": [str(w) for w in im["window"]],
        **{names.get(c, c): im[c].astype(float).to_numpy() for c in
           [*names, "AverageWeightedQuantileLoss", "RMSE", "WAPE", "MAPE", "MASE"] if c in im},
    }).rename({"AverageWeightedQuantileLoss": "Average wQL"})
    if bounds:
        frame = frame.with_columns(
            pl.col("window").replace_strict({k: v[0] for k, v in bounds.items()}, default=None)
            .alias("backtestwindow_start_time"),
            pl.col("window").replace_strict({k: v[1] for k, v in bounds.items()}, default=None)
            .alias("backtestwindow_end_time"))
    return pl.concat([panel.split_keys(im[ITEM_ID]), frame.drop("window")], how="horizontal")

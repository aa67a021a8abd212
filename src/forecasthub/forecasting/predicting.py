"""CreateForecast: the predictor's model on the dataset group's latest data -> forecast.parquet.

The forecast starts after the latest imported data. When the data changed since training, the
predictor's models are refitted on it with the trained settings and ensemble weights (no new
model search), as Amazon Forecast forecasts from the latest data without retraining.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import polars as pl

from forecasthub.columns import ITEM_ID, TIMESTAMP, forecast_type_column
from forecasthub.errors import InvalidInputError
from forecasthub.forecasting.config import PredictorConfig
from forecasthub.forecasting.panel import Datasets, load_panel
from forecasthub.forecasting.training import model_context
from forecasthub.storage.layout import FORECAST_FILE, META_FILE, MODEL_FILE

ROW_GROUP = 50_000


def read_selector(path: str, key_columns: list[str]) -> list[str] | None:
    """TimeSeriesSelector file: identifiers per the key columns, no header, as Amazon reads it."""
    from forecasthub.data.keys import make_series_key

    frame = pl.read_csv(path, has_header=False, infer_schema=False, new_columns=None)
    if frame.width < len(key_columns):
        raise InvalidInputError(f"{path}: the selector needs columns {key_columns}")
    frame = frame.select(frame.columns[: len(key_columns)])
    frame.columns = key_columns
    if frame.height and frame.row(0) == tuple(key_columns):
        frame = frame.slice(1)
    return make_series_key(frame, key_columns[0], key_columns[1:]).to_list()


def make_forecast(store: Any, name: str, config: PredictorConfig, artifact_key: str,
                  forecast_types: list[str], datasets: Datasets, versions: dict[str, str],
                  selector_path: str | None, progress: Any) -> tuple[str, dict[str, Any]]:
    """Forecast with the predictor's artifacts on the current ``datasets``; writes to ``store``."""
    from forecasthub.models.base import Forecaster

    missing = [t for t in forecast_types if t not in config.forecast_types]
    if missing:
        raise InvalidInputError(f"ForecastTypes {missing} were not trained by the predictor "
                                f"(it has {config.forecast_types})")
    progress.update(stage="loading", done=0, total=3)
    meta = json.loads(store.read_bytes(f"{artifact_key}/{META_FILE}"))
    with store.local_copy(f"{artifact_key}/{MODEL_FILE}") as model_path:  # s3: temp copy
        model = Forecaster.load(model_path)
    panel = load_panel(datasets, config)
    refitted = versions != meta["versions"]
    if refitted:
        progress.update(stage="refitting on the latest data", done=1)
        model.fit(panel.target, model_context(config, panel), panel.related, panel.static)
    items = None
    if selector_path:  # a local file (the service copies s3:// selectors to a temp file)
        wanted = set(read_selector(selector_path, panel.key_columns))
        known = set(panel.target[ITEM_ID].unique()) | set(panel.cold_start)
        items = sorted(wanted & known)  # unknown ids are skipped, as Amazon does
        if not items:
            raise InvalidInputError("none of the selected series is in the dataset group")
    elif panel.cold_start and getattr(model, "is_global_model", model.is_global):
        items = sorted(set(panel.target[ITEM_ID].unique()) | set(panel.cold_start))
    progress.update(stage="forecasting", done=2)
    predictions = model.predict(panel.related, items=items)
    columns = [forecast_type_column(t) for t in forecast_types]
    frame = pl.concat([
        panel.split_keys(predictions[ITEM_ID]),
        pl.DataFrame({"date": predictions[TIMESTAMP].to_numpy(),
                      **{c: predictions[c].to_numpy() for c in columns}}),
    ], how="horizontal").sort([*panel.key_columns, "date"])
    key = f"forecasts/{name}/{uuid.uuid4().hex[:12]}"
    cold_start = _cold_start(model, panel.cold_start, predictions)
    with store.version(key) as staging:
        frame.write_parquet(staging / FORECAST_FILE, row_group_size=ROW_GROUP, statistics=True)
        (staging / META_FILE).write_text(json.dumps({"ColdStart": cold_start}, indent=1))
    progress.update(stage="done", done=3)
    summary = {"key_columns": panel.key_columns, "series": int(frame.select(panel.key_columns).n_unique()),
               "rows": frame.height, "refitted": refitted, "cold_start": len(panel.cold_start),
               "ColdStart": cold_start,
               "start": str(frame["date"].min()), "end": str(frame["date"].max())}
    return key, summary


def _cold_start(model: Any, cold: list[str], predictions: Any) -> dict[str, Any] | None:
    """The forecast's ``ColdStart`` record: the cold-start items it holds and the model(s)
    that served them (:mod:`forecasthub.automl.coldstart`)."""
    from forecasthub.automl.coldstart import cold_start_record

    served = sorted(set(cold) & set(predictions[ITEM_ID].unique()))
    record = cold_start_record(model, served or cold)
    if record is not None and not served:
        record.update(Model=None, Weights={}, Reason="the cold-start items are not in this "
                      "forecast (no global model in the predictor, or not selected)")
    return record

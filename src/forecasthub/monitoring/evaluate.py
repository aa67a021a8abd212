"""Monitor evaluations: earlier forecasts scored against the actuals imported since.

Amazon Forecast evaluates a monitor when new data has been imported and a forecast is created
from the monitored predictor. Here the forecast job calls :func:`on_forecast_created` when it
ends, and :func:`evaluate_actuals` runs the same evaluation on demand. For each ACTIVE monitor in
scope, each ACTIVE forecast of the monitored predictor (or of a predictor retrained from it that
has no monitor of its own) whose dates are now covered, fully or partly, by the current target
dataset version is scored once per covered window (a later import that extends the window gives
a new evaluation). Actuals are the target as the predictor sees it: aggregated to the forecast
frequency with its filling inside each series, but never back-filled past a series' last value.

Each evaluation is a row of ``monitor_evaluations`` (overall metrics) plus a Parquet file of
per-series metrics in the object store (``monitors/<name>/evaluations/<id>/item_accuracy.parquet``).
An evaluation that cannot be computed (no forecast series has actuals, unreadable files) is
recorded as FAILURE with its message, never raised.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forecasthub.columns import ITEM_ID, TARGET, TIMESTAMP, forecast_type_column
from forecasthub.errors import (
    ForecastHubError,
    InvalidInputError,
    NotFoundError,
    ResourceInUseError,
)
from forecasthub.monitoring import records
from forecasthub.monitoring.realised import covered_window, item_accuracy_frame, realised_accuracy
from forecasthub.resources import Status, parse_arn
from forecasthub.store.orm import (
    DatasetGroupRow,
    DatasetRow,
    ForecastRow,
    MonitorEvaluationRow,
    MonitorRow,
    PredictorRow,
    utcnow,
)

log = logging.getLogger(__name__)

ITEM_ACCURACY_FILE = "item_accuracy.parquet"


@dataclass
class Actuals:
    """The group's target on one predictor's grid (or why it could not be built)."""

    frame: pd.DataFrame | None  # item_id (series key), timestamp, target (NaN = missing)
    end: Any  # last timestamp with data
    season_length: int
    item_field: str
    dimensions: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class GroupData:
    """The current target dataset version of a group and its import job."""

    dataset: Any
    frame: Any
    version: str
    import_job_arn: str | None
    panels: dict[str, Actuals] = field(default_factory=dict)


# entry points --------------------------------------------------------------------------------
def evaluate_actuals(hub: Any, group_or_monitor: str) -> list[dict[str, Any]]:
    """Evaluate now: ``group_or_monitor`` is a dataset group (name or ARN) — every ACTIVE monitor
    of its predictors — or a monitor ARN. Returns the new evaluations (ListMonitorEvaluations
    items), oldest first; an empty list when nothing new is covered."""
    group_or_monitor = check_group_or_monitor(group_or_monitor)
    with hub.db.session() as s:
        if group_or_monitor.startswith("arn:") and \
                parse_arn(group_or_monitor, "ResourceArn")[0] == "monitor":
            monitor = s.get(MonitorRow, group_or_monitor)
            if monitor is None:
                raise NotFoundError(f"monitor {group_or_monitor} not found")
            if monitor.status != records.ACTIVE:
                raise ResourceInUseError(f"monitor {monitor.name!r} is {monitor.status}; resume it "
                                         "(ResumeResource) to evaluate")
            monitors = [monitor.arn]
        else:
            group_arn = records.group_arn_of(s, hub, group_or_monitor)
            monitors = list(s.scalars(select(MonitorRow.arn).where(
                MonitorRow.dataset_group_arn == group_arn, MonitorRow.status == records.ACTIVE)
                .order_by(MonitorRow.created_at)).all())
    return evaluate_monitors(hub, monitors)


def on_forecast_created(hub: Any, forecast_arn: str) -> list[dict[str, Any]]:
    """Hook for the forecast job: evaluate the monitor covering the forecast's predictor (Amazon's
    trigger). Never raises: a problem is logged (and recorded as a FAILURE where it concerns one
    forecast)."""
    try:
        with hub.db.session() as s:
            forecast = s.get(ForecastRow, forecast_arn)
            if forecast is None:
                return []
            candidates = s.scalars(select(MonitorRow).where(
                MonitorRow.dataset_group_arn == forecast.dataset_group_arn,
                MonitorRow.status == records.ACTIVE)).all()
            monitors = [m.arn for m in candidates if forecast.predictor_arn in records.scope(s, m)]
        return evaluate_monitors(hub, monitors) if monitors else []
    except Exception:
        log.exception("monitor evaluation after forecast %s failed", forecast_arn)
        return []


def evaluate_monitors(hub: Any, monitor_arns: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    groups: dict[str, GroupData | str] = {}
    for arn in monitor_arns:
        out.extend(_evaluate_monitor(hub, arn, groups))
    return out


# one monitor ---------------------------------------------------------------------------------
def _evaluate_monitor(hub: Any, monitor_arn: str, groups: dict[str, GroupData | str]) -> list[dict[str, Any]]:
    with hub.db.session() as s:
        monitor = s.get(MonitorRow, monitor_arn)
        if monitor is None or monitor.status != records.ACTIVE:
            return []
        in_scope = records.scope(s, monitor)
        forecasts = [(f.arn, f.predictor_arn, f.artifact_key, list(f.forecast_types), dict(f.summary or {}))
                     for f in s.scalars(select(ForecastRow).where(
                         ForecastRow.predictor_arn.in_(in_scope), ForecastRow.status == Status.ACTIVE)
                         .order_by(ForecastRow.created_at)).all() if f.artifact_key]
        configs = {p.arn: dict(p.config or {}) for p in s.scalars(
            select(PredictorRow).where(PredictorRow.arn.in_(in_scope))).all()}
        group_arn, resource_arn, name = monitor.dataset_group_arn, monitor.resource_arn, monitor.name
    if not forecasts:
        return []
    if group_arn not in groups:
        groups[group_arn] = _group_data(hub, group_arn)
    data = groups[group_arn]
    made = []
    for forecast_arn, predictor_arn, key, types, summary in forecasts:
        ctx = {"monitor_arn": monitor_arn, "resource_arn": resource_arn, "monitor_name": name,
               "predictor_arn": predictor_arn, "forecast_arn": forecast_arn, "group_arn": group_arn}
        if isinstance(data, str):
            row = _record_failure(hub, ctx, None, None, data)
        else:
            ctx.update(import_job=data.import_job_arn, data_version=data.version)
            row = _evaluate_forecast(hub, ctx, data, configs.get(predictor_arn) or {}, key, types,
                                     summary)
        if row is not None:
            made.append(row)
    return made


def _group_data(hub: Any, group_arn: str) -> GroupData | str:
    """The group's current target version, or the reason it cannot be read."""
    from forecasthub.services.import_jobs import read_version

    with hub.db.session() as s:
        group = s.get(DatasetGroupRow, group_arn)
        rows = [s.get(DatasetRow, a) for a in (group.dataset_arns if group else [])]
        tts = next((r for r in rows if r is not None and r.dataset_type == "TARGET_TIME_SERIES"), None)
    if tts is None or not tts.current_version:
        return "the dataset group has no imported TARGET_TIME_SERIES data"
    job_name = tts.current_version.rsplit("/", 1)[-1].rsplit("-", 1)[0]
    try:
        frame = read_version(hub, tts.current_version)
    except ForecastHubError as exc:
        return f"cannot read the target time series: {exc.message}"
    return GroupData(tts, frame, tts.current_version, hub.arn("dataset-import-job", tts.name, job_name))


def _actuals(data: GroupData, config: dict[str, Any]) -> Actuals:
    """The target on the predictor's grid (frequency, dimensions, aggregation, middle filling),
    with back-filling switched off so a series that stopped is not scored on invented values."""
    import json

    from forecasthub.data.schema import Schema, schema_roles
    from forecasthub.forecasting.config import PredictorConfig
    from forecasthub.forecasting.panel import load_panel

    cache_key = json.dumps({k: config.get(k) for k in ("frequency", "dimensions", "attribute_configs",
                                                       "time_alignment_boundary")}, sort_keys=True)
    if cache_key in data.panels:
        return data.panels[cache_key]
    try:
        target = schema_roles(Schema.from_json(data.dataset.schema), "TARGET_TIME_SERIES",
                              data.dataset.domain).target
        attrs = []
        for attr in config.get("attribute_configs") or []:
            if attr.get("AttributeName") == target:
                transformations = {k: v for k, v in (attr.get("Transformations") or {}).items()
                                   if not k.startswith("backfill")}
                attrs.append({"AttributeName": target, "Transformations": {**transformations,
                                                                           "backfill": "nan"}})
        if not attrs:
            attrs = [{"AttributeName": target, "Transformations": {"backfill": "nan"}}]
        cfg = replace(PredictorConfig.from_json(config), attribute_configs=attrs)
        panel = load_panel({"TARGET_TIME_SERIES": (data.dataset, data.frame)}, cfg)
        frame = panel.target[[ITEM_ID, TIMESTAMP, TARGET]].copy()
        frame[ITEM_ID] = frame[ITEM_ID].astype(str)
        result = Actuals(frame, pd.Timestamp(panel.last_timestamp),
                         panel.alignment.frequency.season_length, panel.item_field,
                         list(panel.dimensions))
    except (ForecastHubError, KeyError, TypeError, ValueError) as exc:
        message = exc.message if isinstance(exc, ForecastHubError) else f"{type(exc).__name__}: {exc}"
        result = Actuals(None, None, 1, "item_id", error=f"cannot prepare the actuals: {message}")
    data.panels[cache_key] = result
    return result


def _read_forecast(hub: Any, key: str, key_columns: list[str], types: list[str]) -> pd.DataFrame:
    from forecasthub.data.keys import make_series_key
    from forecasthub.storage.layout import FORECAST_FILE

    frame = hub.store.scan_parquet(f"{key}/{FORECAST_FILE}").collect()
    if not key_columns:
        key_columns = [frame.columns[0]]
    series = make_series_key(frame, key_columns[0], key_columns[1:]).to_list()
    columns = [forecast_type_column(t) for t in types]
    out = pd.DataFrame({ITEM_ID: series, TIMESTAMP: frame["date"].to_pandas()})
    for c in columns:
        if c in frame.columns:
            out[c] = frame[c].to_numpy()
    return out


def _evaluate_forecast(hub: Any, ctx: dict[str, Any], data: GroupData, config: dict[str, Any], key: str,
                       types: list[str], summary: dict[str, Any]) -> dict[str, Any] | None:
    actuals = _actuals(data, config)
    if actuals.frame is None:
        return _record_failure(hub, ctx, None, None, actuals.error or "no actuals")
    try:
        forecast = _read_forecast(hub, key, list(summary.get("key_columns") or []), types)
    except Exception as exc:  # noqa: BLE001 - a missing or damaged forecast file is a FAILURE
        return _record_failure(hub, ctx, None, None, f"cannot read the forecast: {type(exc).__name__}: {exc}")
    window = covered_window(forecast[TIMESTAMP], actuals.end)
    if window is None:
        return None  # not covered yet: nothing to evaluate
    dedup = _dedup_key(ctx, window)
    if _exists(hub, dedup):
        return None
    quantiles = sorted(float(t) for t in types if t != "mean")
    result = realised_accuracy(forecast, actuals.frame, quantiles, actuals.season_length, window)
    if result is None:
        return _record_failure(hub, ctx, window, dedup,
                               f"no forecast series has actual values between {window[0]} and {window[1]}")
    evaluation_id = uuid.uuid4().hex
    item_key = f"monitors/{ctx['monitor_name']}/evaluations/{evaluation_id}"
    per_series = item_accuracy_frame(result.per_series, quantiles)
    _write_items(hub, item_key, per_series, actuals)
    metrics = {k: (None if pd.isna(v) else float(v)) for k, v in result.overall.items()
               if k not in ("ItemCount", "PointCount")}
    row = MonitorEvaluationRow(
        id=evaluation_id, dedup_key=dedup, monitor_arn=ctx["monitor_arn"],
        resource_arn=ctx["resource_arn"], predictor_arn=ctx["predictor_arn"],
        forecast_arn=ctx["forecast_arn"], dataset_group_arn=ctx["group_arn"],
        dataset_import_job_arn=ctx.get("import_job"), data_version=ctx.get("data_version"),
        state=records.SUCCESS, window_start=_utc(result.window_start), window_end=_utc(result.window_end),
        metrics=metrics, num_items=result.items, num_points=result.points, item_key=item_key)
    saved = _save(hub, row)
    if saved is None:
        hub.store.delete(item_key)  # another process recorded the same evaluation first
    return saved


def _write_items(hub: Any, key: str, per_series: pd.DataFrame, actuals: Actuals) -> None:
    import polars as pl

    from forecasthub.data.keys import split_series_key

    keys = split_series_key(pl.Series(ITEM_ID, per_series[ITEM_ID].astype(str).tolist(), pl.String),
                            actuals.item_field, actuals.dimensions)
    metrics = pl.from_pandas(per_series.drop(columns=[ITEM_ID]).reset_index(drop=True))
    frame = pl.concat([keys, metrics], how="horizontal")
    with hub.store.version(key) as staging:
        frame.write_parquet(staging / ITEM_ACCURACY_FILE)


def _record_failure(hub: Any, ctx: dict[str, Any], window: tuple[Any, Any] | None, dedup: str | None,
                    message: str) -> dict[str, Any] | None:
    dedup = dedup or _dedup_key(ctx, None)
    if _exists(hub, dedup):
        return None
    row = MonitorEvaluationRow(
        id=uuid.uuid4().hex, dedup_key=dedup, monitor_arn=ctx["monitor_arn"],
        resource_arn=ctx["resource_arn"], predictor_arn=ctx["predictor_arn"],
        forecast_arn=ctx["forecast_arn"], dataset_group_arn=ctx["group_arn"],
        dataset_import_job_arn=ctx.get("import_job"), data_version=ctx.get("data_version"),
        state=records.FAILURE, window_start=_utc(window[0]) if window else None,
        window_end=_utc(window[1]) if window else None, metrics={}, num_items=0, num_points=0,
        message=message[:2000])
    return _save(hub, row)


def _save(hub: Any, row: MonitorEvaluationRow) -> dict[str, Any] | None:
    """Insert the evaluation (with the predictor event) and update the monitor; None when the
    same evaluation exists already."""
    try:
        with hub.db.session() as s:
            monitor = s.get(MonitorRow, row.monitor_arn)
            if monitor is None:
                return None
            row.evaluated_at = utcnow()
            row.predictor_event = _predictor_event(s, monitor, row.evaluated_at)
            s.add(row)
            monitor.last_evaluation_at, monitor.last_evaluation_state = row.evaluated_at, row.state
            s.flush()
            return records.evaluation_item(row)
    except IntegrityError:
        return None


def _predictor_event(s: Any, monitor: MonitorRow, now: Any) -> dict[str, Any] | None:
    """{Detail: Retrain, Datetime} when the monitored predictor was retrained since the monitor's
    previous evaluation (or its creation)."""
    since = _aware(monitor.last_evaluation_at or monitor.created_at)
    retrains = [p for p in records.retrained_from(s, monitor.resource_arn)
                if since is None or _aware(p.created_at) > since]
    if not retrains:
        return None
    return {"Detail": "Retrain", "Datetime": records.epoch(retrains[-1].created_at)}


def _exists(hub: Any, dedup: str) -> bool:
    with hub.db.session() as s:
        return s.scalars(select(MonitorEvaluationRow.id).where(
            MonitorEvaluationRow.dedup_key == dedup)).first() is not None


def _dedup_key(ctx: dict[str, Any], window: tuple[Any, Any] | None) -> str:
    """Same monitor, forecast and covered window = same evaluation. Without a window (the data
    or the forecast could not be read) one failure is kept per target dataset version."""
    parts = [ctx["monitor_arn"], ctx["forecast_arn"]]
    parts += [str(pd.Timestamp(w)) for w in window] if window else ["version", str(ctx.get("data_version"))]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _utc(value: Any) -> Any:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def _aware(value: Any) -> Any:
    from datetime import UTC

    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def check_group_or_monitor(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInputError("give a dataset group name or ARN, or a monitor ARN")
    return value

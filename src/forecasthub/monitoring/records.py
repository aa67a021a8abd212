"""Monitors and their evaluations in the metadata store: lookups, scope, and the API shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from forecasthub.errors import InvalidInputError, NotFoundError
from forecasthub.monitoring.realised import metric_results
from forecasthub.store.orm import DatasetGroupRow, MonitorEvaluationRow, MonitorRow, PredictorRow

ACTIVE, ACTIVE_STOPPED = "ACTIVE", "ACTIVE_STOPPED"
SUCCESS, FAILURE = "SUCCESS", "FAILURE"
EVALUATION_STATES = (SUCCESS, FAILURE)
BASELINE_METRICS = ("AverageWeightedQuantileLoss", "WAPE", "RMSE", "MASE", "MAPE")


def epoch(value: Any) -> float | None:
    from forecasthub.services.common import epoch as to_epoch

    return to_epoch(value)


def group_arn_of(s: Any, hub: Any, group: str) -> str:
    """A dataset group's ARN from its name or ARN (NotFoundError when it does not exist)."""
    if not isinstance(group, str) or not group:
        raise InvalidInputError("a dataset group name or ARN is required")
    arn = group if group.startswith("arn:") else hub.arn("dataset-group", group)
    if s.get(DatasetGroupRow, arn) is None:
        raise NotFoundError(f"dataset group {group} not found")
    return arn


def monitor_of(s: Any, predictor_arn: str) -> MonitorRow | None:
    return s.scalars(select(MonitorRow).where(MonitorRow.resource_arn == predictor_arn)).first()


def scope(s: Any, monitor: MonitorRow) -> set[str]:
    """The predictors whose forecasts a monitor evaluates: its own predictor and the predictors
    retrained from it (ReferencePredictorArn chain) that have no monitor of their own."""
    rows = s.scalars(select(PredictorRow).where(
        PredictorRow.dataset_group_arn == monitor.dataset_group_arn)).all()
    reference = {p.arn: p.reference_predictor_arn for p in rows}
    monitored = set(s.scalars(select(MonitorRow.resource_arn)).all())
    out = {monitor.resource_arn}
    for arn in reference:
        seen, current = set(), arn
        while current and current not in seen and current != monitor.resource_arn:
            if current != arn and current in monitored:
                break
            seen.add(current)
            current = reference.get(current)
        if current == monitor.resource_arn and arn not in monitored:
            out.add(arn)
    return out


def retrained_from(s: Any, predictor_arn: str) -> list[PredictorRow]:
    """Predictors whose ReferencePredictorArn chain leads to ``predictor_arn``, oldest first."""
    rows = s.scalars(select(PredictorRow).where(PredictorRow.reference_predictor_arn.is_not(None))
                     .order_by(PredictorRow.created_at)).all()
    children: dict[str, list[PredictorRow]] = {}
    for p in rows:
        children.setdefault(p.reference_predictor_arn, []).append(p)
    out, todo, seen = [], [predictor_arn], {predictor_arn}
    while todo:
        for child in children.get(todo.pop(), []):
            if child.arn not in seen:
                seen.add(child.arn)
                out.append(child)
                todo.append(child.arn)
    return sorted(out, key=lambda p: p.created_at)


def evaluation_item(row: MonitorEvaluationRow) -> dict[str, Any]:
    """One PredictorMonitorEvaluation, as ListMonitorEvaluations returns it."""
    source = {"PredictorArn": row.predictor_arn, "ForecastArn": row.forecast_arn}
    if row.dataset_import_job_arn:
        source["DatasetImportJobArn"] = row.dataset_import_job_arn
    out: dict[str, Any] = {
        "ResourceArn": row.resource_arn, "MonitorArn": row.monitor_arn,
        "EvaluationTime": epoch(row.evaluated_at), "EvaluationState": row.state,
    }
    if row.window_start is not None:
        out["WindowStartDatetime"] = epoch(row.window_start)
    if row.window_end is not None:
        out["WindowEndDatetime"] = epoch(row.window_end)
    if row.predictor_event:
        out["PredictorEvent"] = dict(row.predictor_event)
    out["MonitorDataSource"] = source
    out["MetricResults"] = metric_results(row.metrics or {}) if row.state == SUCCESS else []
    out["NumItemsEvaluated"] = int(row.num_items or 0)
    if row.message:
        out["Message"] = row.message
    return out

"""Predictor monitors: CreateMonitor, DescribeMonitor, ListMonitors, ListMonitorEvaluations,
DeleteMonitor, and StopResource / ResumeResource on a monitor (ACTIVE <-> ACTIVE_STOPPED).

A monitor has no job: it is ACTIVE once created (reported CREATE_IN_PROGRESS / CREATE_FAILED while
its predictor is still training / failed). Evaluations are made by :mod:`forecasthub.monitoring`.
Unlike Amazon Forecast, any predictor can be monitored, not only auto predictors.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from forecasthub.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    ResourceInUseError,
)
from forecasthub.monitoring import records
from forecasthub.resources import Status, parse_arn, validate_enum, validate_name, validate_tags
from forecasthub.services import registry
from forecasthub.services.common import Request, apply_filters, epoch, paginate, param, required
from forecasthub.services.context import Hub
from forecasthub.services.operations import register_operations
from forecasthub.services.predictors import get_predictor
from forecasthub.services.predictors import stop_resource as stop_job
from forecasthub.store.orm import MonitorEvaluationRow, MonitorRow, PredictorRow, utcnow

DELETABLE = (records.ACTIVE, records.ACTIVE_STOPPED, Status.CREATE_FAILED, Status.CREATE_STOPPED)


def get_monitor(s: Any, arn: Any) -> MonitorRow:
    parse_arn(arn, "MonitorArn", "monitor")
    row = s.get(MonitorRow, arn)
    if row is None:
        raise NotFoundError(f"monitor {arn} not found")
    return row


def add_monitor(s: Any, hub: Hub, name: str, predictor: PredictorRow, tags: dict[str, str],
                arn_path: str | None = None) -> MonitorRow:
    """A new ACTIVE monitor of ``predictor`` in the caller's session (one per predictor)."""
    if predictor.status in (Status.CREATE_FAILED, Status.CREATE_STOPPED, Status.CREATE_STOPPING) or \
            predictor.status.startswith("DELETE"):
        raise ResourceInUseError(f"predictor {predictor.name!r} is {predictor.status}; it cannot be monitored")
    if s.scalars(select(MonitorRow).where(MonitorRow.name == name)).first() is not None:
        raise AlreadyExistsError(f"a monitor named {name!r} already exists")
    existing = records.monitor_of(s, predictor.arn)
    if existing is not None:
        raise AlreadyExistsError(f"predictor {predictor.name!r} already has monitor {existing.name!r}")
    row = MonitorRow(arn=hub.arn("monitor", arn_path or name), name=name, status=records.ACTIVE,
                     resource_arn=predictor.arn, dataset_group_arn=predictor.dataset_group_arn, tags=tags)
    if s.get(MonitorRow, row.arn) is not None:
        raise AlreadyExistsError(f"monitor {row.arn} already exists")
    s.add(row)
    s.flush()
    return row


def create_monitor(hub: Hub, req: Request) -> dict[str, Any]:
    name = validate_name(required(req, "MonitorName"), "MonitorName")
    tags = validate_tags(param(req, "Tags"))
    with hub.db.session() as s:
        predictor = get_predictor(s, required(req, "ResourceArn"))
        return {"MonitorArn": add_monitor(s, hub, name, predictor, tags).arn}


def attach_monitor(s: Any, hub: Hub, predictor_arn: str, config: Any, reference: str | None) -> None:
    """CreateAutoPredictor's side: ``MonitorConfig {MonitorName}`` creates the monitor; a predictor
    retrained from a monitored one gets its own monitor, ``monitor/<name>_<ULID>`` as Amazon names
    it. Runs in the predictor's session, so a bad MonitorConfig creates neither."""
    s.flush()
    predictor = s.get(PredictorRow, predictor_arn)
    if predictor is None:
        return
    if config is not None:
        if not isinstance(config, dict):
            raise InvalidInputError("MonitorConfig must be {\"MonitorName\": ...}")
        name = validate_name(config.get("MonitorName"), "MonitorConfig.MonitorName")
        add_monitor(s, hub, name, predictor, {})
    elif reference is not None and records.monitor_of(s, reference) is not None:
        name = predictor.name
        if s.scalars(select(MonitorRow).where(MonitorRow.name == name)).first() is not None:
            return  # the name is taken: the retrained predictor stays under its origin's monitor
        add_monitor(s, hub, name, predictor, {}, arn_path=predictor_arn.rsplit("/", 1)[-1])


def monitor_info(s: Any, predictor_arn: str) -> dict[str, Any] | None:
    """DescribeAutoPredictor's MonitorInfo {MonitorArn, Status}, or None without a monitor."""
    row = records.monitor_of(s, predictor_arn)
    return None if row is None else {"MonitorArn": row.arn, "Status": _status(s, row)[0]}


def _status(s: Any, row: MonitorRow) -> tuple[str, str | None]:
    """The status to report, and a message: follows the predictor while it is not ACTIVE."""
    if row.status != records.ACTIVE:
        return row.status, row.message
    predictor = s.get(PredictorRow, row.resource_arn)
    if predictor is None:
        return Status.CREATE_FAILED, "the monitored predictor no longer exists"
    if predictor.status in (Status.CREATE_PENDING, Status.CREATE_IN_PROGRESS):
        return Status.CREATE_IN_PROGRESS, row.message
    if predictor.status in (Status.CREATE_FAILED, Status.CREATE_STOPPED, Status.CREATE_STOPPING):
        return Status.CREATE_FAILED, f"the monitored predictor is {predictor.status}"
    return row.status, row.message


def describe_monitor(hub: Hub, req: Request) -> dict[str, Any]:
    from forecasthub.registry.versions import summary_metrics

    with hub.db.session() as s:
        row = get_monitor(s, required(req, "MonitorArn"))
        status, message = _status(s, row)
        out: dict[str, Any] = {"MonitorName": row.name, "MonitorArn": row.arn,
                               "ResourceArn": row.resource_arn, "Status": status}
        if row.last_evaluation_at is not None:
            out["LastEvaluationTime"] = epoch(row.last_evaluation_at)
            out["LastEvaluationState"] = row.last_evaluation_state
        predictor = s.get(PredictorRow, row.resource_arn)
        metrics = summary_metrics(dict(predictor.accuracy or {})) if predictor else {}
        baseline = [{"Name": k, "Value": float(v)} for k, v in metrics.items()
                    if k in records.BASELINE_METRICS and v is not None]
        if baseline:
            out["Baseline"] = {"PredictorBaseline": {"BaselineMetrics": baseline}}
        if message:
            out["Message"] = message
        out["CreationTime"] = epoch(row.created_at)
        out["LastModificationTime"] = epoch(row.modified_at)
        return out


def list_monitors(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        rows = s.scalars(select(MonitorRow).order_by(MonitorRow.created_at.desc())).all()
        statuses = {r.arn: _status(s, r)[0] for r in rows}
        rows = apply_filters(rows, req, {"Status": lambda r: statuses[r.arn],
                                         "ResourceArn": lambda r: r.resource_arn})
        items = [{"MonitorArn": r.arn, "MonitorName": r.name, "ResourceArn": r.resource_arn,
                  "Status": statuses[r.arn], "CreationTime": epoch(r.created_at),
                  "LastModificationTime": epoch(r.modified_at)} for r in rows]
    return paginate(items, req, "Monitors")


def list_monitor_evaluations(hub: Hub, req: Request) -> dict[str, Any]:
    for f in param(req, "Filters", []) or []:
        if isinstance(f, dict) and f.get("Key") == "EvaluationState":
            validate_enum(f.get("Value"), records.EVALUATION_STATES, "EvaluationState filter Value")
    with hub.db.session() as s:
        monitor = get_monitor(s, required(req, "MonitorArn"))
        rows = s.scalars(select(MonitorEvaluationRow)
                         .where(MonitorEvaluationRow.monitor_arn == monitor.arn)
                         .order_by(MonitorEvaluationRow.evaluated_at.desc(),
                                   MonitorEvaluationRow.id.desc())).all()
        rows = apply_filters(rows, req, {"EvaluationState": lambda r: r.state})
        items = [records.evaluation_item(r) for r in rows]
    return paginate(items, req, "PredictorMonitorEvaluations")


def delete_monitor(hub: Hub, req: Request) -> dict[str, Any]:
    """Deletes the monitor and its evaluation history (rows and per-series files)."""
    with hub.db.session() as s:
        row = get_monitor(s, required(req, "MonitorArn"))
        if row.status not in DELETABLE:
            raise ResourceInUseError(f"monitor {row.name!r} is {row.status}; wait for it")
        evaluations = s.scalars(select(MonitorEvaluationRow)
                                .where(MonitorEvaluationRow.monitor_arn == row.arn)).all()
        keys = [e.item_key for e in evaluations if e.item_key]
        for e in evaluations:
            s.delete(e)
        s.delete(row)
    for key in keys:
        hub.store.delete(key)
    return {}


def stop_resource(hub: Hub, req: Request) -> dict[str, Any]:
    """StopResource: a monitor stops evaluating (ACTIVE_STOPPED); other resources stop their job."""
    arn = required(req, "ResourceArn")
    if parse_arn(arn, "ResourceArn")[0] != "monitor":
        return stop_job(hub, req)
    with hub.db.session() as s:
        row = get_monitor(s, arn)
        if row.status != records.ACTIVE:
            raise ResourceInUseError(f"monitor {row.name!r} is {row.status}; only an ACTIVE monitor "
                                     "can be stopped")
        row.status, row.modified_at = records.ACTIVE_STOPPED, utcnow()
    return {}


def resume_resource(hub: Hub, req: Request) -> dict[str, Any]:
    """ResumeResource: a stopped monitor evaluates again (ACTIVE). Only monitors resume."""
    arn = required(req, "ResourceArn")
    if parse_arn(arn, "ResourceArn")[0] != "monitor":
        raise InvalidInputError("only monitors can be resumed; ResourceArn must be a monitor ARN")
    with hub.db.session() as s:
        row = get_monitor(s, arn)
        if row.status != records.ACTIVE_STOPPED:
            raise ResourceInUseError(f"monitor {row.name!r} is {row.status}; only a stopped "
                                     "(ACTIVE_STOPPED) monitor can be resumed")
        row.status, row.modified_at = records.ACTIVE, utcnow()
    return {}


registry.register_table("monitor", MonitorRow, parent=("predictor", "resource_arn"))
register_operations({
    "CreateMonitor": create_monitor,
    "DescribeMonitor": describe_monitor,
    "ListMonitors": list_monitors,
    "ListMonitorEvaluations": list_monitor_evaluations,
    "DeleteMonitor": delete_monitor,
    "StopResource": stop_resource,
    "ResumeResource": resume_resource,
})

"""The model registry: ACTIVE predictors registered as versions of their dataset group's model.

A version records the predictor, its metrics (the optimization metric's SUMMARY value plus every
summary metric), the dataset versions it was trained on (the artifact's ``meta.json``) and its
parameters (the predictor's config). Its status is ``PendingManualApproval``, ``Approved`` or
``Rejected``. Exactly one Approved version per dataset group is deployed; a rollback redeploys
the version that was deployed before the current one (repeatable, walking the history back).

The database enforces it too: a partial unique index on ``model_versions(dataset_group_arn)
WHERE deployed`` (migration 0006).

An optional approval rule per dataset group approves a new version automatically when its metric
is no worse than the deployed version's by more than ``max_regression`` (a fraction: 0.05 allows
5 % worse; every metric here is lower-is-better), and with ``auto_deploy`` deploys it too. A
version the rule does not approve stays PendingManualApproval with the reason in its message.

Pinning: ``FORECASTHUB_MODEL_PINS="group=predictor_name,other=name"`` (or a ``model_pins``
setting) makes :func:`resolve_model` use that predictor for the group, whatever is deployed.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from forecasthub.errors import InvalidInputError, NotFoundError, ResourceInUseError
from forecasthub.resources import Status
from forecasthub.store.orm import (
    DatasetGroupRow,
    ModelApprovalRuleRow,
    ModelDeploymentRow,
    ModelVersionRow,
    PredictorRow,
    utcnow,
)

log = logging.getLogger(__name__)

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
METRICS = ("AverageWeightedQuantileLoss", "WAPE", "RMSE", "MASE", "MAPE")
PINS_ENV = "FORECASTHUB_MODEL_PINS"


# lookups -------------------------------------------------------------------------------------
def group_row(s: Any, hub: Any, group: str) -> DatasetGroupRow:
    """A dataset group by name or ARN."""
    if not isinstance(group, str) or not group:
        raise InvalidInputError("a dataset group name or ARN is required")
    arn = group if group.startswith("arn:") else hub.arn("dataset-group", group)
    row = s.get(DatasetGroupRow, arn)
    if row is None:
        raise NotFoundError(f"dataset group {group} not found")
    return row


def version_row(s: Any, hub: Any, group: str, version: Any) -> ModelVersionRow:
    g = group_row(s, hub, group)
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise InvalidInputError(f"model version must be a number, not {version!r}") from None
    row = s.scalars(select(ModelVersionRow).where(ModelVersionRow.dataset_group_arn == g.arn,
                                                  ModelVersionRow.version == number)).first()
    if row is None:
        raise NotFoundError(f"dataset group {g.name!r} has no model version {number}")
    return row


def to_json(row: ModelVersionRow, group_name: str | None = None) -> dict[str, Any]:
    from forecasthub.services.common import epoch

    return {"ModelVersionId": row.id, "DatasetGroupArn": row.dataset_group_arn,
            "DatasetGroupName": group_name or row.dataset_group_arn.rsplit("/", 1)[-1],
            "Version": row.version, "PredictorArn": row.predictor_arn,
            "PredictorName": row.predictor_name, "Status": row.status,
            "MetricName": row.metric_name, "MetricValue": row.metric_value, "Metrics": row.metrics,
            "DatasetVersions": row.dataset_versions, "Parameters": row.parameters,
            "Deployed": row.deployed, "DeployedTime": epoch(row.deployed_at),
            "Message": row.message, "CreationTime": epoch(row.created_at),
            "LastModificationTime": epoch(row.modified_at)}


def summary_metrics(accuracy: dict[str, Any]) -> dict[str, float | None]:
    """The predictor's SUMMARY metrics from GetAccuracyMetrics' first (the predictor's) result."""
    results = accuracy.get("PredictorEvaluationResults") or []
    if not results:
        return {}
    window = next((w for w in results[0].get("TestWindows") or [] if w.get("EvaluationType") == "SUMMARY"),
                  None)
    if window is None:
        return {}
    m = window.get("Metrics") or {}
    errors = next((e for e in m.get("ErrorMetrics") or [] if e.get("ForecastType") == "mean"),
                  (m.get("ErrorMetrics") or [{}])[0])
    out: dict[str, float | None] = {"AverageWeightedQuantileLoss": m.get("AverageWeightedQuantileLoss"),
                                    "WAPE": errors.get("WAPE"), "RMSE": errors.get("RMSE", m.get("RMSE")),
                                    "MASE": errors.get("MASE"), "MAPE": errors.get("MAPE")}
    for loss in m.get("WeightedQuantileLosses") or []:
        out[f"wQL[{loss.get('Quantile')}]"] = loss.get("LossValue")
    return out


# registration --------------------------------------------------------------------------------
def register_predictor(hub: Any, predictor: str) -> dict[str, Any]:
    """Register an ACTIVE predictor (name or ARN) as its group's next model version; idempotent.
    Applies the group's approval rule, if any."""
    arn = predictor if predictor.startswith("arn:") else hub.arn("predictor", predictor)
    with hub.db.session() as s:
        p = s.get(PredictorRow, arn)
        if p is None:
            raise NotFoundError(f"predictor {predictor} not found")
        if p.status != Status.ACTIVE:
            raise ResourceInUseError(f"predictor {p.name!r} is {p.status}, not ACTIVE")
        existing = s.scalars(select(ModelVersionRow).where(ModelVersionRow.predictor_arn == arn)).first()
        if existing is not None:
            return to_json(existing)
        key, group_arn, name = p.artifact_key, p.dataset_group_arn, p.name
        config, accuracy = dict(p.config or {}), dict(p.accuracy or {})
    versions: dict[str, Any] = {}
    if key:
        try:
            versions = json.loads(hub.store.read_bytes(f"{key}/meta.json")).get("versions") or {}
        except Exception as exc:  # noqa: BLE001 - recorded, not fatal
            log.warning("predictor %s: cannot read meta.json: %s", name, exc)
    metrics = summary_metrics(accuracy)
    metric = config.get("optimization_metric") or "AverageWeightedQuantileLoss"
    with hub.db.session() as s:
        number = (s.scalar(select(func.max(ModelVersionRow.version))
                           .where(ModelVersionRow.dataset_group_arn == group_arn)) or 0) + 1
        row = ModelVersionRow(id=uuid.uuid4().hex, dataset_group_arn=group_arn, version=number,
                              predictor_arn=arn, predictor_name=name, status=PENDING,
                              metric_name=metric, metric_value=metrics.get(metric), metrics=metrics,
                              dataset_versions=versions, parameters=config, deployed=False)
        s.add(row)
        s.flush()
        _apply_rule(s, row)
        return to_json(row)


def on_predictor_trained(hub: Any, predictor_arn: str) -> None:
    """Hook for the TrainHandler after a predictor became ACTIVE: register it, never fail it."""
    try:
        register_predictor(hub, predictor_arn)
    except Exception:
        log.exception("could not register predictor %s as a model version", predictor_arn)


def _deployed(s: Any, group_arn: str) -> ModelVersionRow | None:
    return s.scalars(select(ModelVersionRow).where(ModelVersionRow.dataset_group_arn == group_arn,
                                                   ModelVersionRow.deployed.is_(True))).first()


def _apply_rule(s: Any, row: ModelVersionRow) -> None:
    rule = s.get(ModelApprovalRuleRow, row.dataset_group_arn)
    if rule is None:
        return
    value = row.metrics.get(rule.metric)
    current = _deployed(s, row.dataset_group_arn)
    base = None if current is None else (current.metrics or {}).get(rule.metric)
    if value is None:
        row.message = f"approval rule: this version has no {rule.metric} value; approve it by hand"
        return
    if base is not None:
        limit = base * (1 + rule.max_regression) if base >= 0 else base * (1 - rule.max_regression)
        if value > limit:
            row.message = (f"approval rule: {rule.metric} {value:.6g} is worse than the deployed "
                           f"version {current.version}'s {base:.6g} by more than "
                           f"{rule.max_regression:.2%}; approve or reject it by hand")
            return
        row.message = (f"approved by rule: {rule.metric} {value:.6g} vs deployed version "
                       f"{current.version}'s {base:.6g} (margin {rule.max_regression:.2%})")
    else:
        row.message = f"approved by rule: no deployed version to compare {rule.metric} with"
    row.status, row.modified_at = APPROVED, utcnow()
    if rule.auto_deploy:
        _deploy(s, row, "deploy")


# status and deployment -----------------------------------------------------------------------
def list_versions(hub: Any, group: str | None = None, status: str | None = None) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise InvalidInputError(f"status must be one of {', '.join(STATUSES)}")
    with hub.db.session() as s:
        query = select(ModelVersionRow).order_by(ModelVersionRow.dataset_group_arn,
                                                 ModelVersionRow.version.desc())
        if group:
            query = query.where(ModelVersionRow.dataset_group_arn == group_row(s, hub, group).arn)
        if status:
            query = query.where(ModelVersionRow.status == status)
        return {"ModelVersions": [to_json(r) for r in s.scalars(query).all()]}


def describe_version(hub: Any, group: str, version: Any) -> dict[str, Any]:
    with hub.db.session() as s:
        return to_json(version_row(s, hub, group, version))


def set_status(hub: Any, group: str, version: Any, status: str, message: str | None = None
               ) -> dict[str, Any]:
    if status not in (APPROVED, REJECTED):
        raise InvalidInputError(f"status must be {APPROVED} or {REJECTED}")
    with hub.db.session() as s:
        row = version_row(s, hub, group, version)
        if status == REJECTED and row.deployed:
            raise ResourceInUseError(f"model version {row.version} is deployed; deploy another "
                                     "version or roll back before rejecting it")
        row.status, row.modified_at = status, utcnow()
        row.message = message or f"{status.lower()} by hand"
        return to_json(row)


def _deploy(s: Any, row: ModelVersionRow, action: str, previous_id: str | None = None,
            use_previous: bool = False) -> None:
    if row.status != APPROVED:
        raise ResourceInUseError(f"model version {row.version} is {row.status}; only Approved "
                                 "versions can be deployed")
    current = _deployed(s, row.dataset_group_arn)
    if current is not None and current.id == row.id:
        return
    now = utcnow()
    # one deployed version per group is a partial unique index (migration 0006): clear the old
    # flag and flush before setting the new one, so no statement ever sees two
    if current is not None:
        current.deployed, current.modified_at = False, now
        s.flush()
    row.deployed, row.deployed_at, row.modified_at = True, now, now
    try:
        s.flush()
    except IntegrityError:  # another process deployed a version of this group meanwhile
        raise ResourceInUseError(f"another deployment of this dataset group's model happened at "
                                 f"the same time; try deploying version {row.version} again") from None
    s.add(ModelDeploymentRow(dataset_group_arn=row.dataset_group_arn, model_version_id=row.id,
                             previous_version_id=previous_id if use_previous else
                             (current.id if current is not None else None), action=action))


def deploy(hub: Any, group: str, version: Any) -> dict[str, Any]:
    """Make an Approved version the group's one deployed version."""
    with hub.db.session() as s:
        row = version_row(s, hub, group, version)
        _deploy(s, row, "deploy")
        return to_json(row)


def rollback(hub: Any, group: str) -> dict[str, Any]:
    """Redeploy the version deployed before the current one."""
    with hub.db.session() as s:
        g = group_row(s, hub, group)
        log_rows = s.scalars(select(ModelDeploymentRow).where(ModelDeploymentRow.dataset_group_arn == g.arn)
                             .order_by(ModelDeploymentRow.id.desc())).all()
        if not log_rows or log_rows[0].previous_version_id is None:
            raise ResourceInUseError(f"dataset group {g.name!r} has no earlier deployed version "
                                     "to roll back to")
        latest = log_rows[0]
        target = s.get(ModelVersionRow, latest.previous_version_id)
        if target is None:
            raise NotFoundError("the previously deployed model version no longer exists")
        # the entry that originally deployed the target says what was deployed before it
        earlier = next((e for e in log_rows[1:] if e.model_version_id == target.id), None)
        if target.status != APPROVED:
            raise ResourceInUseError(f"the previous version {target.version} is now {target.status}; "
                                     "deploy an Approved version instead")
        _deploy(s, target, "rollback", earlier.previous_version_id if earlier else None,
                use_previous=True)
        return to_json(target)


def deployed_version(hub: Any, group: str) -> dict[str, Any] | None:
    with hub.db.session() as s:
        row = _deployed(s, group_row(s, hub, group).arn)
        return None if row is None else to_json(row)


def history(hub: Any, group: str) -> list[dict[str, Any]]:
    from forecasthub.services.common import epoch

    with hub.db.session() as s:
        g = group_row(s, hub, group)
        numbers = {r.id: r.version for r in s.scalars(select(ModelVersionRow)
                                                      .where(ModelVersionRow.dataset_group_arn == g.arn))}
        rows = s.scalars(select(ModelDeploymentRow).where(ModelDeploymentRow.dataset_group_arn == g.arn)
                         .order_by(ModelDeploymentRow.id)).all()
        return [{"Version": numbers.get(r.model_version_id), "Action": r.action,
                 "PreviousVersion": numbers.get(r.previous_version_id or ""),
                 "Time": epoch(r.created_at)} for r in rows]


# approval rules ------------------------------------------------------------------------------
def set_rule(hub: Any, group: str, metric: str, max_regression: float = 0.0,
             auto_deploy: bool = False) -> dict[str, Any]:
    if metric not in METRICS and not (metric.startswith("wQL[") and metric.endswith("]")):
        raise InvalidInputError(f"metric must be one of {', '.join(METRICS)} or wQL[<quantile>]")
    try:
        max_regression = float(max_regression)
    except (TypeError, ValueError):
        raise InvalidInputError("max_regression must be a number (0.05 = 5 % worse at most)") from None
    if not 0 <= max_regression <= 10:
        raise InvalidInputError("max_regression must be from 0 to 10 (a fraction: 0.05 = 5 %)")
    with hub.db.session() as s:
        g = group_row(s, hub, group)
        rule = s.get(ModelApprovalRuleRow, g.arn)
        if rule is None:
            rule = ModelApprovalRuleRow(dataset_group_arn=g.arn, metric=metric)
            s.add(rule)
        rule.metric, rule.max_regression, rule.auto_deploy = metric, max_regression, bool(auto_deploy)
        rule.modified_at = utcnow()
        return _rule_json(rule, g.name)


def get_rule(hub: Any, group: str) -> dict[str, Any] | None:
    with hub.db.session() as s:
        g = group_row(s, hub, group)
        rule = s.get(ModelApprovalRuleRow, g.arn)
        return None if rule is None else _rule_json(rule, g.name)


def delete_rule(hub: Any, group: str) -> None:
    with hub.db.session() as s:
        rule = s.get(ModelApprovalRuleRow, group_row(s, hub, group).arn)
        if rule is not None:
            s.delete(rule)


def _rule_json(rule: ModelApprovalRuleRow, group_name: str) -> dict[str, Any]:
    return {"DatasetGroupName": group_name, "DatasetGroupArn": rule.dataset_group_arn,
            "Metric": rule.metric, "MaxRegression": rule.max_regression, "AutoDeploy": rule.auto_deploy}


# which model to use ---------------------------------------------------------------------------
def pins(hub: Any) -> dict[str, str]:
    """Dataset group name -> pinned predictor name, from the ``model_pins`` setting or the env."""
    raw = getattr(hub.settings, "model_pins", None) or os.environ.get(PINS_ENV, "")
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    out = {}
    for part in str(raw).split(","):
        if not part.strip():
            continue
        group, sep, name = part.partition("=")
        if not sep or not group.strip() or not name.strip():
            raise InvalidInputError(f"{PINS_ENV} entries look like group=predictor_name, not {part!r}")
        out[group.strip()] = name.strip()
    return out


def resolve_model(hub: Any, group: str) -> dict[str, Any]:
    """The predictor to forecast a dataset group with: the pinned one, else the deployed version.
    Returns {"PredictorArn", "Source": "pinned"|"deployed", "Version"}; NotFoundError if none."""
    with hub.db.session() as s:
        g = group_row(s, hub, group)
        pinned = pins(hub).get(g.name)
        if pinned:
            arn = hub.arn("predictor", pinned)
            p = s.get(PredictorRow, arn)
            if p is None or p.status != Status.ACTIVE:
                raise NotFoundError(f"the model pinned for {g.name!r} ({PINS_ENV}) is predictor "
                                    f"{pinned!r}, which is missing or not ACTIVE")
            row = s.scalars(select(ModelVersionRow).where(ModelVersionRow.predictor_arn == arn)).first()
            return {"PredictorArn": arn, "Source": "pinned", "Version": row.version if row else None}
        row = _deployed(s, g.arn)
        if row is None:
            raise NotFoundError(f"dataset group {g.name!r} has no deployed model version; "
                                "deploy one (forecasthub model-versions deploy) or pin one")
        return {"PredictorArn": row.predictor_arn, "Source": "deployed", "Version": row.version}

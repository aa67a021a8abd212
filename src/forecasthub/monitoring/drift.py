"""Drift check for the retraining pipeline: realised accuracy vs the predictor's backtest.

``drift_status(hub, "shop", "WAPE", 0.2)`` compares the latest SUCCESS monitor evaluation of the
group's model (the deployed or pinned predictor from :func:`forecasthub.registry.resolve_model`,
else the newest monitored predictor of the group) with that predictor's backtest SUMMARY value of
the same metric: drifted when ``realised > baseline * (1 + threshold)`` (every metric is
lower-is-better).
"""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any

from sqlalchemy import select

from forecasthub.errors import InvalidInputError, NotFoundError
from forecasthub.metrics import check_metric
from forecasthub.monitoring import records
from forecasthub.store.orm import MonitorEvaluationRow, MonitorRow, PredictorRow


def drift_status(hub: Any, group: str, metric: str = "WAPE", threshold: float = 0.2) -> dict[str, Any]:
    """{"Drifted", "Metric", "Realised", "Baseline", "Ratio", "MonitorArn", "EvaluationTime",
    "Reason"}: see the module doc. No evaluation yet -> Drifted False, with the reason."""
    from forecasthub.registry.versions import resolve_model, summary_metrics

    check_metric(metric)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or \
            not math.isfinite(threshold) or threshold < 0:
        raise InvalidInputError(f"threshold must be a number >= 0 (0.2 = 20 % worse), not {threshold!r}")
    out: dict[str, Any] = {"Drifted": False, "Metric": metric, "Realised": None, "Baseline": None,
                           "Ratio": None, "MonitorArn": None, "EvaluationTime": None, "Reason": ""}
    try:
        predictor_arn: str | None = resolve_model(hub, group)["PredictorArn"]
        source = "the deployed model"
    except NotFoundError:
        predictor_arn, source = None, "the newest monitored predictor"
    with hub.db.session() as s:
        group_arn = records.group_arn_of(s, hub, group)
        if predictor_arn is None:
            predictor_arn = s.scalars(
                select(PredictorRow.arn).join(MonitorRow, MonitorRow.resource_arn == PredictorRow.arn)
                .where(PredictorRow.dataset_group_arn == group_arn)
                .order_by(PredictorRow.created_at.desc())).first()
        if predictor_arn is None:
            out["Reason"] = "the dataset group has no deployed model version and no monitored predictor"
            return out
        predictor = s.get(PredictorRow, predictor_arn)
        name = predictor.name if predictor else predictor_arn.rsplit("/", 1)[-1]
        baseline = summary_metrics(dict(predictor.accuracy or {})).get(metric) if predictor else None
        out["Baseline"] = _number(baseline)
        latest = s.scalars(select(MonitorEvaluationRow).where(
            MonitorEvaluationRow.predictor_arn == predictor_arn,
            MonitorEvaluationRow.state == records.SUCCESS)
            .order_by(MonitorEvaluationRow.evaluated_at.desc())).first()
        monitor = records.monitor_of(s, predictor_arn)
        out["MonitorArn"] = latest.monitor_arn if latest else (monitor.arn if monitor else None)
        if latest is None:
            out["Reason"] = (f"no successful monitor evaluation yet for {source}, predictor {name!r}"
                             + ("" if out["MonitorArn"] else " (it has no monitor: CreateMonitor)"))
            return out
        when = latest.evaluated_at if latest.evaluated_at.tzinfo else latest.evaluated_at.replace(tzinfo=UTC)
        out["EvaluationTime"] = when.isoformat()
        realised = _number((latest.metrics or {}).get(metric))
    out["Realised"] = realised
    if realised is None:
        out["Reason"] = f"the latest evaluation of predictor {name!r} has no {metric} value"
        return out
    if out["Baseline"] is None:
        out["Reason"] = f"predictor {name!r} has no backtest {metric} to compare with"
        return out
    base = out["Baseline"]
    out["Ratio"] = realised / base if base != 0 else None
    limit = base * (1 + threshold)
    out["Drifted"] = bool(realised > limit)
    verdict = "above" if out["Drifted"] else "within"
    out["Reason"] = (f"realised {metric} {realised:.6g} of predictor {name!r} is {verdict} its backtest "
                     f"{base:.6g} x (1 + {threshold:g}) = {limit:.6g}")
    return out


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None

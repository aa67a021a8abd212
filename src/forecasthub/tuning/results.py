"""Trials as rows: the SQL catalog's ``tuning_trials`` table and the CLI's ``trials`` table."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from forecasthub.tuning.hyperparameters import as_string

COLUMNS = {
    "tuning_job": "VARCHAR", "trial_number": "INTEGER", "trial_name": "VARCHAR",
    "status": "VARCHAR", "is_best": "BOOLEAN", "algorithm": "VARCHAR",
    "objective_metric": "VARCHAR", "objective_value": "DOUBLE", "parameters": "VARCHAR",
    "average_wql": "DOUBLE", "wape": "DOUBLE", "rmse": "DOUBLE", "mase": "DOUBLE", "mape": "DOUBLE",
    "started_at": "TIMESTAMPTZ", "ended_at": "TIMESTAMPTZ", "seconds": "DOUBLE",
    "failure_reason": "VARCHAR", "best_predictor_arn": "VARCHAR",
}
METRIC_COLUMNS = {"average_wql": "AverageWeightedQuantileLoss", "wape": "WAPE", "rmse": "RMSE",
                  "mase": "MASE", "mape": "MAPE"}


def trial_rows(hub: Any, job_name: str | None = None) -> list[dict[str, Any]]:
    """One row per trial (every job, or one job by name), jobs by creation, trials by number;
    ``parameters`` is the tuned hyperparameters as a JSON object of strings."""
    from forecasthub.store.orm import TuningJobRow, TuningTrialRow
    from forecasthub.tuning.runner import best_trial

    rows: list[dict[str, Any]] = []
    with hub.db.session() as s:
        query = select(TuningJobRow).order_by(TuningJobRow.created_at)
        if job_name is not None:
            query = query.where(TuningJobRow.name == job_name)
        for job in s.scalars(query).all():
            trials = list(s.scalars(select(TuningTrialRow)
                                    .where(TuningTrialRow.tuning_job_arn == job.arn)
                                    .order_by(TuningTrialRow.number)).all())
            best = best_trial(trials)
            for t in trials:
                metrics = t.metrics or {}
                rows.append({
                    "tuning_job": job.name, "trial_number": t.number, "trial_name": t.name,
                    "status": t.status, "is_best": best is not None and t.id == best.id,
                    "algorithm": job.algorithm,
                    "objective_metric": (job.config or {}).get("metric_name"),
                    "objective_value": t.objective_value,
                    "parameters": json.dumps({k: as_string(v) for k, v in t.parameters.items()},
                                             sort_keys=True),
                    **{col: metrics.get(name) for col, name in METRIC_COLUMNS.items()},
                    "started_at": t.started_at, "ended_at": t.ended_at, "seconds": t.seconds,
                    "failure_reason": t.failure_reason,
                    "best_predictor_arn": job.best_predictor_arn if best is not None
                    and t.id == best.id else None,
                })
    return rows

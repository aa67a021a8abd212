"""Hyperparameter tuning jobs with SageMaker's operations and shapes:
CreateHyperParameterTuningJob, DescribeHyperParameterTuningJob,
ListTrainingJobsForHyperParameterTuningJob, ListHyperParameterTuningJobs,
StopHyperParameterTuningJob. A job runs in the jobs queue (kind ``hyperparameter-tuning``);
see :mod:`forecasthub.tuning` for the search and :mod:`forecasthub.tuning.runner` for a run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from forecasthub.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    ResourceInUseError,
)
from forecasthub.jobs import queue, worker
from forecasthub.resources import validate_tags
from forecasthub.services.common import Request, epoch, paginate, param, required
from forecasthub.services.context import Hub
from forecasthub.services.operations import register_operations
from forecasthub.store.orm import JobRow, PredictorRow, TuningJobRow, TuningTrialRow, utcnow
from forecasthub.tuning.config import NAME_RE, TuningConfig, parse_tuning_request
from forecasthub.tuning.runner import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    STOPPED,
    STOPPING,
    TuningRun,
    best_trial,
    predictor_request,
)

KIND = "hyperparameter-tuning"
JOB_STATUSES = (COMPLETED, IN_PROGRESS, FAILED, STOPPED, STOPPING)
TRIAL_STATUSES = (IN_PROGRESS, COMPLETED, FAILED, STOPPING, STOPPED)


def sagemaker_arn(hub: Hub, resource_type: str, name: str) -> str:
    s = hub.settings
    return f"arn:aws:sagemaker:{s.region}:{s.account_id}:{resource_type}/{name.lower()}"


def _name(req: Request) -> str:
    name = required(req, "HyperParameterTuningJobName")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InvalidInputError(f"HyperParameterTuningJobName {name!r} is not valid: 1-32 letters, "
                                "digits or hyphens")
    return name


def get_tuning_job(s: Any, hub: Hub, name: str) -> TuningJobRow:
    row = s.get(TuningJobRow, sagemaker_arn(hub, "hyper-parameter-tuning-job", name))
    if row is None:
        raise NotFoundError(f"hyperparameter tuning job {name!r} not found")
    return row


def create_hyper_parameter_tuning_job(hub: Hub, req: Request) -> dict[str, Any]:
    from forecasthub.forecasting.config import parse_legacy_predictor
    from forecasthub.services.predictors import _check_against_data, _group_fields

    config = parse_tuning_request(req)
    if not config.data.dataset_group_arn.startswith("arn:"):  # forecasthub://dataset-group/<name>
        config.data.dataset_group_arn = hub.arn("dataset-group", config.data.dataset_group_arn)
    tags = validate_tags(param(req, "Tags"))
    arn = sagemaker_arn(hub, "hyper-parameter-tuning-job", config.name)
    with hub.db.session() as s:
        if s.get(TuningJobRow, arn) is not None:
            raise AlreadyExistsError(f"a hyperparameter tuning job named {config.name!r} already "
                                     "exists")
        if s.scalars(select(PredictorRow).where(PredictorRow.name == config.predictor_name)).first():
            raise AlreadyExistsError(f"a predictor named {config.predictor_name!r} already exists; "
                                     "the best trial becomes that predictor: give another "
                                     "BestPredictorName")
        # the best trial's CreatePredictor request must be valid for this data: check it now
        _, datasets, roles, related = _group_fields(s, hub, config.data.dataset_group_arn)
        pconfig = parse_legacy_predictor(predictor_request(config, config.predictor_name),
                                         roles.target, related)
        _check_against_data(pconfig, datasets, roles, fraction=3)
        s.add(TuningJobRow(arn=arn, name=config.name, status=IN_PROGRESS,
                           algorithm=config.algorithm,
                           dataset_group_arn=config.data.dataset_group_arn,
                           config=config.to_json(), request=_clean(req, config),
                           tags=tags))
        job_id = queue.enqueue(s, KIND, arn, {})
    return {"HyperParameterTuningJobArn": arn, "_JobId": job_id}


def _clean(req: Request, config: TuningConfig | None = None) -> dict[str, Any]:
    """The request as Describe echoes it: SageMaker's types (range bounds, categorical values
    and static hyperparameters as strings; limits and seed as integers)."""
    import copy
    import json

    out = copy.deepcopy({k: v for k, v in req.items() if v is not None and k != "Tags"})
    if config is None:
        return out

    def text(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)

    cfg = out.get("HyperParameterTuningJobConfig") or {}
    cfg["RandomSeed"] = config.seed
    limits = cfg.setdefault("ResourceLimits", {})
    limits["MaxNumberOfTrainingJobs"] = config.max_trials
    limits["MaxParallelTrainingJobs"] = config.max_parallel
    if config.max_runtime_s is not None:
        limits["MaxRuntimeInSeconds"] = config.max_runtime_s
    for member, items in (cfg.get("ParameterRanges") or {}).items():
        for item in items or []:
            for key in ("MinValue", "MaxValue"):
                if key in item:
                    item[key] = text(item[key])
            if member == "CategoricalParameterRanges":
                item["Values"] = [text(v) for v in item.get("Values") or []]
    definition = out.get("TrainingJobDefinition") or {}
    static = definition.get("StaticHyperParameters")
    if isinstance(static, dict):
        definition["StaticHyperParameters"] = {str(k): text(v) for k, v in static.items()}
    return out


def _trials(s: Any, arn: str) -> list[TuningTrialRow]:
    return list(s.scalars(select(TuningTrialRow).where(TuningTrialRow.tuning_job_arn == arn)
                          .order_by(TuningTrialRow.number)).all())


def _counters(trials: list[TuningTrialRow]) -> tuple[dict[str, int], dict[str, int]]:
    status = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0,
              "Stopped": 0}
    objective = {"Succeeded": 0, "Pending": 0, "Failed": 0}
    for t in trials:
        if t.status == COMPLETED:
            status["Completed"] += 1
            objective["Succeeded"] += 1
        elif t.status == IN_PROGRESS:
            status["InProgress"] += 1
            objective["Pending"] += 1
        elif t.status == STOPPED:
            status["Stopped"] += 1
            objective["Failed"] += 1
        else:
            status["NonRetryableError"] += 1
            objective["Failed"] += 1
    return status, objective


def trial_summary(hub: Hub, job: TuningJobRow, t: TuningTrialRow) -> dict[str, Any]:
    """SageMaker's HyperParameterTrainingJobSummary of one trial (+ every metric)."""
    from forecasthub.tuning.hyperparameters import as_string

    config = job.config
    out: dict[str, Any] = {
        "TrainingJobName": t.name, "TrainingJobArn": sagemaker_arn(hub, "training-job", t.name),
        "TuningJobName": job.name, "CreationTime": epoch(t.created_at),
        "TrainingStartTime": epoch(t.started_at), "TrainingEndTime": epoch(t.ended_at),
        "TrainingJobStatus": t.status,
        "TunedHyperParameters": {k: as_string(v) for k, v in t.parameters.items()},
        "ObjectiveStatus": {COMPLETED: "Succeeded", IN_PROGRESS: "Pending"}.get(t.status, "Failed"),
        "TrialNumber": t.number,
    }
    if t.seconds is not None:
        out["TrainingSeconds"] = t.seconds
    if t.objective_value is not None:
        out["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": config["objective_type"], "MetricName": config["metric_name"],
            "Value": t.objective_value}
    if t.metrics:
        out["FinalMetricDataList"] = [{"MetricName": k, "Value": v, "Timestamp": epoch(t.ended_at)}
                                      for k, v in t.metrics.items() if v is not None]
    if t.failure_reason:
        out["FailureReason"] = t.failure_reason
    return {k: v for k, v in out.items() if v is not None}


def describe_hyper_parameter_tuning_job(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        job = get_tuning_job(s, hub, _name(req))
        trials = _trials(s, job.arn)
        status, objective = _counters(trials)
        request = job.request
        out: dict[str, Any] = {
            "HyperParameterTuningJobName": job.name, "HyperParameterTuningJobArn": job.arn,
            "HyperParameterTuningJobConfig": request.get("HyperParameterTuningJobConfig", {}),
            "TrainingJobDefinition": request.get("TrainingJobDefinition", {}),
            "HyperParameterTuningJobStatus": job.status, "CreationTime": epoch(job.created_at),
            "LastModifiedTime": epoch(job.modified_at),
            "TrainingJobStatusCounters": status, "ObjectiveStatusCounters": objective,
        }
        if job.ended_at is not None:
            out["HyperParameterTuningEndTime"] = epoch(job.ended_at)
        best = best_trial(trials)
        if best is not None:
            out["BestTrainingJob"] = trial_summary(hub, job, best)
        if job.failure_reason:
            out["FailureReason"] = job.failure_reason
        if job.best_predictor_arn:
            out["BestPredictorArn"] = job.best_predictor_arn
            predictor = s.get(PredictorRow, job.best_predictor_arn)
            if predictor is not None:
                out["BestPredictorStatus"] = predictor.status
        if job.status in (IN_PROGRESS, STOPPING):
            live = queue.latest_job_for(s, job.arn)
            if live is not None and live.progress:
                out["Progress"] = dict(live.progress)
        return out


def _sort(items: list[Any], key: Any, order: str, default_order: str = "Descending") -> list[Any]:
    order = order or default_order
    if order not in ("Ascending", "Descending"):
        raise InvalidInputError(f"SortOrder must be Ascending or Descending, got {order!r}")
    return sorted(items, key=key, reverse=order == "Descending")


def list_training_jobs_for_hyper_parameter_tuning_job(hub: Hub, req: Request) -> dict[str, Any]:
    sort_by = param(req, "SortBy", "CreationTime")
    if sort_by not in ("Name", "CreationTime", "Status", "FinalObjectiveMetricValue"):
        raise InvalidInputError("SortBy must be Name, CreationTime, Status or "
                                f"FinalObjectiveMetricValue, got {sort_by!r}")
    status = param(req, "StatusEquals")
    if status is not None and status not in TRIAL_STATUSES:
        raise InvalidInputError(f"StatusEquals must be one of {', '.join(TRIAL_STATUSES)}")
    with hub.db.session() as s:
        job = get_tuning_job(s, hub, _name(req))
        trials = _trials(s, job.arn)
        if status is not None:
            trials = [t for t in trials if t.status == status]
        if sort_by == "FinalObjectiveMetricValue":  # as SageMaker: only trials with a value
            trials = [t for t in trials if t.objective_value is not None]
            better_first = "Ascending" if job.config["objective_type"] == "Minimize" else "Descending"
            trials = _sort(trials, lambda t: (t.objective_value, t.number),
                           param(req, "SortOrder"), better_first)
        else:
            key = {"Name": lambda t: t.name, "Status": lambda t: (t.status, t.number),
                   "CreationTime": lambda t: (t.number,)}[sort_by]
            trials = _sort(trials, key, param(req, "SortOrder"))
        items = [trial_summary(hub, job, t) for t in trials]
    return paginate(items, req, "TrainingJobSummaries")


def _when(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInputError(f"{field} must be epoch seconds or an ISO 8601 time") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidInputError(f"{field} must be epoch seconds or an ISO 8601 time")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def list_hyper_parameter_tuning_jobs(hub: Hub, req: Request) -> dict[str, Any]:
    sort_by = param(req, "SortBy", "CreationTime")
    if sort_by not in ("Name", "Status", "CreationTime"):
        raise InvalidInputError(f"SortBy must be Name, Status or CreationTime, got {sort_by!r}")
    status = param(req, "StatusEquals")
    if status is not None and status not in JOB_STATUSES:
        raise InvalidInputError(f"StatusEquals must be one of {', '.join(JOB_STATUSES)}")
    contains = param(req, "NameContains")
    bounds = {k: _when(req[k], k) for k in ("CreationTimeAfter", "CreationTimeBefore",
                                             "LastModifiedTimeAfter", "LastModifiedTimeBefore")
              if req.get(k) is not None}
    with hub.db.session() as s:
        jobs = list(s.scalars(select(TuningJobRow)).all())
        if status is not None:
            jobs = [j for j in jobs if j.status == status]
        if contains:
            jobs = [j for j in jobs if str(contains).lower() in j.name.lower()]
        for k, bound in bounds.items():
            attr = "created_at" if k.startswith("Creation") else "modified_at"
            after = k.endswith("After")
            jobs = [j for j in jobs if (_aware(getattr(j, attr)) > bound) == after]
        key = {"Name": lambda j: j.name, "Status": lambda j: (j.status, j.name),
               "CreationTime": lambda j: _aware(j.created_at)}[sort_by]
        jobs = _sort(jobs, key, param(req, "SortOrder"))
        items = []
        for j in jobs:
            status_c, objective_c = _counters(_trials(s, j.arn))
            limits = (j.request.get("HyperParameterTuningJobConfig") or {}).get("ResourceLimits")
            item = {"HyperParameterTuningJobName": j.name, "HyperParameterTuningJobArn": j.arn,
                    "HyperParameterTuningJobStatus": j.status,
                    "Strategy": j.config.get("strategy"), "CreationTime": epoch(j.created_at),
                    "LastModifiedTime": epoch(j.modified_at),
                    "TrainingJobStatusCounters": status_c, "ObjectiveStatusCounters": objective_c,
                    "ResourceLimits": limits or {}}
            if j.ended_at is not None:
                item["HyperParameterTuningEndTime"] = epoch(j.ended_at)
            items.append(item)
    return paginate(items, req, "HyperParameterTuningJobSummaries")


def stop_hyper_parameter_tuning_job(hub: Hub, req: Request) -> dict[str, Any]:
    """InProgress -> Stopping (the running job stops before its next trial) or Stopped when it
    had not started yet."""
    with hub.db.session() as s:
        job = get_tuning_job(s, hub, _name(req))
        if job.status != IN_PROGRESS:
            raise ResourceInUseError(f"hyperparameter tuning job {job.name!r} is {job.status}; "
                                     "only InProgress jobs can be stopped")
        queue.request_cancel(s, job.arn)
        running = s.scalars(select(JobRow).where(JobRow.resource_arn == job.arn,
                                                 JobRow.state == queue.JobState.RUNNING)).first()
        job.modified_at = utcnow()
        if running is None:  # never started (its pending job was cancelled just now)
            job.status, job.ended_at = STOPPED, utcnow()
        else:
            job.status = STOPPING
    return {}


class TuningHandler:
    def run(self, hub: Hub, job: JobRow, progress: worker.Progress) -> None:
        TuningRun(hub, job.resource_arn, progress, job).run()

    def fail(self, hub: Hub, job: JobRow, message: str, stopped: bool = False) -> None:
        with hub.db.session() as s:
            row = s.get(TuningJobRow, job.resource_arn)
            if row is None:
                return
            now = utcnow()
            for t in _trials(s, row.arn):
                if t.status == IN_PROGRESS:
                    t.status, t.ended_at = (STOPPED, now) if stopped else (FAILED, now)
                    t.failure_reason = message[:1024]
            if row.status in (COMPLETED,):  # failed after completing (e.g. while training the
                return                      # best predictor): the trials' result stands
            row.status = STOPPED if stopped else FAILED
            row.failure_reason = None if stopped else message[:1024]
            best = best_trial(_trials(s, row.arn))
            row.best_trial_name = best.name if best else None
            row.ended_at = row.modified_at = now


def tuning_config(hub: Hub, name: str) -> TuningConfig:
    """The parsed settings of a job (for the CLI and tests)."""
    with hub.db.session() as s:
        return TuningConfig.from_json(get_tuning_job(s, hub, name).config)


worker.register(KIND, TuningHandler())
register_operations({
    "CreateHyperParameterTuningJob": create_hyper_parameter_tuning_job,
    "DescribeHyperParameterTuningJob": describe_hyper_parameter_tuning_job,
    "ListTrainingJobsForHyperParameterTuningJob": list_training_jobs_for_hyper_parameter_tuning_job,
    "ListHyperParameterTuningJobs": list_hyper_parameter_tuning_jobs,
    "StopHyperParameterTuningJob": stop_hyper_parameter_tuning_job,
})

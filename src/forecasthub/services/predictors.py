"""Predictors: CreateAutoPredictor / CreatePredictor, describe, list, delete, GetAccuracyMetrics,
predictor backtest export jobs. Training runs as a job."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from sqlalchemy import select

from forecasthub.errors import AlreadyExistsError, InvalidInputError, NotFoundError, ResourceInUseError
from forecasthub.jobs import queue, worker
from forecasthub.resources import Status, parse_arn, validate_name, validate_tags
from forecasthub.services import registry
from forecasthub.services.common import Request, apply_filters, epoch, paginate, param, required
from forecasthub.services.context import Hub
from forecasthub.services.datasets import get_dataset_group
from forecasthub.services.operations import register_operations
from forecasthub.store.orm import DatasetRow, JobRow, PredictorRow, utcnow

KIND = "predictor"
ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid() -> str:
    """A 26-character ULID (time-ordered), as Amazon appends to auto predictor names."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(ULID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _group_fields(s: Any, hub: Hub, group_arn: str) -> tuple[Any, dict[str, DatasetRow], Any, list[str]]:
    from forecasthub.data.schema import Schema, schema_roles

    group = get_dataset_group(s, hub, group_arn)
    datasets = {}
    for arn in group.dataset_arns:
        ds = s.get(DatasetRow, arn)
        if ds is not None:
            datasets[ds.dataset_type] = ds
    tts = datasets.get("TARGET_TIME_SERIES")
    if tts is None:
        raise InvalidInputError(f"dataset group {group.name!r} has no TARGET_TIME_SERIES dataset")
    for ds in datasets.values():
        if ds.status != Status.ACTIVE:
            raise ResourceInUseError(f"dataset {ds.name!r} is {ds.status}; wait for its import")
        if not ds.current_version:
            raise ResourceInUseError(f"dataset {ds.name!r} has no imported data yet")
    roles = schema_roles(Schema.from_json(tts.schema), "TARGET_TIME_SERIES", tts.domain)
    rts = datasets.get("RELATED_TIME_SERIES")
    related = []
    if rts is not None:
        related = list(schema_roles(Schema.from_json(rts.schema), "RELATED_TIME_SERIES",
                                    rts.domain).features)
    return group, datasets, roles, related


def create_auto_predictor(hub: Hub, req: Request) -> dict[str, Any]:
    from forecasthub.forecasting.config import parse_auto_predictor

    name = validate_name(required(req, "PredictorName"), "PredictorName")
    tags = validate_tags(param(req, "Tags"))
    reference = param(req, "ReferencePredictorArn")
    with hub.db.session() as s:
        if reference is not None:  # retrain: same settings, latest data
            extra = set(k for k, v in req.items() if v is not None) - {"PredictorName", "Tags",
                                                                        "ReferencePredictorArn"}
            if extra:
                raise InvalidInputError(f"with ReferencePredictorArn give only PredictorName and Tags, "
                                        f"not {', '.join(sorted(extra))}")
            ref = get_predictor(s, reference)
            config_json = dict(ref.config)
            group_arn = ref.dataset_group_arn
            _group_fields(s, hub, group_arn)
        else:
            group_arn = (param(req, "DataConfig") or {}).get("DatasetGroupArn")
            if not group_arn:
                raise InvalidInputError("DataConfig.DatasetGroupArn is required for a new predictor")
            _, datasets, roles, related = _group_fields(s, hub, group_arn)
            config = parse_auto_predictor(req, roles.target, related)
            _check_against_data(config, datasets, roles)
            config_json = config.to_json()
        arn = hub.arn("predictor", f"{name}_{ulid()}")
        out = _create(s, hub, arn, name, group_arn, config_json, req, tags, reference, True)
        from forecasthub.services.monitors import attach_monitor  # (late: monitors imports us)

        attach_monitor(s, hub, arn, param(req, "MonitorConfig"), reference)
        return out


def create_predictor(hub: Hub, req: Request) -> dict[str, Any]:
    from forecasthub.forecasting.config import parse_legacy_predictor

    name = validate_name(required(req, "PredictorName"), "PredictorName")
    tags = validate_tags(param(req, "Tags"))
    with hub.db.session() as s:
        group_arn = (param(req, "InputDataConfig") or {}).get("DatasetGroupArn")
        if not group_arn:
            raise InvalidInputError("InputDataConfig.DatasetGroupArn is required")
        _, datasets, roles, related = _group_fields(s, hub, group_arn)
        config = parse_legacy_predictor(req, roles.target, related)
        _check_against_data(config, datasets, roles, fraction=3)
        arn = hub.arn("predictor", name)
        return _create(s, hub, arn, name, group_arn, config.to_json(), req, tags, None, False)


def _check_against_data(config: Any, datasets: dict[str, DatasetRow], roles: Any,
                        fraction: int = 4) -> None:
    """Errors that need only the imported data's summary, raised before any training."""
    from forecasthub.data.frequency import is_finer, parse_frequency
    from forecasthub.forecasting.config import periods_between

    parse_frequency(config.frequency)
    tts = datasets["TARGET_TIME_SERIES"]
    if tts.data_frequency and is_finer(config.frequency, tts.data_frequency):
        raise InvalidInputError(
            f"ForecastFrequency {config.frequency} is finer than the data frequency "
            f"{tts.data_frequency} of {tts.name!r}; forecasts can aggregate but not dilate"
        )
    rts = datasets.get("RELATED_TIME_SERIES")
    if rts is not None and rts.data_frequency and rts.data_frequency != config.frequency:
        raise InvalidInputError(f"ForecastFrequency {config.frequency} must equal the related time "
                                f"series' DataFrequency {rts.data_frequency}")
    unknown = [d for d in config.dimensions if d not in roles.dimensions]
    if unknown:
        raise InvalidInputError(f"ForecastDimensions {unknown} are not string attributes of "
                                f"{tts.name!r} (dimensions there: {list(roles.dimensions)})")
    summary = tts.version_summary or {}
    first, last = summary.get("FirstTimestamp"), summary.get("LastTimestamp")
    if first and last:
        length = periods_between(first, last, config.frequency) + 1
        limit = min(500, length // fraction)
        if config.horizon > limit:
            raise InvalidInputError(
                f"ForecastHorizon {config.horizon} is too long: with {length} {config.frequency} "
                f"periods of history the limit is min(500, 1/{fraction} of the history) = {limit}"
            )


def _create(s: Any, hub: Hub, arn: str, name: str, group_arn: str, config: dict[str, Any],
            req: Request, tags: dict[str, str], reference: str | None, is_auto: bool
            ) -> dict[str, Any]:
    if s.scalars(select(PredictorRow).where(PredictorRow.name == name)).first() is not None:
        raise AlreadyExistsError(f"a predictor named {name!r} already exists")
    group = get_dataset_group(s, hub, group_arn)
    import_jobs = []
    for ds_arn in group.dataset_arns:
        ds = s.get(DatasetRow, ds_arn)
        if ds is not None and ds.current_version:
            import_jobs.append(hub.arn("dataset-import-job", ds.name,
                                       ds.current_version.rsplit("/", 1)[-1].rsplit("-", 1)[0]))
    s.add(PredictorRow(arn=arn, name=name, status=Status.CREATE_PENDING, dataset_group_arn=group_arn,
                       is_auto=is_auto, config=config, request=_clean(req),
                       dataset_import_job_arns=import_jobs, tags=tags,
                       reference_predictor_arn=reference))
    job_id = queue.enqueue(s, KIND, arn, {})
    return {"PredictorArn": arn, "_JobId": job_id}


def _clean(req: Request) -> dict[str, Any]:
    return {k: v for k, v in req.items() if v is not None and k != "Tags"}


def describe_auto_predictor(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_predictor(s, required(req, "PredictorArn"))
        c = row.config
        out: dict[str, Any] = {
            "PredictorArn": row.arn, "PredictorName": row.name, "ForecastHorizon": c["horizon"],
            "ForecastTypes": c["forecast_types"], "ForecastFrequency": c["frequency"],
            "DatasetImportJobArns": row.dataset_import_job_arns,
            "DataConfig": row.request.get("DataConfig") or {"DatasetGroupArn": row.dataset_group_arn},
            "EncryptionConfig": row.request.get("EncryptionConfig", {}),
            "Status": row.status, "CreationTime": epoch(row.created_at),
            "LastModificationTime": epoch(row.modified_at),
            "OptimizationMetric": c["optimization_metric"],
        }
        if c.get("dimensions"):
            out["ForecastDimensions"] = c["dimensions"]
        if c.get("time_alignment_boundary"):
            out["TimeAlignmentBoundary"] = c["time_alignment_boundary"]
        if row.reference_predictor_arn:
            out["ReferencePredictorSummary"] = {"Arn": row.reference_predictor_arn, "State": "Active"}
        if row.message:
            out["Message"] = row.message
        from forecasthub.services.monitors import monitor_info

        if (info := monitor_info(s, row.arn)) is not None:
            out["MonitorInfo"] = info
        _add_progress(s, row, out)
        return out


def describe_predictor(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_predictor(s, required(req, "PredictorArn"))
        c = row.config
        out: dict[str, Any] = {
            "PredictorArn": row.arn, "PredictorName": row.name, "ForecastHorizon": c["horizon"],
            "ForecastTypes": c["forecast_types"], "PerformAutoML": c.get("algorithm") is None,
            "PerformHPO": False, "IsAutoPredictor": row.is_auto,
            "EvaluationParameters": {"NumberOfBacktestWindows": c.get("backtest_windows") or 1,
                                     "BackTestWindowOffset": c.get("backtest_offset") or c["horizon"]},
            "InputDataConfig": {"DatasetGroupArn": row.dataset_group_arn},
            "FeaturizationConfig": {"ForecastFrequency": c["frequency"],
                                    **({"ForecastDimensions": c["dimensions"]} if c["dimensions"] else {})},
            "DatasetImportJobArns": row.dataset_import_job_arns, "Status": row.status,
            "CreationTime": epoch(row.created_at), "LastModificationTime": epoch(row.modified_at),
            "OptimizationMetric": c["optimization_metric"],
        }
        if c.get("algorithm"):
            out["AlgorithmArn"] = f"arn:aws:forecast:::algorithm/{c['algorithm']}"
        if row.request.get("TrainingParameters"):
            out["TrainingParameters"] = {str(k): v if isinstance(v, str) else json.dumps(v)
                                         for k, v in row.request["TrainingParameters"].items()}
        if row.summary.get("algorithms"):
            out["AutoMLAlgorithmArns"] = [f"arn:aws:forecast:::algorithm/{a}"
                                          for a in row.summary["algorithms"]]
        if row.message:
            out["Message"] = row.message
        _add_progress(s, row, out)
        return out


def _add_progress(s: Any, row: PredictorRow, out: dict[str, Any]) -> None:
    if row.status in (Status.CREATE_PENDING, Status.CREATE_IN_PROGRESS):
        job = queue.latest_job_for(s, row.arn)
        eta = (job.progress or {}).get("eta_seconds") if job else None
        if eta is not None:
            out["EstimatedTimeRemainingInMinutes"] = max(1, round(eta / 60))


def list_predictors(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        rows = s.scalars(select(PredictorRow).order_by(PredictorRow.created_at.desc())).all()
        rows = apply_filters(rows, req, {"DatasetGroupArn": lambda r: r.dataset_group_arn,
                                         "Status": lambda r: r.status})
        items = [{"PredictorArn": r.arn, "PredictorName": r.name,
                  "DatasetGroupArn": r.dataset_group_arn, "IsAutoPredictor": r.is_auto,
                  "Status": r.status, "CreationTime": epoch(r.created_at),
                  "LastModificationTime": epoch(r.modified_at),
                  **({"Message": r.message} if r.message else {})} for r in rows]
    return paginate(items, req, "Predictors")


def delete_predictor(hub: Hub, req: Request) -> dict[str, Any]:
    from forecasthub.store.orm import ModelVersionRow

    with hub.db.session() as s:
        row = get_predictor(s, required(req, "PredictorArn"))
        deployed = s.scalars(select(ModelVersionRow).where(
            ModelVersionRow.predictor_arn == row.arn, ModelVersionRow.deployed.is_(True))).first()
        if deployed is not None:
            raise ResourceInUseError(
                f"predictor {row.name!r} is the deployed model version {deployed.version} of its "
                "dataset group; deploy another version or roll back first")
        key = registry.delete_resource(hub, row, "predictor", s)
    if key:
        hub.store.delete(key)
    return {}


def get_accuracy_metrics(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_predictor(s, required(req, "PredictorArn"))
        if row.status != Status.ACTIVE:
            raise ResourceInUseError(f"predictor {row.name!r} is {row.status}, not ACTIVE")
        out = {"PredictorEvaluationResults": row.accuracy.get("PredictorEvaluationResults", []),
               "IsAutoPredictor": row.is_auto,
               "OptimizationMetric": row.config["optimization_metric"]}
        if row.is_auto:
            out["AutoMLOverrideStrategy"] = "AccuracyOptimized"
        return out


def get_predictor(s: Any, arn: Any) -> PredictorRow:
    parse_arn(arn, "PredictorArn", "predictor")
    row = s.get(PredictorRow, arn)
    if row is None:
        raise NotFoundError(f"predictor {arn} not found")
    return row


class TrainHandler:
    def run(self, hub: Hub, job: JobRow, progress: worker.Progress) -> None:
        from forecasthub.forecasting.config import PredictorConfig
        from forecasthub.forecasting.training import train_predictor
        from forecasthub.services.import_jobs import load_group_data

        with hub.db.session() as s:
            row = get_predictor(s, job.resource_arn)
            row.status, row.modified_at = Status.CREATE_IN_PROGRESS, utcnow()
            config = PredictorConfig.from_json(row.config)
            name = row.name
        progress.update(stage="loading data", done=0, total=1)
        datasets, versions = load_group_data(hub, config.dataset_group_arn)
        result = train_predictor(hub.store, name, config, datasets, versions, progress)
        with hub.db.session() as s:
            row = get_predictor(s, job.resource_arn)
            row.artifact_key, row.accuracy, row.summary = (result.artifact_key, result.accuracy,
                                                           result.summary)
            row.status, row.message, row.modified_at = Status.ACTIVE, None, utcnow()
        from forecasthub.registry import on_predictor_trained  # (late: avoids an import cycle)

        on_predictor_trained(hub, job.resource_arn)  # a model version; never fails training

    def fail(self, hub: Hub, job: JobRow, message: str, stopped: bool = False) -> None:
        registry.fail_resource(hub, PredictorRow, job.resource_arn, message, stopped)


def stop_resource(hub: Hub, req: Request) -> dict[str, Any]:
    arn = required(req, "ResourceArn")
    with hub.db.session() as s:
        row = registry.find(s, arn)
        if row.status not in (Status.CREATE_PENDING, Status.CREATE_IN_PROGRESS):
            raise ResourceInUseError(f"{arn} is {row.status}; only running jobs can be stopped")
        queue.request_cancel(s, arn)
        row.status = Status.CREATE_STOPPING if row.status == Status.CREATE_IN_PROGRESS else Status.CREATE_STOPPED
        row.modified_at = utcnow()
    return {}


registry.register_table("predictor", PredictorRow, parent=("dataset-group", "dataset_group_arn"))
worker.register(KIND, TrainHandler())
register_operations({
    "CreateAutoPredictor": create_auto_predictor,
    "CreatePredictor": create_predictor,
    "DescribeAutoPredictor": describe_auto_predictor,
    "DescribePredictor": describe_predictor,
    "ListPredictors": list_predictors,
    "DeletePredictor": delete_predictor,
    "GetAccuracyMetrics": get_accuracy_metrics,
    "StopResource": stop_resource,
})

"""The inference pipeline: import a landed file -> forecast with the group's deployed (or pinned)
model -> export the forecast -> refresh the SQL catalog file, recorded as a pipeline run.

Steps run in this process through the same service operations as the CLI and the APIs (the
jobs they start are claimed and run here). A failed step fails the run; later steps are SKIPPED.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from forecasthub.errors import ForecastHubError, InvalidInputError
from forecasthub.pipelines.runs import FAILED, RUNNING, SKIPPED, SUCCEEDED, RunRecord

log = logging.getLogger(__name__)
STEPS = ["import", "forecast", "export", "sql_catalog"]


@dataclass
class GroupPipeline:
    """What to do with a dataset group's landed files (one ``groups:`` entry of the watch YAML)."""

    dataset_group: str
    landing: str = ""
    dataset: str | None = None  # default: the group's TARGET_TIME_SERIES dataset
    pattern: str = "*.csv"
    format: str | None = None  # CSV | PARQUET; default from the file extension
    import_mode: str = "INCREMENTAL"  # INCREMENTAL | FULL
    timestamp_format: str | None = None
    time_zone: str | None = None
    export: str | None = None  # forecast export destination (folder or s3://); none: no export
    export_format: str = "CSV"


def call(hub: Any, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run an operation and, if it starts a job, run the job here to its end."""
    from forecasthub.jobs import queue, worker
    from forecasthub.services.operations import OPERATIONS

    response = OPERATIONS[operation](hub, dict(request))
    job_id = response.pop("_JobId", None)
    if job_id:
        job = queue.claim(hub.db, worker.worker_id(), job_id=job_id)
        if job is not None:
            worker.run_job(hub, job)
        else:  # a worker took it first: wait for it
            while (row := queue.get_job(hub.db, job_id)) and row.state not in queue.FINAL:
                time.sleep(0.5)
    return response


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "_" + secrets.token_hex(3)


def _name(prefix: str) -> str:
    return f"{prefix[:40]}_{_stamp()}"


def _dataset_arn(hub: Any, cfg: GroupPipeline) -> str:
    from forecasthub.registry.versions import group_row
    from forecasthub.store.orm import DatasetRow

    with hub.db.session() as s:
        group = group_row(s, hub, cfg.dataset_group)
        if cfg.dataset:
            arn = hub.arn("dataset", cfg.dataset)
            if arn not in (group.dataset_arns or []):
                raise InvalidInputError(f"dataset {cfg.dataset!r} is not in dataset group {group.name!r}")
            return arn
        for arn in group.dataset_arns or []:
            row = s.get(DatasetRow, arn)
            if row is not None and row.dataset_type == "TARGET_TIME_SERIES":
                return arn
    raise InvalidInputError(f"dataset group {cfg.dataset_group!r} has no TARGET_TIME_SERIES dataset")


def run_inference(hub: Any, cfg: GroupPipeline, source: str, trigger: str) -> dict[str, Any]:
    """One pipeline run for one landed file; returns the run record (never raises for a step)."""
    from forecasthub.pipelines.runs import describe_run
    from forecasthub.registry.versions import group_row

    with hub.db.session() as s:
        group_arn = group_row(s, hub, cfg.dataset_group).arn
    run = RunRecord(hub, group_arn, trigger, STEPS)
    current = "import"
    try:
        run.step("import", RUNNING)
        fmt = cfg.format or ("PARQUET" if source.lower().endswith(".parquet") else "CSV")
        request = {"DatasetImportJobName": _name("watch"), "DatasetArn": _dataset_arn(hub, cfg),
                   "DataSource": {"S3Config": {"Path": source}}, "Format": fmt,
                   "ImportMode": cfg.import_mode, "TimestampFormat": cfg.timestamp_format,
                   "TimeZone": cfg.time_zone}
        arn = call(hub, "CreateDatasetImportJob", {k: v for k, v in request.items() if v is not None})
        arn = arn["DatasetImportJobArn"]
        _check(hub, "DescribeDatasetImportJob", {"DatasetImportJobArn": arn}, "import job")
        run.outputs["DatasetImportJobArn"] = arn
        run.step("import", SUCCEEDED, Arn=arn)

        current = "forecast"
        run.step("forecast", RUNNING)
        from forecasthub.registry import resolve_model

        model = resolve_model(hub, cfg.dataset_group)
        arn = call(hub, "CreateForecast", {"ForecastName": _name(cfg.dataset_group),
                                           "PredictorArn": model["PredictorArn"]})["ForecastArn"]
        _check(hub, "DescribeForecast", {"ForecastArn": arn}, "forecast")
        run.outputs.update(ForecastArn=arn, PredictorArn=model["PredictorArn"],
                           ModelSource=model["Source"], ModelVersion=model["Version"])
        run.step("forecast", SUCCEEDED, Arn=arn, PredictorArn=model["PredictorArn"],
                 ModelVersion=model["Version"], ModelSource=model["Source"])

        current = "export"
        if cfg.export:
            run.step("export", RUNNING)
            export = call(hub, "CreateForecastExportJob", {
                "ForecastExportJobName": _name("watch_export"), "ForecastArn": arn,
                "Destination": {"S3Config": {"Path": cfg.export}}, "Format": cfg.export_format,
            })["ForecastExportJobArn"]
            _check(hub, "DescribeForecastExportJob", {"ForecastExportJobArn": export}, "export job")
            files = _export_files(hub, export)
            run.outputs.update(ForecastExportJobArn=export, ExportFiles=files)
            run.step("export", SUCCEEDED, Arn=export, Files=files)
        else:
            run.step("export", SKIPPED, Message="no export destination configured")

        current = "sql_catalog"
        run.step("sql_catalog", RUNNING)
        if hub.store.is_local:
            from forecasthub.sql.catalog import write_catalog_file

            path = write_catalog_file(hub)
            run.outputs["Catalog"] = str(path)
            run.step("sql_catalog", SUCCEEDED, Path=str(path))
        else:
            run.step("sql_catalog", SKIPPED, Message="the catalog file needs a local store; "
                                                     "`forecasthub sql` reads the store directly")
        run.finish(SUCCEEDED)
    except ForecastHubError as exc:
        run.step(current, FAILED, Message=exc.message)
        run.finish(FAILED, f"{current}: {exc.message}")
    except Exception as exc:  # a bug: record it plainly, keep the watcher alive
        log.exception("pipeline run %s failed in %s", run.id, current)
        run.step(current, FAILED, Message=f"internal error: {type(exc).__name__}: {exc}")
        run.finish(FAILED, f"{current}: internal error: {type(exc).__name__}: {exc}")
    return describe_run(hub, run.id)


def _check(hub: Any, operation: str, request: dict[str, Any], what: str) -> None:
    from forecasthub.services.operations import OPERATIONS

    desc = OPERATIONS[operation](hub, request)
    if desc["Status"] != "ACTIVE":
        raise InvalidInputError(f"{what} ended {desc['Status']}: {desc.get('Message') or 'no message'}")


def _export_files(hub: Any, arn: str) -> list[str]:
    from forecasthub.store.orm import ExportJobRow

    with hub.db.session() as s:
        row = s.get(ExportJobRow, arn)
        return list(row.files or []) if row is not None else []

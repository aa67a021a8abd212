"""The inference pipeline: import a landed file -> forecast with the group's deployed (or pinned)
model -> export the forecast -> refresh the SQL catalog file [-> drift check], recorded as a
pipeline run.

Steps run in this process through the same service operations as the CLI and the APIs (the
jobs they start are claimed and run here). A step that fails transiently is retried with backoff
(:mod:`forecasthub.pipelines.steps`); a step that fails for good fails the run, later steps are
SKIPPED, and the last good forecast stays published. The run ends with a log line and, when
configured, a webhook (:mod:`forecasthub.pipelines.notify`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from forecasthub.errors import InvalidInputError
from forecasthub.pipelines.config import GroupConfig
from forecasthub.pipelines.notify import concluding
from forecasthub.pipelines.ops import call, check, stamp, unique_name
from forecasthub.pipelines.runs import RunRecord
from forecasthub.pipelines.steps import RetryPolicy, Skip, Steps

STEPS = ["import", "forecast", "export", "sql_catalog"]
GroupPipeline = GroupConfig  # the former name of a group's settings
__all__ = ["STEPS", "GroupPipeline", "call", "import_file", "run_inference"]

# kept for callers of the former private helpers
_stamp, _name, _check = stamp, unique_name, check


def _dataset_arn(hub: Any, cfg: GroupConfig) -> str:
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


def import_file(hub: Any, cfg: GroupConfig, source: str) -> dict[str, Any]:
    """Import a landed file (local or s3://) into the group's dataset; the step's record."""
    fmt = cfg.format or ("PARQUET" if source.lower().endswith(".parquet") else "CSV")
    request = {"DatasetImportJobName": unique_name("watch"), "DatasetArn": _dataset_arn(hub, cfg),
               "DataSource": {"S3Config": {"Path": source}}, "Format": fmt,
               "ImportMode": cfg.import_mode, "TimestampFormat": cfg.timestamp_format,
               "TimeZone": cfg.time_zone}
    arn = call(hub, "CreateDatasetImportJob", {k: v for k, v in request.items() if v is not None})
    arn = arn["DatasetImportJobArn"]
    check(hub, "DescribeDatasetImportJob", {"DatasetImportJobArn": arn}, "import job")
    return {"Arn": arn, "Source": source, "ImportMode": cfg.import_mode}


def group_arn_of(hub: Any, group: str) -> str:
    from forecasthub.registry.versions import group_row

    with hub.db.session() as s:
        return group_row(s, hub, group).arn


def run_inference(hub: Any, cfg: GroupConfig, source: str, trigger: str,
                  sleep: Callable[[float], Any] = time.sleep) -> dict[str, Any]:
    """One pipeline run for one landed file; returns the run record (never raises for a step)."""
    from forecasthub.pipelines.runs import describe_run

    drift = cfg.retrain.on_drift if cfg.retrain is not None else None
    run = RunRecord(hub, group_arn_of(hub, cfg.dataset_group), trigger,
                    STEPS + (["drift_check"] if drift else []))
    steps = Steps(run, RetryPolicy.of(cfg), sleep)
    with concluding(run, cfg):
        info = steps.run("import", lambda: import_file(hub, cfg, source))
        run.outputs["DatasetImportJobArn"] = info["Arn"]

        info = steps.run("forecast", lambda: _forecast(hub, cfg))
        run.outputs.update(ForecastArn=info["Arn"], PredictorArn=info["PredictorArn"],
                           ModelSource=info["ModelSource"], ModelVersion=info["ModelVersion"])

        if cfg.export:
            info = steps.run("export", lambda: _export(hub, cfg, run.outputs["ForecastArn"]))
            run.outputs.update(ForecastExportJobArn=info["Arn"], ExportFiles=info["Files"])
        else:
            steps.skip("export", "no export destination configured")

        info = steps.run("sql_catalog", lambda: _catalog(hub))
        if info.get("Path"):
            run.outputs["Catalog"] = info["Path"]

        if drift:
            info = steps.run("drift_check", lambda: _drift(hub, cfg.dataset_group, drift))
            if info:
                run.outputs["Drift"] = info
    return describe_run(hub, run.id)


def _forecast(hub: Any, cfg: GroupConfig) -> dict[str, Any]:
    from forecasthub.registry import resolve_model

    model = resolve_model(hub, cfg.dataset_group)
    arn = call(hub, "CreateForecast", {"ForecastName": unique_name(cfg.dataset_group),
                                       "PredictorArn": model["PredictorArn"]})["ForecastArn"]
    check(hub, "DescribeForecast", {"ForecastArn": arn}, "forecast")
    return {"Arn": arn, "PredictorArn": model["PredictorArn"], "ModelVersion": model["Version"],
            "ModelSource": model["Source"]}


def _export(hub: Any, cfg: GroupConfig, forecast_arn: str) -> dict[str, Any]:
    export = call(hub, "CreateForecastExportJob", {
        "ForecastExportJobName": unique_name("watch_export"), "ForecastArn": forecast_arn,
        "Destination": {"S3Config": {"Path": cfg.export}}, "Format": cfg.export_format,
    })["ForecastExportJobArn"]
    check(hub, "DescribeForecastExportJob", {"ForecastExportJobArn": export}, "export job")
    return {"Arn": export, "Files": _export_files(hub, export)}


def _catalog(hub: Any) -> dict[str, Any]:
    if not hub.store.is_local:
        raise Skip("the catalog file needs a local store; `forecasthub sql` reads the store directly")
    from forecasthub.sql.catalog import write_catalog_file

    return {"Path": str(write_catalog_file(hub))}


def _drift(hub: Any, group: str, drift: Any) -> dict[str, Any]:
    from forecasthub.pipelines import drift as drift_check

    return drift_check.check(hub, group, drift.metric, drift.threshold)


def _export_files(hub: Any, arn: str) -> list[str]:
    from forecasthub.store.orm import ExportJobRow

    with hub.db.session() as s:
        row = s.get(ExportJobRow, arn)
        return list(row.files or []) if row is not None else []

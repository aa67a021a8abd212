"""Dataset import jobs: validate the request at once, import in a job, publish a new version."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from sqlalchemy import select

from forecasthub.errors import AlreadyExistsError, InvalidInputError, NotFoundError, ResourceInUseError
from forecasthub.jobs import queue, worker
from forecasthub.resources import (
    DELETABLE, FORMATS, IMPORT_MODES, Status, can_transition, parse_arn, validate_enum,
    validate_name, validate_tags,
)
from forecasthub.services import paths
from forecasthub.services.common import Request, apply_filters, epoch, paginate, param, required
from forecasthub.services.context import Hub
from forecasthub.services.datasets import get_dataset
from forecasthub.store.orm import DatasetImportJobRow, DatasetRow, JobRow, utcnow
from forecasthub.storage.layout import DATA_FILE

KIND = "dataset_import"
TIMESTAMP_FORMAT_RE = re.compile(r"^[a-zA-Z0-9\-:.,'\s]+$")
TIME_ZONE_RE = re.compile(r"^[a-zA-Z0-9/+\-_]+$")


def create_dataset_import_job(hub: Hub, req: Request) -> dict[str, Any]:
    name = validate_name(required(req, "DatasetImportJobName"), "DatasetImportJobName")
    source = required(req, "DataSource")
    s3 = source.get("S3Config") if isinstance(source, dict) else None
    if not isinstance(s3, dict) or not s3.get("Path"):
        raise InvalidInputError("DataSource must be {\"S3Config\": {\"Path\": ..., \"RoleArn\": ...}}")
    resolved = paths.resolve(s3["Path"], hub.settings)  # RoleArn: accepted, ignored
    fmt = validate_enum(param(req, "Format", "CSV"), FORMATS, "Format")
    mode = validate_enum(param(req, "ImportMode", "FULL"), IMPORT_MODES, "ImportMode")
    ts_format = param(req, "TimestampFormat")
    if ts_format is not None and (len(ts_format) > 256 or not TIMESTAMP_FORMAT_RE.match(ts_format)):
        raise InvalidInputError(f"TimestampFormat {ts_format!r} is not valid")
    time_zone = param(req, "TimeZone")
    if time_zone is not None:
        if not TIME_ZONE_RE.match(time_zone):
            raise InvalidInputError(f"TimeZone {time_zone!r} is not valid")
        from forecasthub.data.timestamps import time_zone as parse_time_zone

        parse_time_zone(time_zone)
    if param(req, "UseGeolocationForTimeZone", False):
        raise InvalidInputError("UseGeolocationForTimeZone is not supported; give a TimeZone")
    tags = validate_tags(param(req, "Tags"))
    with hub.db.session() as s:
        dataset = get_dataset(s, required(req, "DatasetArn"))
        arn = hub.arn("dataset-import-job", dataset.name, name)
        if s.get(DatasetImportJobRow, arn) is not None:
            raise AlreadyExistsError(f"dataset {dataset.name!r} already has an import job named {name!r}")
        busy = s.scalars(select(DatasetImportJobRow.name).where(
            DatasetImportJobRow.dataset_arn == dataset.arn,
            DatasetImportJobRow.status.in_([Status.CREATE_PENDING, Status.CREATE_IN_PROGRESS]))).first()
        if busy:
            raise ResourceInUseError(f"dataset {dataset.name!r} is being updated by import job {busy!r}")
        s.add(DatasetImportJobRow(
            arn=arn, name=name, dataset_arn=dataset.arn, status=Status.CREATE_PENDING,
            data_source={"S3Config": {k: v for k, v in s3.items() if v is not None}},
            timestamp_format=ts_format, time_zone=time_zone, format=fmt, import_mode=mode, tags=tags,
        ))
        dataset.status, dataset.modified_at = Status.UPDATE_PENDING, utcnow()
        job_id = queue.enqueue(s, KIND, arn, {"path": str(resolved)})
    return {"DatasetImportJobArn": arn, "_JobId": job_id}


def describe_dataset_import_job(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_import_job(s, required(req, "DatasetImportJobArn"))
        out: dict[str, Any] = {
            "DatasetImportJobName": row.name, "DatasetImportJobArn": row.arn,
            "DatasetArn": row.dataset_arn,
            "TimestampFormat": row.timestamp_format or "yyyy-MM-dd HH:mm:ss",
            "UseGeolocationForTimeZone": row.use_geolocation_for_time_zone,
            "DataSource": row.data_source, "Status": row.status, "Format": row.format,
            "ImportMode": row.import_mode, "CreationTime": epoch(row.created_at),
            "LastModificationTime": epoch(row.modified_at),
        }
        if row.time_zone:
            out["TimeZone"] = row.time_zone
        if row.message:
            out["Message"] = row.message
        if row.field_statistics:
            out["FieldStatistics"] = row.field_statistics
        if row.data_size_gb is not None:
            out["DataSize"] = row.data_size_gb
        if row.status in (Status.CREATE_PENDING, Status.CREATE_IN_PROGRESS):
            job = queue.latest_job_for(s, row.arn)
            eta = (job.progress or {}).get("eta_seconds") if job else None
            if eta is not None:
                out["EstimatedTimeRemainingInMinutes"] = max(1, round(eta / 60))
        return out


def list_dataset_import_jobs(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        rows = s.scalars(select(DatasetImportJobRow)
                         .order_by(DatasetImportJobRow.created_at.desc())).all()
        rows = apply_filters(rows, req, {"DatasetArn": lambda r: r.dataset_arn,
                                         "Status": lambda r: r.status})
        items = [{"DatasetImportJobArn": r.arn, "DatasetImportJobName": r.name,
                  "DataSource": r.data_source, "Status": r.status, "ImportMode": r.import_mode,
                  "CreationTime": epoch(r.created_at), "LastModificationTime": epoch(r.modified_at),
                  **({"Message": r.message} if r.message else {})} for r in rows]
    return paginate(items, req, "DatasetImportJobs")


def delete_dataset_import_job(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_import_job(s, required(req, "DatasetImportJobArn"))
        if row.status not in DELETABLE:
            raise ResourceInUseError(f"import job {row.name!r} is {row.status}; stop it or wait")
        dataset = s.get(DatasetRow, row.dataset_arn)
        keep = dataset is not None and dataset.current_version == row.version_key
        version_key = row.version_key
        s.delete(row)
    if version_key and not keep:  # the dataset's current data stays readable
        hub.store.delete(version_key)
    return {}


def get_import_job(s: Any, arn: Any) -> DatasetImportJobRow:
    parse_arn(arn, "DatasetImportJobArn", "dataset-import-job")
    row = s.get(DatasetImportJobRow, arn)
    if row is None:
        raise NotFoundError(f"dataset import job {arn} not found")
    return row


def read_version(hub: Hub, version_key: str) -> Any:
    """The canonical frame (polars) of a committed dataset version."""
    import polars as pl

    if not hub.store.is_committed(version_key):
        raise NotFoundError(f"dataset version {version_key} is missing or incomplete")
    if hub.store.is_local:
        return pl.read_parquet(hub.store.path(f"{version_key}/{DATA_FILE}"))
    with hub.store.local_copy(f"{version_key}/{DATA_FILE}") as path:  # streamed download
        return pl.read_parquet(path)


def load_group_data(hub: Hub, group_arn: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Current version of each dataset of a group: (type -> (row, frame), arn -> version)."""
    from forecasthub.services.datasets import get_dataset_group

    with hub.db.session() as s:
        group = get_dataset_group(s, hub, group_arn)
        rows = [s.get(DatasetRow, arn) for arn in group.dataset_arns]
    datasets, versions = {}, {}
    for row in rows:
        if row is None:
            continue
        if not row.current_version:
            raise NotFoundError(f"dataset {row.name!r} has no imported data")
        datasets[row.dataset_type] = (row, read_version(hub, row.current_version))
        versions[row.arn] = row.current_version
    if "TARGET_TIME_SERIES" not in datasets:
        raise InvalidInputError("the dataset group has no TARGET_TIME_SERIES dataset")
    return datasets, versions


class ImportHandler:
    """Runs a dataset import job: read, validate, merge, publish, record statistics."""

    def run(self, hub: Hub, job: JobRow, progress: worker.Progress) -> None:
        from forecasthub.data.importer import merge_incremental, read_import_files, write_canonical
        from forecasthub.data.schema import Schema, schema_roles
        from forecasthub.data.statistics import field_statistics, import_summary

        with hub.db.session() as s:
            row = get_import_job(s, job.resource_arn)
            dataset = s.get(DatasetRow, row.dataset_arn)
            if dataset is None:
                raise NotFoundError(f"dataset {row.dataset_arn} no longer exists")
            _set_status(row, Status.CREATE_IN_PROGRESS)
            dataset.status = Status.UPDATE_IN_PROGRESS
            schema, dataset_type, domain = Schema.from_json(dataset.schema), dataset.dataset_type, dataset.domain
            previous, mode, name, job_name = dataset.current_version, row.import_mode, dataset.name, row.name
            options = dict(fmt=row.format, timestamp_format=row.timestamp_format,
                           time_zone=row.time_zone, domain=domain)
        started = time.monotonic()
        progress.update(stage="reading", done=0, total=3)
        with paths.import_files(job.payload["path"], hub.settings) as (files, names, input_bytes):
            frame = read_import_files(files, schema, dataset_type, display_names=names, **options)
        if mode == "INCREMENTAL" and previous:
            progress.update(stage="merging", done=1)
            frame = merge_incremental(read_version(hub, previous), frame,
                                      schema_roles(schema, dataset_type, domain).sort_columns)
        progress.update(stage="writing", done=2)
        stats = field_statistics(frame, schema)
        summary = import_summary(frame, schema, dataset_type, domain=domain, input_bytes=input_bytes)
        version_key = f"datasets/{name}/versions/{job_name}-{uuid.uuid4().hex[:8]}"
        with hub.store.version(version_key) as staging:
            write_canonical(frame, staging / DATA_FILE, schema)
        summary["Seconds"] = round(time.monotonic() - started, 3)
        with hub.db.session() as s:
            row = get_import_job(s, job.resource_arn)
            dataset = s.get(DatasetRow, row.dataset_arn)
            _set_status(row, Status.ACTIVE)
            row.version_key, row.field_statistics, row.summary = version_key, stats, summary
            row.data_size_gb, row.message = summary["DataSize"], None
            dataset.current_version, dataset.version_summary = version_key, summary
            dataset.status, dataset.modified_at = Status.ACTIVE, utcnow()
        progress.update(stage="done", done=3)

    def fail(self, hub: Hub, job: JobRow, message: str, stopped: bool = False) -> None:
        with hub.db.session() as s:
            row = s.get(DatasetImportJobRow, job.resource_arn)
            if row is None:
                return
            row.status = Status.CREATE_STOPPED if stopped else Status.CREATE_FAILED
            row.message, row.modified_at = message, utcnow()
            dataset = s.get(DatasetRow, row.dataset_arn)
            if dataset is not None:  # the previous version stays the dataset's data
                dataset.status, dataset.modified_at = Status.ACTIVE, utcnow()


def _set_status(row: Any, status: Status) -> None:
    if not can_transition(row.status, status):
        raise InvalidInputError(f"{row.arn} cannot go from {row.status} to {status}")
    row.status, row.modified_at = status, utcnow()


worker.register(KIND, ImportHandler())

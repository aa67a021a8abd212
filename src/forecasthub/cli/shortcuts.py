"""Friendly commands beyond `aws forecast`'s verbs: import, jobs, demo."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from forecasthub.errors import ForecastHubError, InvalidInputError, NotFoundError

SHORT_TYPES = {"TARGET_TIME_SERIES": "tts", "RELATED_TIME_SERIES": "rts", "ITEM_METADATA": "im"}


def infer_schema(path: Path) -> dict[str, Any]:
    """A schema from a CSV header: `timestamp` is the timestamp, numbers are floats, rest strings."""
    import polars as pl

    try:
        sample = pl.read_csv(path, n_rows=1000, infer_schema_length=1000)
    except Exception as exc:  # polars raises several types for unreadable files
        raise InvalidInputError(f"{path}: cannot infer a schema ({exc}); pass --schema") from exc
    attributes = []
    for name, dtype in sample.schema.items():
        name = name.lstrip("\ufeff")
        if name.lower() in ("timestamp", "date", "datetime"):
            kind = "timestamp"
        elif dtype.is_numeric() and not name.lower().endswith("_id"):
            kind = "float"
        else:
            kind = "string"
        attributes.append({"AttributeName": name, "AttributeType": kind})
    return {"Attributes": attributes}


def register(cli: click.Group) -> None:
    from forecasthub.cli.main import client, exit_with_error, print_json, progress_printer

    @cli.command("import")
    @click.argument("path")
    @click.option("--dataset-group", required=True, help="Dataset group name (created if missing).")
    @click.option("--domain", default="CUSTOM", show_default=True)
    @click.option("--dataset-type", default="TARGET_TIME_SERIES", show_default=True,
                  type=click.Choice(list(SHORT_TYPES)))
    @click.option("--dataset-name", help="Default: <group>_<tts|rts|im>.")
    @click.option("--schema", help="Schema JSON or file://schema.json; default: from the header.")
    @click.option("--data-frequency", help="Y, M, W, D, H, 30min ... (required for related series).")
    @click.option("--timestamp-format", help="e.g. yyyy-MM-dd or yyyy-MM-dd HH:mm:ss")
    @click.option("--time-zone")
    @click.option("--format", "fmt", default="CSV", type=click.Choice(["CSV", "PARQUET"]))
    @click.option("--import-mode", default="FULL", type=click.Choice(["FULL", "INCREMENTAL"]))
    def import_(path: str, dataset_group: str, domain: str, dataset_type: str,
                dataset_name: str | None, schema: str | None, data_frequency: str | None,
                timestamp_format: str | None, time_zone: str | None, fmt: str,
                import_mode: str) -> None:
        """Import a file or folder into a dataset group, creating what is missing."""
        from forecasthub.cli.awsstyle import parse_value, input_members

        try:
            fh = client()
            group_arn = fh.hub.arn("dataset-group", dataset_group)
            try:
                group = fh.describe_dataset_group(DatasetGroupArn=group_arn)
            except NotFoundError:
                fh.create_dataset_group(DatasetGroupName=dataset_group, Domain=domain)
                group = fh.describe_dataset_group(DatasetGroupArn=group_arn)
            name = dataset_name or f"{dataset_group}_{SHORT_TYPES[dataset_type]}"
            dataset_arn = fh.hub.arn("dataset", name)
            try:
                fh.describe_dataset(DatasetArn=dataset_arn)
            except NotFoundError:
                local = Path(path.removeprefix("file://"))
                if schema:
                    members, _ = input_members("CreateDataset")
                    schema_json = parse_value(schema, members["Schema"], "--schema")
                else:
                    schema_json = infer_schema(local if local.is_file() else
                                               sorted(p for p in local.rglob("*") if p.is_file())[0])
                fh.create_dataset(DatasetName=name, Domain=group["Domain"], DatasetType=dataset_type,
                                  Schema=schema_json, DataFrequency=data_frequency)
            if dataset_arn not in group["DatasetArns"]:
                fh.update_dataset_group(DatasetGroupArn=group_arn,
                                        DatasetArns=[*group["DatasetArns"], dataset_arn])
            job_name = f"import_{time.strftime('%Y%m%d_%H%M%S')}_{time.time_ns() % 1000:03d}"
            on_progress, stop = progress_printer()
            try:
                job = fh.call("CreateDatasetImportJob", {
                    "DatasetImportJobName": job_name, "DatasetArn": dataset_arn,
                    "DataSource": {"S3Config": {"Path": str(Path(path).resolve())
                                                if "://" not in path else path}},
                    "TimestampFormat": timestamp_format, "TimeZone": time_zone, "Format": fmt,
                    "ImportMode": import_mode}, wait=True, on_progress=on_progress)
            finally:
                stop()
            result = fh.describe_dataset_import_job(DatasetImportJobArn=job["DatasetImportJobArn"])
            print_json(result)
            if result["Status"] != "ACTIVE":
                raise InvalidInputError(result.get("Message", result["Status"]))
        except ForecastHubError as exc:
            exit_with_error(exc)

    @cli.command()
    @click.option("--limit", default=20, show_default=True)
    def jobs(limit: int) -> None:
        """Recent jobs and their state."""
        from sqlalchemy import select

        from forecasthub.store.orm import JobRow

        fh = client()
        with fh.hub.db.session() as s:
            rows = s.scalars(select(JobRow).order_by(JobRow.created_at.desc()).limit(limit)).all()
            print_json([{"Id": r.id, "Kind": r.kind, "ResourceArn": r.resource_arn,
                         "State": r.state, "Attempts": r.attempts, "Progress": r.progress,
                         "Message": r.message} for r in rows])

    @cli.command()
    @click.option("--out", default="demo-output", show_default=True, help="Folder for data/exports.")
    @click.option("--stores", default=45, show_default=True)
    @click.option("--quick", is_flag=True, help="A smaller dataset (10 stores).")
    def demo(out: str, stores: int, quick: bool) -> None:
        """Generate retail data and run it end to end on the embedded default."""
        from forecasthub.demo import run_demo

        try:
            run_demo(Path(out), n_stores=10 if quick else stores)
        except ForecastHubError as exc:
            exit_with_error(exc)


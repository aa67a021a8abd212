"""Forecasts (CreateForecast, QueryForecast ...) and export jobs (forecast and backtest)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from forecasthub.errors import AlreadyExistsError, InvalidInputError, NotFoundError, ResourceInUseError
from forecasthub.jobs import queue, worker
from forecasthub.resources import DELETABLE, FORMATS, Status, parse_arn, validate_enum, validate_name, validate_tags
from forecasthub.services import paths, registry
from forecasthub.services.common import Request, apply_filters, epoch, paginate, param, required
from forecasthub.services.context import Hub
from forecasthub.services.operations import register_operations
from forecasthub.services.predictors import get_predictor
from forecasthub.store.orm import ExportJobRow, ForecastRow, JobRow, PredictorRow, utcnow
from forecasthub.storage.layout import FORECAST_FILE

FORECAST_KIND, EXPORT_KIND = "forecast", "export"
EXPORT_PART_ROWS = 1_000_000


# forecasts -----------------------------------------------------------------------------------
def create_forecast(hub: Hub, req: Request) -> dict[str, Any]:
    from forecasthub.forecasting.config import parse_forecast_types

    name = validate_name(required(req, "ForecastName"), "ForecastName")
    tags = validate_tags(param(req, "Tags"))
    selector = param(req, "TimeSeriesSelector")
    selector_path = None
    if selector is not None:
        source = ((selector.get("TimeSeriesIdentifiers") or {}).get("DataSource") or {}).get("S3Config") or {}
        if not source.get("Path"):
            raise InvalidInputError("TimeSeriesSelector.TimeSeriesIdentifiers.DataSource.S3Config.Path is required")
        selector_path = paths.resolve(source["Path"], hub.settings)
    with hub.db.session() as s:
        predictor = get_predictor(s, required(req, "PredictorArn"))
        if predictor.status != Status.ACTIVE:
            raise ResourceInUseError(f"predictor {predictor.name!r} is {predictor.status}, not ACTIVE")
        types = parse_forecast_types(param(req, "ForecastTypes", predictor.config["forecast_types"]))
        arn = hub.arn("forecast", name)
        if s.get(ForecastRow, arn) is not None:
            raise AlreadyExistsError(f"a forecast named {name!r} already exists")
        s.add(ForecastRow(arn=arn, name=name, status=Status.CREATE_PENDING, predictor_arn=predictor.arn,
                          dataset_group_arn=predictor.dataset_group_arn, forecast_types=types,
                          time_series_selector=selector, tags=tags))
        job_id = queue.enqueue(s, FORECAST_KIND, arn, {"selector_path": selector_path})
    return {"ForecastArn": arn, "_JobId": job_id}


def describe_forecast(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_forecast(s, required(req, "ForecastArn"))
        out = {"ForecastArn": row.arn, "ForecastName": row.name, "ForecastTypes": row.forecast_types,
               "PredictorArn": row.predictor_arn, "DatasetGroupArn": row.dataset_group_arn,
               "Status": row.status, "CreationTime": epoch(row.created_at),
               "LastModificationTime": epoch(row.modified_at)}
        if row.time_series_selector:
            out["TimeSeriesSelector"] = row.time_series_selector
        if row.message:
            out["Message"] = row.message
        return out


def list_forecasts(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        rows = s.scalars(select(ForecastRow).order_by(ForecastRow.created_at.desc())).all()
        auto = {r.arn: r.is_auto for r in s.scalars(select(PredictorRow)).all()}
        rows = apply_filters(rows, req, {"DatasetGroupArn": lambda r: r.dataset_group_arn,
                                         "PredictorArn": lambda r: r.predictor_arn,
                                         "Status": lambda r: r.status})
        items = [{"ForecastArn": r.arn, "ForecastName": r.name, "PredictorArn": r.predictor_arn,
                  "CreatedUsingAutoPredictor": auto.get(r.predictor_arn, True),
                  "DatasetGroupArn": r.dataset_group_arn, "Status": r.status,
                  "CreationTime": epoch(r.created_at), "LastModificationTime": epoch(r.modified_at),
                  **({"Message": r.message} if r.message else {})} for r in rows]
    return paginate(items, req, "Forecasts")


def delete_forecast(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        key = registry.delete_resource(hub, get_forecast(s, required(req, "ForecastArn")), "forecast", s)
    if key:
        hub.store.delete(key)
    return {}


def get_forecast(s: Any, arn: Any) -> ForecastRow:
    parse_arn(arn, "ForecastArn", "forecast")
    row = s.get(ForecastRow, arn)
    if row is None:
        raise NotFoundError(f"forecast {arn} not found")
    return row


def _scan_forecast(hub: Hub, key: str) -> Any:
    """The stored forecast as a lazy frame (local file or s3 object, with filter pushdown)."""
    return hub.store.scan_parquet(f"{key}/{FORECAST_FILE}")


def query_forecast(hub: Hub, req: Request) -> dict[str, Any]:
    """One series' forecast, read with predicate pushdown from the stored Parquet."""
    import polars as pl

    filters = required(req, "Filters")
    if not isinstance(filters, dict) or not 1 <= len(filters) <= 50:
        raise InvalidInputError("Filters must map 1 to 50 attribute names to values")
    with hub.db.session() as s:
        row = get_forecast(s, required(req, "ForecastArn"))
        if row.status != Status.ACTIVE:
            raise ResourceInUseError(f"forecast {row.name!r} is {row.status}, not ACTIVE")
        key, keys, types = row.artifact_key, row.summary.get("key_columns", []), row.forecast_types
    unknown = [k for k in filters if k not in keys]
    if unknown:
        raise InvalidInputError(f"filter keys {unknown} are not series keys; use {keys}")
    frame = _scan_forecast(hub, key)
    for column, value in filters.items():
        frame = frame.filter(pl.col(column) == str(value))
    for bound, op in (("StartDate", "ge"), ("EndDate", "le")):
        if param(req, bound) is not None:
            try:
                when = datetime.fromisoformat(req[bound])
            except ValueError as exc:
                raise InvalidInputError(f"{bound} must look like 2019-10-01T00:00:00") from exc
            frame = frame.filter(getattr(pl.col("date"), op)(when))
    data = frame.sort("date").collect()
    if data.is_empty():
        raise NotFoundError(f"no forecast for {filters} in {row.name!r}")
    series_count = data.select(keys).n_unique()
    if series_count > 1:
        raise InvalidInputError(f"Filters select {series_count} series; add {keys} to select one")
    from forecasthub.columns import forecast_type_column

    stamps = [d.strftime("%Y-%m-%dT%H:%M:%S") for d in data["date"].to_list()]
    predictions = {}
    for t in types:
        col = forecast_type_column(t)
        predictions[col] = [{"Timestamp": ts, "Value": float(v)}
                            for ts, v in zip(stamps, data[col].to_list(), strict=True)]
    return {"Forecast": {"Predictions": predictions}}


class ForecastHandler:
    def run(self, hub: Hub, job: JobRow, progress: worker.Progress) -> None:
        from forecasthub.forecasting.config import PredictorConfig
        from forecasthub.forecasting.predicting import make_forecast
        from forecasthub.services.import_jobs import load_group_data

        with hub.db.session() as s:
            row = get_forecast(s, job.resource_arn)
            row.status, row.modified_at = Status.CREATE_IN_PROGRESS, utcnow()
            name, types = row.name, list(row.forecast_types)
            predictor = get_predictor(s, row.predictor_arn)
            config = PredictorConfig.from_json(predictor.config)
            artifact_key = predictor.artifact_key
        progress.update(stage="loading data", done=0, total=3)
        datasets, versions = load_group_data(hub, config.dataset_group_arn)
        selector = job.payload.get("selector_path")
        with paths.fetch(selector, hub.settings) if selector else nullcontext() as local_selector:
            key, summary = make_forecast(hub.store, name, config, artifact_key, types, datasets,
                                         versions, local_selector, progress)
        with hub.db.session() as s:
            row = get_forecast(s, job.resource_arn)
            row.artifact_key, row.summary = key, summary
            row.status, row.message, row.modified_at = Status.ACTIVE, None, utcnow()
        from forecasthub.monitoring import on_forecast_created  # monitors: earlier forecasts vs actuals

        on_forecast_created(hub, job.resource_arn)  # never fails the forecast

    def fail(self, hub: Hub, job: JobRow, message: str, stopped: bool = False) -> None:
        registry.fail_resource(hub, ForecastRow, job.resource_arn, message, stopped)


# export jobs ---------------------------------------------------------------------------------
EXPORTS = {  # kind -> (arn type, name member, source member, response key)
    "forecast": ("forecast-export-job", "ForecastExportJobName", "ForecastArn", "ForecastExportJobArn"),
    "backtest": ("predictor-backtest-export-job", "PredictorBacktestExportJobName", "PredictorArn",
                 "PredictorBacktestExportJobArn"),
}


def _create_export(hub: Hub, req: Request, kind: str) -> dict[str, Any]:
    arn_type, name_member, source_member, arn_member = EXPORTS[kind]
    name = validate_name(required(req, name_member), name_member)
    destination = required(req, "Destination")
    dest_path = ((destination or {}).get("S3Config") or {}).get("Path")
    if not dest_path:
        raise InvalidInputError("Destination must be {\"S3Config\": {\"Path\": ...}}")
    paths.resolve(dest_path, hub.settings, must_exist=False)
    fmt = validate_enum(param(req, "Format", "CSV"), FORMATS, "Format")
    tags = validate_tags(param(req, "Tags"))
    source_arn = required(req, source_member)
    with hub.db.session() as s:
        source = get_forecast(s, source_arn) if kind == "forecast" else get_predictor(s, source_arn)
        if source.status != Status.ACTIVE:
            raise ResourceInUseError(f"{source.name!r} is {source.status}, not ACTIVE")
        arn = hub.arn(arn_type, source.name, name)
        if s.get(ExportJobRow, arn) is not None:
            raise AlreadyExistsError(f"{source.name!r} already has an export job named {name!r}")
        s.add(ExportJobRow(arn=arn, name=name, kind=kind, status=Status.CREATE_PENDING,
                           source_arn=source_arn, destination=destination, format=fmt, tags=tags))
        job_id = queue.enqueue(s, EXPORT_KIND, arn, {})
    return {arn_member: arn, "_JobId": job_id}


def _describe_export(hub: Hub, req: Request, kind: str) -> dict[str, Any]:
    arn_type, name_member, source_member, arn_member = EXPORTS[kind]
    with hub.db.session() as s:
        row = get_export(s, required(req, arn_member), arn_type)
        out = {arn_member: row.arn, name_member: row.name, source_member: row.source_arn,
               "Destination": row.destination, "Format": row.format, "Status": row.status,
               "CreationTime": epoch(row.created_at), "LastModificationTime": epoch(row.modified_at)}
        if row.message:
            out["Message"] = row.message
        return out


def _list_exports(hub: Hub, req: Request, kind: str, key: str) -> dict[str, Any]:
    arn_type, name_member, source_member, arn_member = EXPORTS[kind]
    with hub.db.session() as s:
        rows = s.scalars(select(ExportJobRow).where(ExportJobRow.kind == kind)
                         .order_by(ExportJobRow.created_at.desc())).all()
        rows = apply_filters(rows, req, {source_member: lambda r: r.source_arn,
                                         "Status": lambda r: r.status})
        items = [{arn_member: r.arn, name_member: r.name, "Destination": r.destination,
                  "Status": r.status, "CreationTime": epoch(r.created_at),
                  "LastModificationTime": epoch(r.modified_at),
                  **({"Message": r.message} if r.message else {})} for r in rows]
    return paginate(items, req, key)


def _delete_export(hub: Hub, req: Request, kind: str) -> dict[str, Any]:
    arn_type, _, _, arn_member = EXPORTS[kind]
    with hub.db.session() as s:
        row = get_export(s, required(req, arn_member), arn_type)
        if row.status not in DELETABLE:
            raise ResourceInUseError(f"export job {row.name!r} is {row.status}; stop it or wait")
        s.delete(row)  # exported files stay, as in Amazon Forecast
    return {}


def get_export(s: Any, arn: Any, arn_type: str) -> ExportJobRow:
    parse_arn(arn, "export job ARN", arn_type)
    row = s.get(ExportJobRow, arn)
    if row is None:
        raise NotFoundError(f"export job {arn} not found")
    return row


class ExportHandler:
    def run(self, hub: Hub, job: JobRow, progress: worker.Progress) -> None:
        from forecasthub.forecasting import exports

        with hub.db.session() as s:
            row = s.get(ExportJobRow, job.resource_arn)
            row.status, row.modified_at = Status.CREATE_IN_PROGRESS, utcnow()
            kind, name, fmt, source_arn = row.kind, row.name, row.format, row.source_arn
            destination = row.destination["S3Config"]["Path"]
            if kind == "forecast":
                source_key = get_forecast(s, source_arn).artifact_key
            else:
                source_key = get_predictor(s, source_arn).artifact_key
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        progress.update(stage="exporting", done=0, total=1)
        with paths.writable_folder(destination, hub.settings) as (folder, publish):
            if kind == "forecast":
                files = exports.export_forecast(_scan_forecast(hub, source_key), folder,
                                                f"{name}_{stamp}", fmt, EXPORT_PART_ROWS)
            else:
                files = exports.export_backtest(hub, source_key, folder, f"{name}_{stamp}", fmt)
            names = publish(files)
        with hub.db.session() as s:
            row = s.get(ExportJobRow, job.resource_arn)
            row.files = names
            row.status, row.message, row.modified_at = Status.ACTIVE, None, utcnow()
        progress.update(stage="done", done=1)

    def fail(self, hub: Hub, job: JobRow, message: str, stopped: bool = False) -> None:
        registry.fail_resource(hub, ExportJobRow, job.resource_arn, message, stopped)


registry.register_table("forecast", ForecastRow, parent=("predictor", "predictor_arn"))
registry.register_table("forecast-export-job", ExportJobRow, parent=("forecast", "source_arn"))
registry.register_table("predictor-backtest-export-job", ExportJobRow, parent=("predictor", "source_arn"))
worker.register(FORECAST_KIND, ForecastHandler())
worker.register(EXPORT_KIND, ExportHandler())
register_operations({
    "CreateForecast": create_forecast,
    "DescribeForecast": describe_forecast,
    "ListForecasts": list_forecasts,
    "DeleteForecast": delete_forecast,
    "QueryForecast": query_forecast,
    "CreateForecastExportJob": lambda hub, req: _create_export(hub, req, "forecast"),
    "DescribeForecastExportJob": lambda hub, req: _describe_export(hub, req, "forecast"),
    "ListForecastExportJobs": lambda hub, req: _list_exports(hub, req, "forecast", "ForecastExportJobs"),
    "DeleteForecastExportJob": lambda hub, req: _delete_export(hub, req, "forecast"),
    "CreatePredictorBacktestExportJob": lambda hub, req: _create_export(hub, req, "backtest"),
    "DescribePredictorBacktestExportJob": lambda hub, req: _describe_export(hub, req, "backtest"),
    "ListPredictorBacktestExportJobs": lambda hub, req: _list_exports(
        hub, req, "backtest", "PredictorBacktestExportJobs"),
    "DeletePredictorBacktestExportJob": lambda hub, req: _delete_export(hub, req, "backtest"),
})

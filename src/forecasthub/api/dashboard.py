"""Read-only JSON endpoints for the dashboard, under ``/api/v1/dashboard``.

Small answers only: lists are capped, one series (or one aggregate) at a time, and Parquet is read
with polars predicate pushdown filtered to what is asked. Authentication is the REST API's.

    GET /api/v1/dashboard/stamp                      a cheap change stamp (the page polls it)
    GET /api/v1/dashboard/summary                    groups, datasets (+ statistics), predictors, forecasts
    GET /api/v1/dashboard/accuracy?predictor=        GetAccuracyMetrics as rows (algorithm x window)
    GET /api/v1/dashboard/series?forecast=&q=        search the series of a forecast (paged)
    GET /api/v1/dashboard/series/detail?forecast=&key={json}&history=
                                                     history + forecast + backtests of one series
    GET /api/v1/dashboard/aggregate?forecast=&by=&value=&history=
                                                     sums over the series with by == value
    GET /api/v1/dashboard/runs?group=&limit=         pipeline runs with their steps and outputs
    GET /api/v1/dashboard/models                     model versions, deployments, rule per group
    GET /api/v1/dashboard/monitoring?monitor=        monitors; one monitor's evaluations + baseline
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from forecasthub.api.dispatch import call_operation
from forecasthub.api.rest import PREFIX, Auth, hub_of
from forecasthub.errors import (
    ForecastHubError,
    InvalidInputError,
    NotFoundError,
    ResourceInUseError,
)
from forecasthub.resources import Status, validate_name
from forecasthub.services.common import epoch
from forecasthub.services.context import Hub
from forecasthub.storage.layout import BACKTEST_VALUES, DATA_FILE, FORECAST_FILE
from forecasthub.store.orm import (
    DatasetGroupRow,
    DatasetImportJobRow,
    DatasetRow,
    ExportJobRow,
    ForecastRow,
    JobRow,
    ModelApprovalRuleRow,
    ModelDeploymentRow,
    ModelVersionRow,
    PipelineRunRow,
    PredictorRow,
)

LIST_CAP = 200  # rows of each list in the summary
SEARCH_LIMIT = 100
GROUPS_CAP = 500
MAX_HISTORY = 5000
LIVE_JOB_STATES = ("PENDING", "RUNNING")
VALUE_COLUMN = re.compile(r"mean|p\d+(\.\d+)?")  # forecast types as columns
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
MONITOR_OPERATIONS = ("ListMonitors", "DescribeMonitor", "ListMonitorEvaluations")
EVALUATIONS_CAP = 1000

router = APIRouter(prefix=f"{PREFIX}/dashboard", tags=["dashboard"])


# -- helpers ----------------------------------------------------------------------------------
def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00"
    return None if value is None else str(value)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _nums(values: list[Any]) -> list[float | None]:
    return [_num(v) for v in values]


def _source(hub: Hub, key: str) -> str:
    return hub.store.path(key) if hub.store.is_local else hub.store.uri(key)


def _scan(hub: Hub, key: str) -> Any:
    """A lazy frame of a stored Parquet file (filters given to it are pushed down)."""
    import polars as pl

    scan = getattr(hub.store, "scan_parquet", None)  # the object store's own, with its credentials
    try:
        return scan(key) if scan is not None else pl.scan_parquet(_source(hub, key))
    except FileNotFoundError as exc:
        raise NotFoundError(f"stored file {key} is missing") from exc


def _epoch_of(value: Any) -> Any:
    """A datetime or an ISO timestamp string as epoch seconds; anything else as it is."""
    if isinstance(value, datetime):
        return epoch(value)
    if isinstance(value, str) and ISO_TIME.match(value):
        try:
            return epoch(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def _times(value: Any, key: str = "") -> Any:
    """Every ``...Time`` / ``...Datetime`` member, at any depth, as epoch seconds."""
    if isinstance(value, dict):
        return {k: _times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_times(v, key) for v in value]
    return _epoch_of(value) if key.endswith(("Time", "Datetime")) else value


def _cold_start(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """A predictor's or forecast's ``ColdStart`` record (automl.coldstart) without its item list."""
    record = (summary or {}).get("ColdStart")
    if not isinstance(record, dict) or not record.get("Items"):
        return None
    return {"Model": record.get("Model"), "Weights": record.get("Weights") or {},
            "Items": record.get("Items"), "Reason": record.get("Reason")}


def _schema_roles(row: DatasetRow) -> Any:
    from forecasthub.data.schema import Schema, schema_roles

    return schema_roles(Schema.from_json(row.schema), row.dataset_type, row.domain)


def _job_progress(job: JobRow | None) -> dict[str, Any] | None:
    if job is None:
        return None
    p = job.progress or {}
    return {"Id": job.id, "State": job.state, "Stage": p.get("stage"), "Done": p.get("done"),
            "Total": p.get("total"), "EtaSeconds": p.get("eta_seconds"),
            "SeriesDone": p.get("series_done"), "SeriesTotal": p.get("series_total"),
            "Message": job.message}


def _latest_jobs(s: Any, arns: list[str]) -> dict[str, JobRow]:
    """The newest job of each resource, in one query."""
    if not arns:
        return {}
    rows = s.scalars(select(JobRow).where(JobRow.resource_arn.in_(arns))
                     .order_by(JobRow.created_at)).all()
    return {r.resource_arn: r for r in rows}  # later rows overwrite earlier ones


# -- resolution -------------------------------------------------------------------------------
class ForecastData:
    """What reading one forecast's data needs, resolved from the metadata store."""

    def __init__(self, hub: Hub, ident: str) -> None:
        arn = ident if ident.startswith("arn:") else hub.arn("forecast", validate_name(ident, "forecast"))
        with hub.db.session() as s:
            row = s.get(ForecastRow, arn)
            if row is None:
                raise NotFoundError(f"forecast {ident!r} not found")
            if row.status != Status.ACTIVE or not row.artifact_key:
                raise ResourceInUseError(f"forecast {row.name!r} is {row.status}, not ACTIVE")
            self.name, self.arn = row.name, row.arn
            self.key_columns: list[str] = list(row.summary.get("key_columns", []))
            self.cold_start: dict[str, Any] = dict(row.summary.get("ColdStart") or {})
            self.forecast_key = f"{row.artifact_key}/{FORECAST_FILE}"
            predictor = s.get(PredictorRow, row.predictor_arn)
            self.predictor_name = predictor.name if predictor else None
            self.predictor_key = predictor.artifact_key if predictor else None
            self.frequency = predictor.config.get("frequency") if predictor else None
            group = s.get(DatasetGroupRow, row.dataset_group_arn)
            self.tts: dict[str, Any] | None = None
            self.im: dict[str, Any] | None = None
            for ds_arn in (group.dataset_arns if group else []):
                ds = s.get(DatasetRow, ds_arn)
                if ds is None or not ds.current_version:
                    continue
                roles = _schema_roles(ds)
                info = {"name": ds.name, "version": ds.current_version, "item": roles.item_id,
                        "timestamp": roles.timestamp, "target": roles.target,
                        "features": list(roles.features)}
                if ds.dataset_type == "TARGET_TIME_SERIES":
                    self.tts = info
                elif ds.dataset_type == "ITEM_METADATA":
                    self.im = info
        self.hub = hub
        if not self.key_columns:
            raise NotFoundError(f"forecast {self.name!r} has no series key columns recorded")

    @property
    def item_field(self) -> str:
        return self.key_columns[0]

    def forecast_scan(self) -> Any:
        return _scan(self.hub, self.forecast_key)

    def value_columns(self, frame: Any) -> list[str]:
        names = frame.collect_schema().names()
        return [c for c in names if c not in self.key_columns and VALUE_COLUMN.fullmatch(c)]

    def aggregate_by(self) -> list[dict[str, str]]:
        out = [{"Name": c, "Source": "dimension" if i else "item"}
               for i, c in enumerate(self.key_columns) if i]
        if self.im:
            out += [{"Name": f, "Source": "metadata"} for f in self.im["features"]]
        return out


def _parse_key(raw: str, key_columns: list[str]) -> dict[str, str]:
    try:
        key = json.loads(raw)
    except ValueError:
        raise InvalidInputError("key must be a JSON object of the series key columns") from None
    if not isinstance(key, dict) or set(key) != set(key_columns):
        raise InvalidInputError(f"key must give exactly the series key columns {key_columns}")
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in key.values()):
        raise InvalidInputError("key values must be strings")
    return {c: str(key[c]) for c in key_columns}


def _match(columns: dict[str, str]) -> Any:
    import polars as pl

    expr = pl.lit(True)
    for column, value in columns.items():
        expr = expr & (pl.col(column).cast(pl.String) == value)
    return expr


# -- endpoints --------------------------------------------------------------------------------
@router.get("/stamp", summary="A stamp that changes whenever resources or jobs change")
def stamp(request: Request, _: Auth) -> dict[str, Any]:
    hub = hub_of(request)
    parts: list[Any] = []
    with hub.db.session() as s:
        for table in (DatasetGroupRow, DatasetRow, DatasetImportJobRow, PredictorRow, ForecastRow,
                      ExportJobRow):
            parts.extend(s.execute(select(func.count(), func.max(table.modified_at))).one())
        parts.extend(s.execute(select(
            func.count(), func.max(JobRow.created_at), func.max(JobRow.started_at),
            func.max(JobRow.finished_at), func.max(JobRow.lease_expires_at))).one())
        live = s.execute(select(func.count()).where(JobRow.state.in_(LIVE_JOB_STATES))).scalar()
        # the model registry and pipeline runs (a running run's steps change as it goes)
        for table, changed in ((ModelVersionRow, ModelVersionRow.modified_at),
                               (ModelDeploymentRow, ModelDeploymentRow.created_at),
                               (ModelApprovalRuleRow, ModelApprovalRuleRow.modified_at),
                               (PipelineRunRow, PipelineRunRow.finished_at)):
            parts.extend(s.execute(select(func.count(), func.max(changed)).select_from(table)).one())
        running = s.scalars(select(PipelineRunRow.steps).where(PipelineRunRow.status == "RUNNING")
                            .limit(LIST_CAP)).all()
        parts.append(running)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    return {"Stamp": digest, "LiveJobs": int(live or 0), "LiveRuns": len(running)}


@router.get("/summary", summary="Dataset groups, datasets, predictors and forecasts at a glance")
def summary(request: Request, _: Auth) -> dict[str, Any]:
    hub = hub_of(request)
    with hub.db.session() as s:
        totals = {name: s.execute(select(func.count()).select_from(table)).scalar() or 0
                  for name, table in (("DatasetGroups", DatasetGroupRow), ("Datasets", DatasetRow),
                                      ("Predictors", PredictorRow), ("Forecasts", ForecastRow))}
        groups = s.scalars(select(DatasetGroupRow).order_by(DatasetGroupRow.created_at.desc())
                           .limit(LIST_CAP)).all()
        datasets = {d.arn: d for d in s.scalars(select(DatasetRow)
                                                .order_by(DatasetRow.created_at.desc())
                                                .limit(LIST_CAP * 3)).all()}
        versions = [d.current_version for d in datasets.values() if d.current_version]
        stats = {j.version_key: j for j in s.scalars(
            select(DatasetImportJobRow).where(DatasetImportJobRow.version_key.in_(versions))).all()
        } if versions else {}
        predictors = s.scalars(select(PredictorRow).order_by(PredictorRow.created_at.desc())
                               .limit(LIST_CAP)).all()
        forecasts = s.scalars(select(ForecastRow).order_by(ForecastRow.created_at.desc())
                              .limit(LIST_CAP)).all()
        jobs = _latest_jobs(s, [p.arn for p in predictors] + [f.arn for f in forecasts])
        group_names = {g.arn: g.name for g in s.scalars(select(DatasetGroupRow)).all()}
        predictor_names = {p.arn: p.name for p in predictors}

        def dataset(d: DatasetRow) -> dict[str, Any]:
            job = stats.get(d.current_version) if d.current_version else None
            v = d.version_summary or {}
            return {
                "Name": d.name, "Arn": d.arn, "Type": d.dataset_type, "Domain": d.domain,
                "Status": d.status, "Frequency": d.data_frequency,
                "Attributes": [a.get("AttributeName") for a in (d.schema or {}).get("Attributes", [])],
                "Version": None if not d.current_version else {
                    "ImportJob": job.name if job else None, "Rows": v.get("Rows"),
                    "SeriesCount": v.get("SeriesCount"), "FirstTimestamp": v.get("FirstTimestamp"),
                    "LastTimestamp": v.get("LastTimestamp"), "DataSize": v.get("DataSize"),
                    "Imported": epoch(job.modified_at) if job else None},
                "FieldStatistics": (job.field_statistics if job else None) or {},
                "Modified": epoch(d.modified_at),
            }

        grouped: set[str] = set()
        out_groups = []
        for g in groups:
            members = [datasets[a] for a in g.dataset_arns if a in datasets]
            grouped.update(d.arn for d in members)
            out_groups.append({"Name": g.name, "Arn": g.arn, "Domain": g.domain, "Status": g.status,
                               "Created": epoch(g.created_at), "Modified": epoch(g.modified_at),
                               "Datasets": [dataset(d) for d in members]})
        ungrouped = [dataset(d) for d in datasets.values() if d.arn not in grouped][:LIST_CAP]

        out_predictors = []
        for p in predictors:
            c = p.config or {}
            job = jobs.get(p.arn)
            out_predictors.append({
                "Name": p.name, "Arn": p.arn, "Status": p.status, "Message": p.message,
                "DatasetGroup": group_names.get(p.dataset_group_arn), "IsAuto": p.is_auto,
                "Horizon": c.get("horizon"), "Frequency": c.get("frequency"),
                "Dimensions": c.get("dimensions") or [], "ForecastTypes": c.get("forecast_types"),
                "OptimizationMetric": c.get("optimization_metric"),
                "Model": (p.summary or {}).get("model"),
                "Algorithms": (p.summary or {}).get("algorithms") or [],
                "Weights": (p.summary or {}).get("weights") or {},
                "Series": (p.summary or {}).get("series"),
                "Seconds": (p.summary or {}).get("seconds"),
                "ColdStart": _cold_start(p.summary),
                "Created": epoch(p.created_at), "Modified": epoch(p.modified_at),
                "Job": _job_progress(job),
            })

        out_forecasts = []
        im_features = {}
        for d in datasets.values():
            if d.dataset_type == "ITEM_METADATA":
                im_features[d.arn] = list(_schema_roles(d).features)
        group_im = {g.arn: next((im_features[a] for a in g.dataset_arns if a in im_features), [])
                    for g in groups}
        for f in forecasts:
            keys = list((f.summary or {}).get("key_columns", []))
            by = [{"Name": k, "Source": "dimension"} for k in keys[1:]]
            by += [{"Name": a, "Source": "metadata"} for a in group_im.get(f.dataset_group_arn, [])]
            out_forecasts.append({
                "Name": f.name, "Arn": f.arn, "Status": f.status, "Message": f.message,
                "Predictor": predictor_names.get(f.predictor_arn), "PredictorArn": f.predictor_arn,
                "DatasetGroup": group_names.get(f.dataset_group_arn), "Types": f.forecast_types,
                "KeyColumns": keys, "Series": (f.summary or {}).get("series"),
                "Start": (f.summary or {}).get("start"), "End": (f.summary or {}).get("end"),
                "AggregateBy": by, "ColdStart": _cold_start(f.summary),
                "Created": epoch(f.created_at), "Modified": epoch(f.modified_at),
                "Job": _job_progress(jobs.get(f.arn)),
            })
    return {"Totals": totals, "DatasetGroups": out_groups, "UngroupedDatasets": ungrouped,
            "Predictors": out_predictors, "Forecasts": out_forecasts, "ListCap": LIST_CAP}


@router.get("/accuracy", summary="A predictor's accuracy metrics as rows (algorithm x window)")
def accuracy(request: Request, _: Auth,
             predictor: Annotated[str, Query(min_length=1, max_length=300)]) -> dict[str, Any]:
    hub = hub_of(request)
    arn = predictor
    if not predictor.startswith("arn:"):
        validate_name(predictor, "predictor")
        with hub.db.session() as s:
            row = s.scalars(select(PredictorRow).where(PredictorRow.name == predictor)
                            .order_by(PredictorRow.created_at.desc())).first()
            if row is None:
                raise NotFoundError(f"predictor {predictor!r} not found")
            arn = row.arn
    metrics = call_operation(hub, "GetAccuracyMetrics", {"PredictorArn": arn})
    rows, quantiles = [], set()
    for result in metrics.get("PredictorEvaluationResults", []):
        algorithm = str(result.get("AlgorithmArn", "")).rsplit("/", 1)[-1]
        for window in result.get("TestWindows", []):
            m = window.get("Metrics") or {}
            wql = {str(q.get("Quantile")): _num(q.get("LossValue"))
                   for q in m.get("WeightedQuantileLosses", [])}
            quantiles.update(wql)
            errors = next((e for e in m.get("ErrorMetrics", [])
                           if e.get("ForecastType") == "mean"), (m.get("ErrorMetrics") or [{}])[0])
            rows.append({
                "Algorithm": algorithm, "Window": window.get("EvaluationType"),
                "Start": window.get("TestWindowStart"), "End": window.get("TestWindowEnd"),
                "AverageWeightedQuantileLoss": _num(m.get("AverageWeightedQuantileLoss")),
                "WeightedQuantileLosses": wql,
                "WAPE": _num(errors.get("WAPE")), "RMSE": _num(errors.get("RMSE", m.get("RMSE"))),
                "MASE": _num(errors.get("MASE")), "MAPE": _num(errors.get("MAPE")),
            })
    return {"PredictorArn": arn, "OptimizationMetric": metrics.get("OptimizationMetric"),
            "Quantiles": sorted(quantiles, key=float), "Rows": rows}


@router.get("/series", summary="Search the series of a forecast by item id and dimension values")
def series(request: Request, _: Auth,
           forecast: Annotated[str, Query(min_length=1, max_length=300)],
           q: Annotated[str, Query(max_length=200)] = "",
           limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT)] = 20,
           offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    import polars as pl

    data = ForecastData(hub_of(request), forecast)
    frame = data.forecast_scan().select(pl.col(c).cast(pl.String) for c in data.key_columns)
    tokens = q.lower().split()
    for token in tokens:  # every word must be in one of the key columns
        frame = frame.filter(pl.any_horizontal(
            pl.col(c).str.to_lowercase().str.contains(token, literal=True) for c in data.key_columns))
    keys = frame.unique()
    if tokens:  # words that equal a whole key value rank first
        exact = pl.sum_horizontal(
            pl.any_horizontal(pl.col(c).str.to_lowercase() == t for c in data.key_columns).cast(pl.Int32)
            for t in tokens)
        keys = keys.with_columns(exact.alias("__exact")).sort(
            ["__exact", *data.key_columns], descending=[True] + [False] * len(data.key_columns)
        ).drop("__exact")
    else:
        keys = keys.sort(data.key_columns)
    keys = keys.collect()
    page = keys.slice(offset, limit)
    return {"Forecast": data.name, "KeyColumns": data.key_columns, "Total": keys.height,
            "Offset": offset, "Series": page.to_dicts(),
            "ColdStartItems": _cold_items(data, page[data.item_field].unique().to_list()),
            "NextOffset": offset + limit if offset + limit < keys.height else None}


def _cold_items(data: ForecastData, items: list[str]) -> list[str]:
    """Which of ``items`` are the forecast's cold-start items: those its record lists, and when
    the record lists only some of them (it keeps 100), those without history."""
    import polars as pl

    record = data.cold_start
    listed = set(record.get("ItemIds") or [])
    cold = {i for i in items if i in listed}
    rest = [i for i in items if i not in listed]
    if record.get("Items", 0) > len(listed) and rest and data.tts and data.tts["item"]:
        item = data.tts["item"]
        seen = (_scan(data.hub, f"{data.tts['version']}/{DATA_FILE}")
                .filter(pl.col(item).cast(pl.String).is_in(rest)).select(pl.col(item).cast(pl.String))
                .unique().collect()[item].to_list())
        cold.update(set(rest) - set(seen))
    return sorted(cold)


def _history(data: ForecastData, where: Any, points: int, items: Any = None) -> dict[str, Any]:
    """Sum of the target per timestamp over the rows ``where`` selects, the last ``points``."""
    import polars as pl

    if data.tts is None or not data.tts["timestamp"] or not data.tts["target"]:
        return {"Dataset": None, "Timestamps": [], "Values": []}
    ts, target = data.tts["timestamp"], data.tts["target"]
    frame = _scan(data.hub, f"{data.tts['version']}/{DATA_FILE}")
    if where is not None:
        frame = frame.filter(where)
    if items is not None:
        frame = frame.filter(pl.col(data.item_field).cast(pl.String).is_in(items))
    history = (frame.group_by(ts).agg(pl.col(target).sum()).sort(ts).tail(points).collect())
    return {"Dataset": data.tts["name"], "Timestamps": [_iso(t) for t in history[ts].to_list()],
            "Values": _nums(history[target].to_list())}


@router.get("/series/detail", summary="History, forecast and backtests of one series")
def series_detail(request: Request, _: Auth,
                  forecast: Annotated[str, Query(min_length=1, max_length=300)],
                  key: Annotated[str, Query(min_length=2, max_length=2000)],
                  history: Annotated[int, Query(ge=1, le=MAX_HISTORY)] = 104) -> dict[str, Any]:
    import polars as pl

    data = ForecastData(hub_of(request), forecast)
    wanted = _parse_key(key, data.key_columns)
    where = _match(wanted)
    scan = data.forecast_scan()
    values = data.value_columns(scan)
    fc = scan.filter(where).sort("date").collect()
    if fc.is_empty():
        raise NotFoundError(f"no series {wanted} in forecast {data.name!r}")
    out: dict[str, Any] = {
        "Forecast": data.name, "Predictor": data.predictor_name, "KeyColumns": data.key_columns,
        "Key": wanted, "Frequency": data.frequency,
        "History": _history(data, where, history),
        "Prediction": {"Timestamps": [_iso(t) for t in fc["date"].to_list()],
                       **{c: _nums(fc[c].to_list()) for c in values}},
        "Backtests": [],
    }
    if data.predictor_key:
        try:
            bt = (_scan(data.hub, f"{data.predictor_key}/{BACKTEST_VALUES}").filter(where)
                  .sort("backtestwindow_start_time", "timestamp").collect())
        except (NotFoundError, FileNotFoundError, pl.exceptions.ComputeError,
                pl.exceptions.ColumnNotFoundError):
            bt = None
        if bt is not None and not bt.is_empty():
            cols = [c for c in bt.columns if VALUE_COLUMN.fullmatch(c)]
            for (start,), window in bt.group_by("backtestwindow_start_time", maintain_order=True):
                out["Backtests"].append({
                    "Start": _iso(start), "End": _iso(window["backtestwindow_end_time"][0]),
                    "Timestamps": [_iso(t) for t in window["timestamp"].to_list()],
                    "Actual": _nums(window["target_value"].to_list()),
                    **{c: _nums(window[c].to_list()) for c in cols}})
    return out


@router.get("/aggregate", summary="Sums over the series of one dimension or metadata value")
def aggregate(request: Request, _: Auth,
              forecast: Annotated[str, Query(min_length=1, max_length=300)],
              by: Annotated[str, Query(min_length=1, max_length=63)],
              value: Annotated[str | None, Query(max_length=500)] = None,
              history: Annotated[int, Query(ge=1, le=MAX_HISTORY)] = 104) -> dict[str, Any]:
    import polars as pl

    data = ForecastData(hub_of(request), forecast)
    sources = {a["Name"]: a["Source"] for a in data.aggregate_by()}
    if by not in sources:
        raise InvalidInputError(f"by must be one of {sorted(sources)} for forecast {data.name!r}")
    scan = data.forecast_scan()
    values_cols = [c for c in data.value_columns(scan) if c in ("p10", "p50", "p90", "mean")]
    series_keys = scan.select(data.key_columns).unique()
    items = None  # item ids of a metadata value
    if sources[by] == "metadata":
        assert data.im is not None
        meta = (_scan(data.hub, f"{data.im['version']}/{DATA_FILE}")
                .select(pl.col(data.im["item"]).cast(pl.String).alias(data.item_field),
                        pl.col(by).cast(pl.String).alias("__by")))
        keyed = series_keys.with_columns(pl.col(data.item_field).cast(pl.String)).join(
            meta, on=data.item_field, how="left")
    else:
        keyed = series_keys.with_columns(pl.col(by).cast(pl.String).alias("__by"))
    counts = keyed.group_by("__by").agg(pl.len().alias("n")).sort("__by", nulls_last=True).collect()
    groups = [{"Value": v, "Series": int(n)} for v, n in counts.iter_rows()][:GROUPS_CAP]
    out: dict[str, Any] = {"Forecast": data.name, "By": by, "Source": sources[by], "Value": value,
                           "Groups": groups, "GroupCount": counts.height,
                           "Approximate": ["p10", "p90"]}
    where = None
    if value is not None:
        if sources[by] == "metadata":
            items = (keyed.filter(pl.col("__by") == value).select(data.item_field).unique()
                     .collect()[data.item_field].to_list())
            fc = scan.filter(pl.col(data.item_field).cast(pl.String).is_in(items))
        else:
            where = pl.col(by).cast(pl.String) == value
            fc = scan.filter(where)
        out["Series"] = int(next((g["Series"] for g in groups if g["Value"] == value), 0))
    else:
        fc = scan
        out["Series"] = int(sum(g["Series"] for g in groups))
    summed = fc.group_by("date").agg(pl.col(values_cols).sum()).sort("date").collect()
    out["Prediction"] = {"Timestamps": [_iso(t) for t in summed["date"].to_list()],
                         **{c: _nums(summed[c].to_list()) for c in values_cols}}
    out["History"] = _history(data, where, history, items=items)
    return out


# -- automation: pipeline runs, model registry, monitoring -------------------------------------
def _run_step(step: dict[str, Any]) -> dict[str, Any]:
    """A step as recorded (Name, Status, StartTime, EndTime, Attempts, Errors, Arn ...), its times
    as epoch seconds, plus ``Seconds``: its duration (DurationSeconds, or end - start)."""
    out = _times(step)
    start, end = out.get("StartTime"), out.get("EndTime")
    if isinstance(out.get("DurationSeconds"), int | float):
        out["Seconds"] = out["DurationSeconds"]
    elif isinstance(start, float) and isinstance(end, float):
        out["Seconds"] = round(end - start, 3)
    return out


@router.get("/runs", summary="Recent pipeline runs with their steps and outputs")
def runs(request: Request, _: Auth,
         group: Annotated[str | None, Query(max_length=300)] = None,
         limit: Annotated[int, Query(ge=1, le=LIST_CAP)] = 50) -> dict[str, Any]:
    try:
        from forecasthub.pipelines.runs import list_runs
    except ModuleNotFoundError:  # the pipelines package is optional
        return {"Available": False, "Runs": []}
    out = []
    for r in list_runs(hub_of(request), group or None, limit):
        created, ended = _epoch_of(r.get("CreationTime")), _epoch_of(r.get("EndTime"))
        out.append({
            "RunId": r.get("RunId"), "DatasetGroup": r.get("DatasetGroupName"),
            "Pipeline": r.get("Pipeline"),
            "Trigger": r.get("Trigger"), "Status": r.get("Status"), "Message": r.get("Message"),
            "Created": created, "Ended": ended,
            "Seconds": round(ended - created, 3) if created is not None and ended is not None else None,
            "Steps": [_run_step(x) for x in r.get("Steps") or [] if isinstance(x, dict)],
            "Outputs": _times(r.get("Outputs") or {}),
        })
    return {"Available": True, "Runs": out}


@router.get("/models", summary="Model versions, deployments and approval rule of each dataset group")
def models(request: Request, _: Auth) -> dict[str, Any]:
    from forecasthub import registry
    from forecasthub.registry.versions import get_rule

    hub = hub_of(request)
    by_group: dict[str, list[dict[str, Any]]] = {}
    for v in registry.list_versions(hub)["ModelVersions"]:
        v.pop("Parameters", None)  # large and not shown
        by_group.setdefault(v["DatasetGroupArn"], []).append(v)
    with hub.db.session() as s:
        groups = s.execute(select(DatasetGroupRow.arn, DatasetGroupRow.name)
                           .where(DatasetGroupRow.arn.in_(list(by_group)))
                           .order_by(DatasetGroupRow.name).limit(LIST_CAP)).all()
    out = []
    for arn, name in groups:
        try:
            model: dict[str, Any] = registry.resolve_model(hub, name)
        except ForecastHubError as exc:
            model = {"Error": exc.message}
        out.append({"Name": name, "Arn": arn, "Versions": by_group[arn][:LIST_CAP],
                    "History": registry.history(hub, name)[-LIST_CAP:][::-1],  # newest first
                    "Rule": get_rule(hub, name), "Model": model})
    return {"Groups": out}


def _pages(hub: Hub, operation: str, request: dict[str, Any], member: str, cap: int
           ) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    for _page in range(cap // 100 + 1):
        answer = call_operation(hub, operation, {**request, "MaxResults": 100, "NextToken": token})
        items.extend(answer.get(member) or [])
        token = answer.get("NextToken")
        if not token or len(items) >= cap:
            break
    return items[:cap]


def _evaluation(e: dict[str, Any]) -> dict[str, Any]:
    return {"EvaluationTime": _epoch_of(e.get("EvaluationTime")),
            "WindowStart": _epoch_of(e.get("WindowStartDatetime")),
            "WindowEnd": _epoch_of(e.get("WindowEndDatetime")),
            "State": e.get("EvaluationState"), "NumItemsEvaluated": e.get("NumItemsEvaluated"),
            "Metrics": {m.get("MetricName"): _num(m.get("MetricValue"))
                        for m in e.get("MetricResults") or [] if m.get("MetricName")},
            "Message": e.get("Message"), "DataSource": e.get("MonitorDataSource") or {},
            "PredictorEvent": _times(e.get("PredictorEvent"))}


@router.get("/monitoring", summary="Predictor monitors; one monitor's evaluations and baseline")
def monitoring(request: Request, _: Auth,
               monitor: Annotated[str | None, Query(max_length=300)] = None) -> dict[str, Any]:
    from forecasthub.services.operations import OPERATIONS

    missing = [op for op in MONITOR_OPERATIONS if op not in OPERATIONS]
    if missing:
        return {"Available": False, "Missing": missing, "Monitors": []}
    hub = hub_of(request)
    monitors = _pages(hub, "ListMonitors", {}, "Monitors", LIST_CAP)
    with hub.db.session() as s:
        names = dict(s.execute(select(PredictorRow.arn, PredictorRow.name).where(
            PredictorRow.arn.in_([m.get("ResourceArn") for m in monitors]))).all())
    listed = [{"MonitorArn": m.get("MonitorArn"), "MonitorName": m.get("MonitorName"),
               "ResourceArn": m.get("ResourceArn"), "ResourceName": names.get(m.get("ResourceArn")),
               "Status": m.get("Status"), "Created": _epoch_of(m.get("CreationTime"))}
              for m in monitors]
    out: dict[str, Any] = {"Available": True, "Monitors": listed, "Selected": None}
    known = [m["MonitorArn"] for m in listed]
    arn = monitor if monitor in known else (known[0] if known else None)  # a deleted one: the first
    if not arn:
        return out
    described = call_operation(hub, "DescribeMonitor", {"MonitorArn": arn})
    baseline = ((described.get("Baseline") or {}).get("PredictorBaseline") or {}).get("BaselineMetrics")
    evaluations = [_evaluation(e) for e in _pages(hub, "ListMonitorEvaluations", {"MonitorArn": arn},
                                                  "PredictorMonitorEvaluations", EVALUATIONS_CAP)]
    evaluations.sort(key=lambda e: (e["WindowEnd"] or 0, e["EvaluationTime"] or 0))
    out.update(Selected=arn, Monitor={
        "MonitorArn": arn, "MonitorName": described.get("MonitorName"),
        "ResourceArn": described.get("ResourceArn"),
        "ResourceName": names.get(described.get("ResourceArn")), "Status": described.get("Status"),
        "Message": described.get("Message"),
        "LastEvaluationTime": _epoch_of(described.get("LastEvaluationTime")),
        "LastEvaluationState": described.get("LastEvaluationState")},
        Baseline={b.get("Name"): _num(b.get("Value")) for b in baseline or [] if b.get("Name")},
        Evaluations=evaluations)
    return out

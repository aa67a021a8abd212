"""The SQL catalog: DuckDB views over the Parquet files in the object store, plus small tables
built from the metadata store. Built fresh on an in-memory connection for every query, so it
always shows the current state; :func:`write_catalog_file` saves the same views to
``<home>/catalog.duckdb`` for the DuckDB CLI or a BI tool.

Tables (``SELECT * FROM catalog`` lists them):

``history``, ``history_<group>``
    each dataset group's target time series (its TTS dataset's current version); ``history``
    unions every group (by column name) with a ``dataset_group`` column.
``related_<group>``, ``item_metadata_<group>``
    the group's related time series / item metadata, when it has them.
``forecasts``
    every ACTIVE forecast: ``forecast_name``, ``forecast_arn``, ``predictor_name``,
    ``predictor_arn``, ``dataset_group``, ``forecast_created_at`` + the forecast's key columns,
    ``date``, ``p10``/``p50``/``p90``/``mean`` (unioned by name).
``accuracy``
    GetAccuracyMetrics flattened: one row per predictor x algorithm x test window (SUMMARY or
    COMPUTED) with ``average_wql``, ``wape``, ``rmse``, ``mase``, ``mape``, ``wql_p10`` ...
``backtests``, ``backtest_accuracy``
    each ACTIVE predictor's ``backtest_values.parquet`` / ``backtest_accuracy.parquet`` with the
    predictor's name, ARN and dataset group.
``model_versions``
    the model registry (status, metric, deployed flag).
``tuning_trials``
    every hyperparameter tuning trial (:mod:`forecasthub.tuning.results`).
``cold_start``
    one row per cold-start item (item metadata, no history) of each ACTIVE forecast, with the
    model that served it and its weights (JSON text), from the forecast's ``ColdStart`` record
    (:mod:`forecasthub.automl.coldstart`; it lists at most 100 items, ``items`` counts them all).
``monitor_evaluations``, ``monitor_item_accuracy``
    predictor monitoring: realised accuracy per evaluation / per series and evaluation
    (:mod:`forecasthub.monitoring.catalog`).

Views over local stores are ``read_parquet`` over the files themselves (schema inferred from
them); over ``s3://`` stores they scan pyarrow datasets through the store's filesystem.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from forecasthub.resources import Status
from forecasthub.storage.layout import BACKTEST_ACCURACY, BACKTEST_VALUES, DATA_FILE, FORECAST_FILE

log = logging.getLogger(__name__)

SHORT = {"TARGET_TIME_SERIES": "history", "RELATED_TIME_SERIES": "related",
         "ITEM_METADATA": "item_metadata"}

EMPTY = {  # the columns of a table with no source yet, so queries still bind
    "history": "dataset_group VARCHAR, item_id VARCHAR, timestamp TIMESTAMP, target DOUBLE",
    "forecasts": ("forecast_name VARCHAR, forecast_arn VARCHAR, predictor_name VARCHAR, "
                  "predictor_arn VARCHAR, dataset_group VARCHAR, forecast_created_at TIMESTAMPTZ, "
                  "item_id VARCHAR, date TIMESTAMP, p10 DOUBLE, p50 DOUBLE, p90 DOUBLE, mean DOUBLE"),
    "backtests": ("predictor_name VARCHAR, predictor_arn VARCHAR, dataset_group VARCHAR, "
                  "item_id VARCHAR, timestamp TIMESTAMP, target_value DOUBLE, "
                  "backtestwindow_start_time TIMESTAMP, backtestwindow_end_time TIMESTAMP, "
                  "mean DOUBLE, p10 DOUBLE, p50 DOUBLE, p90 DOUBLE"),
    "backtest_accuracy": ("predictor_name VARCHAR, predictor_arn VARCHAR, dataset_group VARCHAR, "
                          "item_id VARCHAR, backtest_window VARCHAR"),
}
ACCURACY_COLUMNS = {
    "dataset_group": "VARCHAR", "predictor_name": "VARCHAR", "predictor_arn": "VARCHAR",
    "optimization_metric": "VARCHAR", "algorithm": "VARCHAR", "algorithm_arn": "VARCHAR",
    "is_predictor": "BOOLEAN", "evaluation_type": "VARCHAR", "window_start": "TIMESTAMPTZ",
    "window_end": "TIMESTAMPTZ", "item_count": "BIGINT", "average_wql": "DOUBLE", "wape": "DOUBLE",
    "rmse": "DOUBLE", "mase": "DOUBLE", "mape": "DOUBLE",
}


def lit(value: Any) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Catalog:
    """What :func:`build_catalog` defined: tables with descriptions, and the files they read."""

    tables: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    _n: int = 0

    def source(self, hub: Any, con: Any, key: str) -> str:
        """A FROM-clause for one Parquet object of the store."""
        if hub.store.is_local:
            path = hub.store.path(key)
            self.files.append(path)
            return f"read_parquet({lit(path)})"
        import pyarrow.dataset as ds

        self._n += 1
        alias = f"__src_{self._n}"
        con.register(alias, ds.dataset(hub.store.path(key), filesystem=hub.store.fs, format="parquet"))
        return ident(alias)


def _union(parts: list[str]) -> str:
    return "\nUNION ALL BY NAME\n".join(parts)


def _readable(con: Any, part: str) -> bool:
    import duckdb

    try:
        con.execute(f"DESCRIBE {part}")
        return True
    except duckdb.Error as exc:  # a damaged or unreadable file: left out, not fatal
        log.warning("SQL catalog: leaving out %s: %s", part[:300], exc)
        return False


def _view(con: Any, catalog: Catalog, name: str, parts: list[str], description: str) -> None:
    import duckdb

    if parts:
        try:
            con.execute(f"CREATE VIEW {ident(name)} AS {_union(parts)}")
        except duckdb.Error:
            parts = [p for p in parts if _readable(con, p)]
            if parts:
                con.execute(f"CREATE VIEW {ident(name)} AS {_union(parts)}")
    if not parts:
        con.execute(f"CREATE TABLE {ident(name)} ({EMPTY[name]})")
    catalog.tables[name] = description


def _ts(value: Any) -> str:
    if value is None:
        return "NULL"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"TIMESTAMPTZ {lit(value.isoformat())}"


def _committed(hub: Any, key: str | None) -> bool:
    if not key:
        return False
    try:
        return hub.store.is_committed(key)
    except Exception:  # noqa: BLE001 - an unreadable version is left out of the catalog
        return False


def build_catalog(hub: Any, con: Any) -> Catalog:
    """Define every table of the catalog on ``con`` (a fresh DuckDB connection)."""
    from forecasthub.store.orm import DatasetGroupRow, DatasetRow, ForecastRow, PredictorRow

    catalog = Catalog()
    with hub.db.session() as s:
        groups = [(g.arn, g.name, list(g.dataset_arns or [])) for g in
                  s.scalars(select(DatasetGroupRow).order_by(DatasetGroupRow.name)).all()]
        datasets = {d.arn: (d.dataset_type, d.current_version) for d in s.scalars(select(DatasetRow)).all()}
        predictors = [(p.arn, p.name, p.dataset_group_arn, p.artifact_key, dict(p.accuracy or {}),
                       (p.config or {}).get("optimization_metric"), p.created_at)
                      for p in s.scalars(select(PredictorRow).where(PredictorRow.status == Status.ACTIVE)
                                         .order_by(PredictorRow.created_at)).all()]
        forecast_rows = s.scalars(select(ForecastRow).where(ForecastRow.status == Status.ACTIVE)
                                  .order_by(ForecastRow.created_at)).all()
        forecasts = [(f.arn, f.name, f.predictor_arn, f.dataset_group_arn, f.artifact_key, f.created_at)
                     for f in forecast_rows]
        cold_records = {f.arn: (f.summary or {}).get("ColdStart") for f in forecast_rows}
    group_names = {arn: name for arn, name, _ in groups}
    predictor_names = {p[0]: p[1] for p in predictors}

    history = []
    for _arn, group, dataset_arns in groups:
        for dataset_arn in dataset_arns:
            dataset_type, version = datasets.get(dataset_arn, (None, None))
            if dataset_type not in SHORT or not _committed(hub, version):
                continue
            src = catalog.source(hub, con, f"{version}/{DATA_FILE}")
            name = f"{SHORT[dataset_type]}_{group.lower()}"
            if not _readable(con, f"SELECT * FROM {src}"):
                continue
            con.execute(f"CREATE VIEW {ident(name)} AS SELECT * FROM {src}")
            catalog.tables[name] = f"{dataset_type} of dataset group {group} (current version)"
            if dataset_type == "TARGET_TIME_SERIES":
                history.append(f"SELECT {lit(group)} AS dataset_group, * FROM {src}")
    _view(con, catalog, "history", history, "every dataset group's target time series")

    parts = []
    for arn, name, predictor_arn, group_arn, key, created in forecasts:
        if not _committed(hub, key):
            continue
        src = catalog.source(hub, con, f"{key}/{FORECAST_FILE}")
        parts.append(
            f"SELECT {lit(name)} AS forecast_name, {lit(arn)} AS forecast_arn, "
            f"{lit(predictor_names.get(predictor_arn, predictor_arn.rsplit('/', 1)[-1]))} AS predictor_name, "
            f"{lit(predictor_arn)} AS predictor_arn, {lit(group_names.get(group_arn, ''))} AS dataset_group, "
            f"{_ts(created)} AS forecast_created_at, * FROM {src}")
    _view(con, catalog, "forecasts", parts, "every ACTIVE forecast (key columns, date, quantiles, mean)")

    for table, filename, what in (("backtests", BACKTEST_VALUES, "backtest forecasts vs actuals"),
                                  ("backtest_accuracy", BACKTEST_ACCURACY, "backtest accuracy per item")):
        parts = []
        for arn, name, group_arn, key, *_ in predictors:
            if not _committed(hub, key) or not hub.store.exists(f"{key}/{filename}"):
                continue
            src = catalog.source(hub, con, f"{key}/{filename}")
            parts.append(f"SELECT {lit(name)} AS predictor_name, {lit(arn)} AS predictor_arn, "
                         f"{lit(group_names.get(group_arn, ''))} AS dataset_group, * FROM {src}")
        _view(con, catalog, table, parts, f"every ACTIVE predictor's {what}")

    _table(con, "accuracy", accuracy_rows(predictors, group_names), ACCURACY_COLUMNS)
    catalog.tables["accuracy"] = ("GetAccuracyMetrics flattened: predictor x algorithm x window "
                                  "(SUMMARY/COMPUTED)")
    _model_versions(hub, con, catalog, group_names)
    _tuning_trials(hub, con, catalog)
    _cold_start(con, catalog, forecasts, cold_records, predictor_names, group_names)
    from forecasthub.monitoring.catalog import add_monitor_tables

    add_monitor_tables(hub, con, catalog, group_names)
    _table(con, "catalog", [{"table_name": k, "description": v} for k, v in catalog.tables.items()]
           + [{"table_name": "catalog", "description": "this list"}],
           {"table_name": "VARCHAR", "description": "VARCHAR"})
    catalog.tables["catalog"] = "this list"
    return catalog


def _table(con: Any, name: str, rows: list[dict[str, Any]], columns: dict[str, str]) -> None:
    """A small table from Python rows (extra keys in rows become DOUBLE columns)."""
    extra = sorted({k for r in rows for k in r} - set(columns), key=_natural)
    columns = {**columns, **{k: "DOUBLE" for k in extra}}
    con.execute(f"CREATE TABLE {ident(name)} ({', '.join(f'{ident(c)} {t}' for c, t in columns.items())})")
    if rows:
        names = list(columns)
        con.executemany(f"INSERT INTO {ident(name)} VALUES ({', '.join('?' for _ in names)})",
                        [[r.get(c) for c in names] for r in rows])


def _natural(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _when(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value)
    return None


def accuracy_rows(predictors: list[tuple[Any, ...]], group_names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per predictor x algorithm x test window from stored GetAccuracyMetrics results."""
    from forecasthub.columns import quantile_column

    rows = []
    for arn, name, group_arn, _key, accuracy, metric, _created in predictors:
        for n, result in enumerate(accuracy.get("PredictorEvaluationResults") or []):
            algorithm_arn = result.get("AlgorithmArn") or ""
            for window in result.get("TestWindows") or []:
                m = window.get("Metrics") or {}
                errors = next((e for e in m.get("ErrorMetrics") or [] if e.get("ForecastType") == "mean"),
                              (m.get("ErrorMetrics") or [{}])[0])
                row = {"dataset_group": group_names.get(group_arn, ""), "predictor_name": name,
                       "predictor_arn": arn, "optimization_metric": metric,
                       "algorithm": algorithm_arn.rsplit("/", 1)[-1], "algorithm_arn": algorithm_arn,
                       "is_predictor": n == 0, "evaluation_type": window.get("EvaluationType"),
                       "window_start": _when(window.get("TestWindowStart")),
                       "window_end": _when(window.get("TestWindowEnd")),
                       "item_count": window.get("ItemCount"),
                       "average_wql": m.get("AverageWeightedQuantileLoss"),
                       "wape": errors.get("WAPE"), "rmse": errors.get("RMSE", m.get("RMSE")),
                       "mase": errors.get("MASE"), "mape": errors.get("MAPE")}
                for loss in m.get("WeightedQuantileLosses") or []:
                    if loss.get("Quantile") is not None:
                        row[f"wql_{quantile_column(float(loss['Quantile']))}"] = loss.get("LossValue")
                rows.append(row)
    return rows


def _model_versions(hub: Any, con: Any, catalog: Catalog, group_names: dict[str, str]) -> None:
    columns = {"dataset_group": "VARCHAR", "version": "INTEGER", "predictor_name": "VARCHAR",
               "predictor_arn": "VARCHAR", "status": "VARCHAR", "metric_name": "VARCHAR",
               "metric_value": "DOUBLE", "deployed": "BOOLEAN", "created_at": "TIMESTAMPTZ"}
    rows: list[dict[str, Any]] = []
    try:
        from forecasthub.store.orm import ModelVersionRow
    except ImportError:
        ModelVersionRow = None
    if ModelVersionRow is not None:
        with hub.db.session() as s:
            for r in s.scalars(select(ModelVersionRow).order_by(ModelVersionRow.created_at)).all():
                rows.append({"dataset_group": group_names.get(r.dataset_group_arn, ""), "version": r.version,
                             "predictor_name": r.predictor_name, "predictor_arn": r.predictor_arn,
                             "status": r.status, "metric_name": r.metric_name,
                             "metric_value": r.metric_value, "deployed": r.deployed,
                             "created_at": r.created_at})
    _table(con, "model_versions", rows, columns)
    catalog.tables["model_versions"] = "the model registry: versions, approval status, deployed"


def _tuning_trials(hub: Any, con: Any, catalog: Catalog) -> None:
    from forecasthub.tuning.results import COLUMNS, trial_rows

    _table(con, "tuning_trials", trial_rows(hub), COLUMNS)
    catalog.tables["tuning_trials"] = ("hyperparameter tuning trials: parameters (JSON), objective "
                                       "and metrics on the validation window, times, best flag")


def _cold_start(con: Any, catalog: Catalog, forecasts: list[tuple[Any, ...]],
                records: dict[str, Any], predictor_names: dict[str, str],
                group_names: dict[str, str]) -> None:
    columns = {"forecast_name": "VARCHAR", "forecast_arn": "VARCHAR", "predictor_name": "VARCHAR",
               "predictor_arn": "VARCHAR", "dataset_group": "VARCHAR", "item_id": "VARCHAR",
               "model": "VARCHAR", "weights": "VARCHAR", "items": "BIGINT", "reason": "VARCHAR"}
    rows = []
    for arn, name, predictor_arn, group_arn, _key, _created in forecasts:
        record = records.get(arn)
        if not isinstance(record, dict):
            continue
        common = {"forecast_name": name, "forecast_arn": arn,
                  "predictor_name": predictor_names.get(predictor_arn, predictor_arn.rsplit("/", 1)[-1]),
                  "predictor_arn": predictor_arn, "dataset_group": group_names.get(group_arn, ""),
                  "model": record.get("Model"), "weights": json.dumps(record.get("Weights") or {}),
                  "items": record.get("Items"), "reason": record.get("Reason")}
        rows += [{**common, "item_id": str(item)} for item in record.get("ItemIds") or []]
    _table(con, "cold_start", rows, columns)
    catalog.tables["cold_start"] = ("cold-start items (metadata, no history) of each ACTIVE "
                                    "forecast: the model that served them, weights (JSON)")


def describe_catalog(hub: Any) -> dict[str, str]:
    """Table name -> description, as the catalog would be built now."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        return dict(build_catalog(hub, con).tables)
    finally:
        con.close()


def write_catalog_file(hub: Any) -> Path:
    """Save the catalog's views (local stores) to ``<home>/catalog.duckdb``, replaced atomically,
    for the DuckDB CLI and BI tools. Views keep reading the Parquet files; tables built from the
    metadata store are a snapshot."""
    import duckdb

    target = Path(hub.settings.home) / "catalog.duckdb"
    staging = target.with_suffix(".duckdb.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)  # a fresh home has no folder yet
    staging.unlink(missing_ok=True)
    con = duckdb.connect(str(staging))
    try:
        build_catalog(hub, con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    staging.replace(target)
    return target

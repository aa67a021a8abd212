"""The monitoring tables of the SQL catalog (:mod:`forecasthub.sql.catalog` calls
:func:`add_monitor_tables`).

``monitor_evaluations``
    one row per evaluation (wide): ``evaluation_id``, ``dataset_group``, ``monitor_name``,
    ``monitor_arn``, ``monitored_predictor_arn``, ``predictor_name`` / ``predictor_arn`` (the
    forecast's predictor), ``forecast_name``, ``forecast_arn``, ``dataset_import_job_arn``,
    ``evaluation_time``, ``evaluation_state`` (SUCCESS/FAILURE), ``window_start``, ``window_end``
    (forecast dates, inclusive), ``num_items``, ``num_points``, ``average_wql``, ``wape``, ``rmse``,
    ``mase``, ``mape``, ``wql_p10`` ..., ``predictor_event``, ``message``.
``monitor_item_accuracy``
    per series per SUCCESS evaluation: ``evaluation_id``, ``dataset_group``, ``monitor_name``,
    ``monitor_arn``, ``predictor_arn``, ``forecast_arn``, ``evaluation_time``, ``window_start``,
    ``window_end`` + the series' key columns (``item_id`` [+ dimensions]) + ``average_wql``,
    ``wape``, ``rmse``, ``mase``, ``mape``, ``wql_p10`` ..., ``points`` (read from the Parquet
    files in the object store).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import select

from forecasthub.columns import quantile_column
from forecasthub.metrics import MAPE, MASE, RMSE, WAPE, WQL

EVALUATION_COLUMNS = {
    "evaluation_id": "VARCHAR", "dataset_group": "VARCHAR", "monitor_name": "VARCHAR",
    "monitor_arn": "VARCHAR", "monitored_predictor_arn": "VARCHAR", "predictor_name": "VARCHAR",
    "predictor_arn": "VARCHAR", "forecast_name": "VARCHAR", "forecast_arn": "VARCHAR",
    "dataset_import_job_arn": "VARCHAR", "evaluation_time": "TIMESTAMPTZ", "evaluation_state": "VARCHAR",
    "window_start": "TIMESTAMP", "window_end": "TIMESTAMP", "num_items": "BIGINT", "num_points": "BIGINT",
    "average_wql": "DOUBLE", "wape": "DOUBLE", "rmse": "DOUBLE", "mase": "DOUBLE", "mape": "DOUBLE",
    "predictor_event": "VARCHAR", "message": "VARCHAR",
}
ITEM_EMPTY = ("evaluation_id VARCHAR, dataset_group VARCHAR, monitor_name VARCHAR, monitor_arn VARCHAR, "
              "predictor_arn VARCHAR, forecast_arn VARCHAR, evaluation_time TIMESTAMPTZ, "
              "window_start TIMESTAMP, window_end TIMESTAMP, item_id VARCHAR, average_wql DOUBLE, "
              "wape DOUBLE, rmse DOUBLE, mase DOUBLE, mape DOUBLE, points BIGINT")
SNAKE = {WQL: "average_wql", WAPE: "wape", RMSE: "rmse", MASE: "mase", MAPE: "mape"}


def _naive(value: Any) -> Any:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _aware(value: Any) -> Any:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def evaluation_rows(hub: Any, group_names: dict[str, str]) -> list[dict[str, Any]]:
    """``monitor_evaluations`` rows from the metadata store, oldest first."""
    from forecasthub.store.orm import ForecastRow, MonitorEvaluationRow, MonitorRow, PredictorRow

    with hub.db.session() as s:
        monitors = {m.arn: m.name for m in s.scalars(select(MonitorRow)).all()}
        predictors = {p.arn: p.name for p in s.scalars(select(PredictorRow)).all()}
        forecasts = {f.arn: f.name for f in s.scalars(select(ForecastRow)).all()}
        rows = []
        for e in s.scalars(select(MonitorEvaluationRow).order_by(MonitorEvaluationRow.evaluated_at)).all():
            row = {"evaluation_id": e.id, "dataset_group": group_names.get(e.dataset_group_arn, ""),
                   "monitor_name": monitors.get(e.monitor_arn, e.monitor_arn.rsplit("/", 1)[-1]),
                   "monitor_arn": e.monitor_arn, "monitored_predictor_arn": e.resource_arn,
                   "predictor_name": predictors.get(e.predictor_arn, e.predictor_arn.rsplit("/", 1)[-1]),
                   "predictor_arn": e.predictor_arn,
                   "forecast_name": forecasts.get(e.forecast_arn, e.forecast_arn.rsplit("/", 1)[-1]),
                   "forecast_arn": e.forecast_arn, "dataset_import_job_arn": e.dataset_import_job_arn,
                   "evaluation_time": _aware(e.evaluated_at), "evaluation_state": e.state,
                   "window_start": _naive(e.window_start), "window_end": _naive(e.window_end),
                   "num_items": e.num_items, "num_points": e.num_points,
                   "predictor_event": (e.predictor_event or {}).get("Detail"), "message": e.message}
            for name, value in (e.metrics or {}).items():
                if name in SNAKE:
                    row[SNAKE[name]] = value
                elif name.startswith("wQL[") and name.endswith("]"):
                    row[f"wql_{quantile_column(float(name[4:-1]))}"] = value
            rows.append(row)
    return rows


def add_monitor_tables(hub: Any, con: Any, catalog: Any, group_names: dict[str, str]) -> None:
    """Define ``monitor_evaluations`` and ``monitor_item_accuracy`` on ``con``."""
    from forecasthub.monitoring.evaluate import ITEM_ACCURACY_FILE
    from forecasthub.sql.catalog import _committed, _readable, _table, _ts, _union, ident, lit

    rows = evaluation_rows(hub, group_names)
    _table(con, "monitor_evaluations", rows, EVALUATION_COLUMNS)
    catalog.tables["monitor_evaluations"] = ("predictor monitor evaluations: realised accuracy of "
                                             "earlier forecasts, one row per evaluation")
    item_keys = _item_keys(hub)
    parts = []
    for row in rows:
        key = item_keys.get(row["evaluation_id"])
        if row["evaluation_state"] != "SUCCESS" or not _committed(hub, key):
            continue
        src = catalog.source(hub, con, f"{key}/{ITEM_ACCURACY_FILE}")
        start, end = row["window_start"], row["window_end"]
        part = (f"SELECT {lit(row['evaluation_id'])} AS evaluation_id, {lit(row['dataset_group'])} AS dataset_group, "
                f"{lit(row['monitor_name'])} AS monitor_name, {lit(row['monitor_arn'])} AS monitor_arn, "
                f"{lit(row['predictor_arn'])} AS predictor_arn, {lit(row['forecast_arn'])} AS forecast_arn, "
                f"{_ts(row['evaluation_time'])} AS evaluation_time, "
                f"{'NULL' if start is None else 'TIMESTAMP ' + lit(start.isoformat())} AS window_start, "
                f"{'NULL' if end is None else 'TIMESTAMP ' + lit(end.isoformat())} AS window_end, "
                f"* FROM {src}")
        if _readable(con, part):
            parts.append(part)
    if parts:
        con.execute(f"CREATE VIEW {ident('monitor_item_accuracy')} AS {_union(parts)}")
    else:
        con.execute(f"CREATE TABLE {ident('monitor_item_accuracy')} ({ITEM_EMPTY})")
    catalog.tables["monitor_item_accuracy"] = "realised accuracy per series per monitor evaluation"


def _item_keys(hub: Any) -> dict[str, str]:
    from forecasthub.store.orm import MonitorEvaluationRow

    with hub.db.session() as s:
        return {i: k for i, k in s.execute(select(MonitorEvaluationRow.id, MonitorEvaluationRow.item_key))
                if k}

"""The hand-computable case shared by the monitoring tests: two daily series, a 4-day forecast
(Jan 10-13) with known p10/p50/p90/mean, actuals for Jan 10-12, and every metric worked out by
hand below (not with the functions under test)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

HISTORY = {  # Jan 1..9
    "a": [10, 12, 11, 13, 12, 14, 13, 16, 13],
    "b": [20, 20, 22, 21, 19, 20, 21, 24, 18],
}
ACTUALS = {"a": [12, 15, 10], "b": [20, 25, 20]}  # Jan 10, 11, 12
LATE = {"a": 11, "b": 23}  # Jan 13, imported later
FORECAST = {  # Jan 10..13: (p10, p50, p90, mean)
    "a": [(10, 12, 16, 13), (11, 14, 17, 13), (9, 12, 15, 13), (9, 12, 15, 13)],
    "b": [(18, 21, 24, 21), (19, 22, 25, 21), (17, 20, 23, 21), (17, 20, 23, 21)],
}
SCHEMA = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                         {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"}]}


def day(n: int) -> date:
    """Jan n, 2024."""
    return date(2024, 1, 1) + timedelta(days=n - 1)


# -- expected values, by hand ---------------------------------------------------------------------
# MASE scale (season length 7 for daily data, history Jan 1-9 before the window):
#   a: (|16 - 10| + |13 - 12|) / 2 = 3.5        b: (|24 - 20| + |18 - 20|) / 2 = 3
# errors y - mean:    a: 12-13=-1, 15-13=2, 10-13=-3     b: 20-21=-1, 25-21=4, 20-21=-1
# y - p50:            a: 0, 1, -2                        b: -1, 3, 0
# y - p10:            a: 2, 4, 1                         b: 2, 6, 3
# y - p90:            a: -4, -2, -5                      b: -4, 0, -3
# pinball_tau(d) = max(tau*d, (tau-1)*d):
#   p10: a 0.2+0.4+0.1 = 0.7       b 0.2+0.6+0.3 = 1.1
#   p50: a 0+0.5+1 = 1.5           b 0.5+1.5+0 = 2
#   p90: a 0.4+0.2+0.5 = 1.1       b 0.4+0+0.3 = 0.7
SUM_Y = {"a": 12 + 15 + 10, "b": 20 + 25 + 20}  # 37, 65
EXPECTED_SERIES = {
    "a": {"WAPE": (1 + 2 + 3) / 37, "RMSE": math.sqrt((1 + 4 + 9) / 3),
          "MAPE": (1 / 12 + 2 / 15 + 3 / 10) / 3, "MASE": ((1 + 2 + 3) / 3) / 3.5,
          "wQL[0.1]": 2 * 0.7 / 37, "wQL[0.5]": 2 * 1.5 / 37, "wQL[0.9]": 2 * 1.1 / 37,
          "AverageWeightedQuantileLoss": (2 * 0.7 / 37 + 2 * 1.5 / 37 + 2 * 1.1 / 37) / 3},
    "b": {"WAPE": (1 + 4 + 1) / 65, "RMSE": math.sqrt((1 + 16 + 1) / 3),
          "MAPE": (1 / 20 + 4 / 25 + 1 / 20) / 3, "MASE": ((1 + 4 + 1) / 3) / 3,
          "wQL[0.1]": 2 * 1.1 / 65, "wQL[0.5]": 2 * 2 / 65, "wQL[0.9]": 2 * 0.7 / 65,
          "AverageWeightedQuantileLoss": (2 * 1.1 / 65 + 2 * 2 / 65 + 2 * 0.7 / 65) / 3},
}
EXPECTED_OVERALL = {
    "WAPE": (6 + 6) / 102, "RMSE": math.sqrt((14 + 18) / 6),
    "MAPE": (1 / 12 + 2 / 15 + 3 / 10 + 1 / 20 + 4 / 25 + 1 / 20) / 6,
    "MASE": (2 / 3.5 + 2 / 3) / 2,  # mean over series, as GetAccuracyMetrics
    "wQL[0.1]": 2 * (0.7 + 1.1) / 102, "wQL[0.5]": 2 * (1.5 + 2) / 102, "wQL[0.9]": 2 * (1.1 + 0.7) / 102,
    "AverageWeightedQuantileLoss": (3.6 / 102 + 7 / 102 + 3.6 / 102) / 3,
}


# -- frames and files -------------------------------------------------------------------------------
def forecast_frame() -> pd.DataFrame:
    rows = [{"item_id": item, "date": pd.Timestamp(day(10 + i)), "p10": v[0], "p50": v[1], "p90": v[2],
             "mean": v[3]} for item, values in FORECAST.items() for i, v in enumerate(values)]
    return pd.DataFrame(rows)


def actuals_frame(with_late: bool = False) -> pd.DataFrame:
    rows = [(item, pd.Timestamp(day(1 + i)), float(v)) for item, vs in HISTORY.items() for i, v in enumerate(vs)]
    rows += [(item, pd.Timestamp(day(10 + i)), float(v)) for item, vs in ACTUALS.items() for i, v in enumerate(vs)]
    if with_late:
        rows += [(item, pd.Timestamp(day(13)), float(v)) for item, v in LATE.items()]
    return pd.DataFrame(rows, columns=["item_id", "timestamp", "target"])


def write_csv(path: Path, values: dict[str, list[float]], first_day: int) -> Path:
    lines = [f"{item},{day(first_day + i).isoformat()},{v}" for item, vs in values.items()
             for i, v in enumerate(vs)]
    path.write_text("\n".join(lines) + "\n")
    return path


def import_csv(fh: Any, dataset: str, path: Path, name: str, mode: str = "INCREMENTAL") -> str:
    job = fh.create_dataset_import_job(DatasetImportJobName=name, DatasetArn=dataset, TimestampFormat="yyyy-MM-dd",
                                       ImportMode=mode, DataSource={"S3Config": {"Path": str(path)}},
                                       wait=True)["DatasetImportJobArn"]
    desc = fh.describe_dataset_import_job(DatasetImportJobArn=job)
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    return job


def make_group(fh: Any, folder: Path, name: str = "g") -> tuple[str, str]:
    """Dataset group ``name`` with a daily TTS holding the history (Jan 1-9)."""
    folder.mkdir(parents=True, exist_ok=True)
    group = fh.create_dataset_group(DatasetGroupName=name, Domain="CUSTOM")["DatasetGroupArn"]
    dataset = fh.create_dataset(DatasetName=f"{name}_tts", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                                DataFrequency="D", Schema=SCHEMA)["DatasetArn"]
    import_csv(fh, dataset, write_csv(folder / "history.csv", HISTORY, 1), "history", "FULL")
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[dataset])
    return group, dataset


def add_predictor(hub: Any, group: str, name: str, baseline: dict[str, float] | None = None) -> str:
    """An ACTIVE predictor row (no model) whose backtest SUMMARY metrics are ``baseline``."""
    from forecasthub.forecasting.config import PredictorConfig
    from forecasthub.store.orm import PredictorRow

    baseline = baseline or {"WAPE": 0.1, "RMSE": 2.0, "MASE": 0.5, "MAPE": 0.1, "AverageWeightedQuantileLoss": 0.05}
    accuracy = {"PredictorEvaluationResults": [{"AlgorithmArn": "arn:aws:forecast:::algorithm/NPTS", "TestWindows": [
        {"EvaluationType": "SUMMARY", "Metrics": {
            "RMSE": baseline["RMSE"], "AverageWeightedQuantileLoss": baseline["AverageWeightedQuantileLoss"],
            "WeightedQuantileLosses": [{"Quantile": 0.5, "LossValue": baseline["AverageWeightedQuantileLoss"]}],
            "ErrorMetrics": [{"ForecastType": "mean", "WAPE": baseline["WAPE"], "RMSE": baseline["RMSE"],
                              "MASE": baseline["MASE"], "MAPE": baseline["MAPE"]}]}}]}]}
    config = PredictorConfig(dataset_group_arn=group, horizon=4, frequency="D",
                             forecast_types=["0.1", "0.5", "0.9", "mean"]).to_json()
    arn = hub.arn("predictor", name)
    with hub.db.session() as s:
        s.add(PredictorRow(arn=arn, name=name, status="ACTIVE", dataset_group_arn=group, is_auto=True,
                           config=config, request={}, accuracy=accuracy, summary={}, tags={}))
    return arn


def set_baseline(hub: Any, predictor: str, wape: float) -> None:
    import copy

    from forecasthub.store.orm import PredictorRow

    with hub.db.session() as s:
        row = s.get(PredictorRow, predictor)
        accuracy = copy.deepcopy(row.accuracy)  # a new object: SQLAlchemy sees the change
        accuracy["PredictorEvaluationResults"][0]["TestWindows"][0]["Metrics"]["ErrorMetrics"][0]["WAPE"] = wape
        row.accuracy = accuracy


def add_forecast(hub: Any, predictor: str, group: str, name: str, frame: pd.DataFrame | None = None) -> str:
    """An ACTIVE forecast row with its forecast.parquet in the store (default: FORECAST)."""
    import uuid

    import polars as pl

    from forecasthub.storage.layout import FORECAST_FILE
    from forecasthub.store.orm import ForecastRow

    frame = forecast_frame() if frame is None else frame
    key = f"forecasts/{name}/{uuid.uuid4().hex[:12]}"
    with hub.store.version(key) as staging:
        pl.from_pandas(frame).write_parquet(staging / FORECAST_FILE)
    arn = hub.arn("forecast", name)
    with hub.db.session() as s:
        s.add(ForecastRow(arn=arn, name=name, status="ACTIVE", predictor_arn=predictor, dataset_group_arn=group,
                          forecast_types=["0.1", "0.5", "0.9", "mean"], artifact_key=key,
                          summary={"key_columns": ["item_id"]}, tags={}))
    return arn

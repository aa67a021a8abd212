"""The Getting Started notebook's flow, end to end through boto3 against a real server.

Mirrors notebooks/basic/Getting_Started (AMAZON_FORECAST.md 2.1) on the electricity sample:
dataset, import, dataset group, auto predictor (24 h), accuracy metrics, forecast, query,
export, then the notebooks' cleanup: delete in reverse order, each until
ResourceNotFoundException (fcst_utils.wait_till_delete).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import running_server
from tests.conftest import SAMPLES

ELECTRICITY = SAMPLES / "electricity" / "item-demand-time.csv"
ROLE = "arn:aws:iam::000000000000:role/ForecastNotebookRole-Basic"
SCHEMA = {"Attributes": [{"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"},
                         {"AttributeName": "item_id", "AttributeType": "string"}]}


def wait(describe: Any, timeout: float, every: float = 0.5) -> dict[str, Any]:
    """fcst_utils.wait: poll until ACTIVE or CREATE_FAILED."""
    deadline = time.monotonic() + timeout
    while True:
        result = describe()
        if result["Status"] in ("ACTIVE", "CREATE_FAILED"):
            return result
        assert time.monotonic() < deadline, f"still {result['Status']} after {timeout} s"
        time.sleep(every)


def wait_till_delete(delete: Any, client: Any, timeout: float = 60) -> None:
    """fcst_utils.wait_till_delete: call Delete until ResourceNotFoundException."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            delete()
        except client.exceptions.ResourceNotFoundException:
            return
        assert time.monotonic() < deadline, "never reached ResourceNotFoundException"
        time.sleep(0.5)


def test_getting_started_notebook_flow(tmp_path: Path) -> None:
    if not ELECTRICITY.exists():
        pytest.skip(f"{ELECTRICITY} not found")
    with running_server(tmp_path, workers=1) as srv:
        forecast = srv.client("forecast")
        forecastquery = srv.client("forecastquery")
        assert forecast.list_predictors()  # the notebook's first cell

        ds = forecast.create_dataset(Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                                     DatasetName="elec_ts", DataFrequency="H",
                                     Schema=SCHEMA)["DatasetArn"]
        assert forecast.describe_dataset(DatasetArn=ds)["Status"] == "ACTIVE"
        imp = forecast.create_dataset_import_job(
            DatasetImportJobName="ELEC_TTS_IMPORT", DatasetArn=ds,
            DataSource={"S3Config": {"Path": str(ELECTRICITY), "RoleArn": ROLE}},
            TimestampFormat="yyyy-MM-dd hh:mm:ss",
        )["DatasetImportJobArn"]
        result = wait(lambda: forecast.describe_dataset_import_job(DatasetImportJobArn=imp), 120)
        assert result["Status"] == "ACTIVE", result.get("Message")

        group = forecast.create_dataset_group(Domain="CUSTOM", DatasetGroupName="ELEC_DEMO",
                                              DatasetArns=[ds])["DatasetGroupArn"]
        assert forecast.describe_dataset_group(DatasetGroupArn=group)["Status"] == "ACTIVE"

        predictor = forecast.create_auto_predictor(
            PredictorName="ELEC_PREDICTOR", ForecastHorizon=24, ForecastFrequency="H",
            DataConfig={"DatasetGroupArn": group},
        )["PredictorArn"]
        result = wait(lambda: forecast.describe_auto_predictor(PredictorArn=predictor), 900, 2)
        assert result["Status"] == "ACTIVE", result.get("Message")

        metrics = forecast.get_accuracy_metrics(PredictorArn=predictor)
        window = metrics["PredictorEvaluationResults"][0]["TestWindows"][0]["Metrics"]
        assert window["WeightedQuantileLosses"]
        assert {"RMSE", "WAPE"} <= set(window["ErrorMetrics"][0])

        fc = forecast.create_forecast(ForecastName="ELEC_FORECAST",
                                      PredictorArn=predictor)["ForecastArn"]
        result = wait(lambda: forecast.describe_forecast(ForecastArn=fc), 300, 1)
        assert result["Status"] == "ACTIVE", result.get("Message")

        answer = forecastquery.query_forecast(ForecastArn=fc, Filters={"item_id": "client_12"})
        predictions = answer["Forecast"]["Predictions"]
        assert set(predictions) >= {"p10", "p50", "p90"}
        assert len(predictions["p50"]) == 24
        assert predictions["p50"][0]["Timestamp"] == "2014-11-30T00:00:00"
        assert all(lo["Value"] <= hi["Value"] + 1e-9
                   for lo, hi in zip(predictions["p10"], predictions["p90"], strict=True))

        out = tmp_path / "export"
        export = forecast.create_forecast_export_job(
            ForecastExportJobName="ELEC_EXPORT", ForecastArn=fc,
            Destination={"S3Config": {"Path": str(out), "RoleArn": ROLE}},
        )["ForecastExportJobArn"]
        result = wait(lambda: forecast.describe_forecast_export_job(ForecastExportJobArn=export), 120)
        assert result["Status"] == "ACTIVE", result.get("Message")
        assert any(p.suffix == ".csv" for p in out.rglob("*"))

        # cleanup as the notebooks do it: children first, each delete until it is gone
        wait_till_delete(lambda: forecast.delete_forecast_export_job(ForecastExportJobArn=export), forecast)
        wait_till_delete(lambda: forecast.delete_forecast(ForecastArn=fc), forecast)
        wait_till_delete(lambda: forecast.delete_predictor(PredictorArn=predictor), forecast)
        wait_till_delete(lambda: forecast.delete_dataset_import_job(DatasetImportJobArn=imp), forecast)
        wait_till_delete(lambda: forecast.delete_dataset(DatasetArn=ds), forecast)
        wait_till_delete(lambda: forecast.delete_dataset_group(DatasetGroupArn=group), forecast)
        assert forecast.list_dataset_groups()["DatasetGroups"] == []
        assert forecast.list_predictors()["Predictors"] == []

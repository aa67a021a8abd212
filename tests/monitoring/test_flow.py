"""End to end through the Python client: an auto predictor with MonitorConfig, forecasts, newer
actuals imported INCREMENTAL, and the evaluation Amazon's trigger (a new forecast) makes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from forecasthub import monitoring
from forecasthub.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    ResourceInUseError,
)
from tests.monitoring import hand

DAYS = 40


def _values(item: str, first: int, count: int) -> list[float]:
    level = 20.0 if item == "a" else 50.0
    return [round(level + 5 * math.sin(2 * math.pi * d / 7) + (d % 3), 3) for d in range(first, first + count)]


def _write(folder: Path, name: str, first: int, count: int) -> Path:
    return hand.write_csv(folder / f"{name}.csv", {i: _values(i, first, count) for i in ("a", "b")}, first)


@pytest.fixture
def group(fh, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    group = fh.create_dataset_group(DatasetGroupName="g", Domain="CUSTOM")["DatasetGroupArn"]
    dataset = fh.create_dataset(DatasetName="g_tts", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                                DataFrequency="D", Schema=hand.SCHEMA)["DatasetArn"]
    hand.import_csv(fh, dataset, _write(folder, "history", 1, DAYS), "history", "FULL")
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[dataset])
    return {"fh": fh, "group": group, "dataset": dataset, "folder": folder}


def _forecast(fh, predictor: str, name: str) -> str:
    arn = fh.create_forecast(ForecastName=name, PredictorArn=predictor, wait=True)["ForecastArn"]
    assert fh.describe_forecast(ForecastArn=arn)["Status"] == "ACTIVE"
    return arn


def test_auto_predictor_monitor_flow(group) -> None:
    fh = group["fh"]
    predictor = fh.create_auto_predictor(
        PredictorName="p", ForecastHorizon=3, ForecastFrequency="D", ForecastTypes=["0.1", "0.5", "0.9", "mean"],
        DataConfig={"DatasetGroupArn": group["group"]}, MonitorConfig={"MonitorName": "p_monitor"},
        TimeBudgetSeconds=1, wait=True)["PredictorArn"]  # (forecasthub's budget: a fast AutoML)
    described = fh.describe_auto_predictor(PredictorArn=predictor)
    assert described["Status"] == "ACTIVE", described.get("Message")
    monitor = fh.hub.arn("monitor", "p_monitor")
    assert described["MonitorInfo"] == {"MonitorArn": monitor, "Status": "ACTIVE"}
    baseline = fh.describe_monitor(MonitorArn=monitor)["Baseline"]["PredictorBaseline"]["BaselineMetrics"]
    summary = fh.get_accuracy_metrics(PredictorArn=predictor)["PredictorEvaluationResults"][0]["TestWindows"][0]
    assert {b["Name"]: b["Value"] for b in baseline}["WAPE"] == pytest.approx(
        summary["Metrics"]["ErrorMetrics"][0]["WAPE"])

    f1 = _forecast(fh, predictor, "f1")  # days 41-43
    job = hand.import_csv(fh, group["dataset"], _write(group["folder"], "new", DAYS + 1, 2), "new")  # 41-42
    assert fh.list_monitor_evaluations(MonitorArn=monitor)["PredictorMonitorEvaluations"] == []
    _forecast(fh, predictor, "f2")  # Amazon's trigger: a new forecast from the monitored predictor

    [evaluation] = fh.list_monitor_evaluations(MonitorArn=monitor)["PredictorMonitorEvaluations"]
    assert evaluation["EvaluationState"] == "SUCCESS"
    assert evaluation["NumItemsEvaluated"] == 2
    assert evaluation["WindowStartDatetime"] == pytest.approx(1704067200 + DAYS * 86400)  # 2024-01-41
    assert evaluation["WindowEndDatetime"] == pytest.approx(1704067200 + (DAYS + 1) * 86400)  # 2024-01-42
    assert evaluation["MonitorDataSource"] == {"PredictorArn": predictor, "ForecastArn": f1,
                                               "DatasetImportJobArn": job}
    # WAPE from the stored forecast and the imported values, computed here
    answer = {i: fh.query_forecast(ForecastArn=f1, Filters={"item_id": i})["Forecast"]["Predictions"]["mean"]
              for i in ("a", "b")}
    actual = {i: _values(i, DAYS + 1, 2) for i in ("a", "b")}
    errors = [abs(actual[i][k] - answer[i][k]["Value"]) for i in ("a", "b") for k in range(2)]
    wape = sum(errors) / sum(abs(v) for i in ("a", "b") for v in actual[i])
    got = {m["MetricName"]: m["MetricValue"] for m in evaluation["MetricResults"]}
    assert got["WAPE"] == pytest.approx(wape, rel=1e-6)
    assert set(got) == {"AverageWeightedQuantileLoss", "MAPE", "MASE", "RMSE", "WAPE"}

    _forecast(fh, predictor, "f3")  # nothing new is covered: no duplicate
    assert monitoring.evaluate_actuals(fh.hub, "g") == []
    assert len(fh.list_monitor_evaluations(MonitorArn=monitor)["PredictorMonitorEvaluations"]) == 1
    status = monitoring.drift_status(fh.hub, "g", "WAPE", 0.2)  # no deployed version: the monitored one
    assert status["Realised"] == pytest.approx(wape, rel=1e-6) and status["MonitorArn"] == monitor
    assert status["Drifted"] == (status["Realised"] > status["Baseline"] * 1.2)


def test_monitor_operations_and_errors(group) -> None:
    fh = group["fh"]
    p = fh.create_predictor(PredictorName="p1", AlgorithmArn="arn:aws:forecast:::algorithm/NPTS",
                            ForecastHorizon=3, ForecastTypes=["0.1", "0.5", "0.9", "mean"],
                            InputDataConfig={"DatasetGroupArn": group["group"]},
                            FeaturizationConfig={"ForecastFrequency": "D"}, wait=True)["PredictorArn"]
    monitor = fh.create_monitor(MonitorName="m1", ResourceArn=p, Tags=[{"Key": "team", "Value": "ops"}])["MonitorArn"]
    assert monitor == fh.hub.arn("monitor", "m1")
    assert fh.list_tags_for_resource(ResourceArn=monitor)["Tags"] == [{"Key": "team", "Value": "ops"}]
    with pytest.raises(AlreadyExistsError, match="already has monitor"):
        fh.create_monitor(MonitorName="m2", ResourceArn=p)
    with pytest.raises(InvalidInputError, match="not a valid name"):
        fh.create_monitor(MonitorName="bad-name", ResourceArn=p)
    with pytest.raises(NotFoundError):
        fh.create_monitor(MonitorName="m3", ResourceArn=fh.hub.arn("predictor", "missing"))
    with pytest.raises(InvalidInputError, match="predictor ARN"):
        fh.create_monitor(MonitorName="m3", ResourceArn=group["group"])
    with pytest.raises(InvalidInputError, match="MonitorName"):
        fh.create_auto_predictor(PredictorName="bad", ForecastHorizon=3, ForecastFrequency="D",
                                 DataConfig={"DatasetGroupArn": group["group"]}, MonitorConfig={})
    assert fh.list_predictors()["Predictors"][0]["PredictorName"] == "p1"  # the bad one was not created

    # stop / resume / list filters
    fh.stop_resource(ResourceArn=monitor)
    with pytest.raises(ResourceInUseError):
        fh.stop_resource(ResourceArn=monitor)
    stopped = fh.list_monitors(Filters=[{"Key": "Status", "Value": "ACTIVE_STOPPED", "Condition": "IS"}])
    assert [m["MonitorName"] for m in stopped["Monitors"]] == ["m1"]
    fh.resume_resource(ResourceArn=monitor)
    with pytest.raises(ResourceInUseError):
        fh.resume_resource(ResourceArn=monitor)
    with pytest.raises(InvalidInputError, match="only monitors"):
        fh.resume_resource(ResourceArn=p)
    assert fh.describe_monitor(MonitorArn=monitor)["Status"] == "ACTIVE"
    assert fh.list_monitors(Filters=[{"Key": "ResourceArn", "Value": p, "Condition": "IS"}])["Monitors"][0][
        "MonitorArn"] == monitor

    # a retrained predictor gets its own monitor; the retrain shows as a PredictorEvent
    f1 = _forecast(fh, p, "f1")
    retrained = fh.create_auto_predictor(PredictorName="p1_retrained", ReferencePredictorArn=p,
                                         wait=True)["PredictorArn"]
    info = fh.describe_auto_predictor(PredictorArn=retrained)["MonitorInfo"]
    assert info["MonitorArn"] == fh.hub.arn("monitor", retrained.rsplit("/", 1)[-1]) and info["Status"] == "ACTIVE"
    assert len(fh.list_monitors()["Monitors"]) == 2
    hand.import_csv(fh, group["dataset"], _write(group["folder"], "new", DAYS + 1, 3), "new")
    _forecast(fh, retrained, "f_retrained")  # triggers the retrained predictor's monitor only
    assert fh.list_monitor_evaluations(MonitorArn=monitor)["PredictorMonitorEvaluations"] == []
    [evaluation] = monitoring.evaluate_actuals(fh.hub, monitor)
    assert evaluation["MonitorDataSource"]["ForecastArn"] == f1
    assert evaluation["PredictorEvent"]["Detail"] == "Retrain"
    assert evaluation["PredictorEvent"]["Datetime"] == pytest.approx(
        fh.describe_auto_predictor(PredictorArn=retrained)["CreationTime"])
    assert evaluation["NumItemsEvaluated"] == 2

    # a monitored predictor cannot be deleted; the monitor and its history can
    with pytest.raises(ResourceInUseError, match="monitor"):
        fh.delete_predictor(PredictorArn=p)
    fh.delete_monitor(MonitorArn=monitor)
    with pytest.raises(NotFoundError):
        fh.describe_monitor(MonitorArn=monitor)
    with pytest.raises(NotFoundError):
        fh.list_monitor_evaluations(MonitorArn=monitor)
    assert "MonitorInfo" not in fh.describe_auto_predictor(PredictorArn=p)

    # a monitor made with MonitorConfig follows its predictor while that trains
    pending = fh.create_auto_predictor(PredictorName="p_pending", ForecastHorizon=3, ForecastFrequency="D",
                                       DataConfig={"DatasetGroupArn": group["group"]},
                                       MonitorConfig={"MonitorName": "m_pending"})["PredictorArn"]
    info = fh.describe_auto_predictor(PredictorArn=pending)["MonitorInfo"]
    assert info == {"MonitorArn": fh.hub.arn("monitor", "m_pending"), "Status": "CREATE_IN_PROGRESS"}
    with pytest.raises(AlreadyExistsError, match="m_pending"):
        fh.create_monitor(MonitorName="m_pending", ResourceArn=retrained)


def test_sql_tables_exist_when_empty(fh) -> None:
    from forecasthub.sql import run_query

    assert run_query(fh.hub, "SELECT count(*) FROM monitor_evaluations").rows == [(0,)]
    assert run_query(fh.hub, "SELECT count(*) FROM monitor_item_accuracy").rows == [(0,)]
    names = {r[0] for r in run_query(fh.hub, "SELECT table_name FROM catalog").rows}
    assert {"monitor_evaluations", "monitor_item_accuracy"} <= names

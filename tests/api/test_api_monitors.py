"""boto3's `forecast` client against a real server for the monitor operations; every response is
checked against botocore's output shapes (tests/api/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.monitoring import hand


@pytest.fixture(scope="module")
def evaluated(server) -> dict[str, Any]:
    """The hand-computed case on the server's home, evaluated once."""
    from forecasthub.client import Client
    from forecasthub.monitoring import evaluate_actuals

    fh = Client(server.hub.settings)
    folder = server.hub.settings.home.parent / "monitor_data"
    group, dataset = hand.make_group(fh, folder, name="mg")
    predictor = hand.add_predictor(server.hub, group, "mp")
    monitor = server.client().create_monitor(MonitorName="mm", ResourceArn=predictor)["MonitorArn"]
    forecast = hand.add_forecast(server.hub, predictor, group, "mf")
    hand.import_csv(fh, dataset, hand.write_csv(folder / "actuals.csv", hand.ACTUALS, 10), "actuals")
    [item] = evaluate_actuals(server.hub, "mg")
    fh.close()
    return {"monitor": monitor, "predictor": predictor, "forecast": forecast, "item": item}


def test_describe_and_list_monitor_evaluations(forecast, evaluated) -> None:
    described = forecast.describe_monitor(MonitorArn=evaluated["monitor"])
    assert described["MonitorName"] == "mm" and described["ResourceArn"] == evaluated["predictor"]
    assert described["Status"] == "ACTIVE" and described["LastEvaluationState"] == "SUCCESS"
    baseline = {m["Name"]: m["Value"] for m in described["Baseline"]["PredictorBaseline"]["BaselineMetrics"]}
    assert baseline == {"AverageWeightedQuantileLoss": 0.05, "WAPE": 0.1, "RMSE": 2.0, "MASE": 0.5, "MAPE": 0.1}

    listed = forecast.list_monitor_evaluations(MonitorArn=evaluated["monitor"], MaxResults=10)
    [evaluation] = listed["PredictorMonitorEvaluations"]
    assert evaluation["EvaluationState"] == "SUCCESS" and evaluation["NumItemsEvaluated"] == 2
    assert evaluation["WindowStartDatetime"] == datetime(2024, 1, 10, tzinfo=UTC)
    assert evaluation["WindowEndDatetime"] == datetime(2024, 1, 12, tzinfo=UTC)
    assert evaluation["MonitorDataSource"]["ForecastArn"] == evaluated["forecast"]
    metrics = {m["MetricName"]: m["MetricValue"] for m in evaluation["MetricResults"]}
    assert metrics["WAPE"] == pytest.approx(hand.EXPECTED_OVERALL["WAPE"])
    assert metrics["MASE"] == pytest.approx(hand.EXPECTED_OVERALL["MASE"])
    failures = forecast.list_monitor_evaluations(
        MonitorArn=evaluated["monitor"],
        Filters=[{"Key": "EvaluationState", "Value": "FAILURE", "Condition": "IS"}])
    assert failures["PredictorMonitorEvaluations"] == []
    paginator = forecast.get_paginator("list_monitor_evaluations")
    pages = list(paginator.paginate(MonitorArn=evaluated["monitor"]))
    assert sum(len(p["PredictorMonitorEvaluations"]) for p in pages) == 1


def test_list_stop_resume_and_errors(forecast, evaluated) -> None:
    info = forecast.describe_auto_predictor(PredictorArn=evaluated["predictor"])["MonitorInfo"]
    assert info == {"MonitorArn": evaluated["monitor"], "Status": "ACTIVE"}
    monitors = forecast.list_monitors(Filters=[{"Key": "Status", "Value": "ACTIVE", "Condition": "IS"}])
    assert [m["MonitorArn"] for m in monitors["Monitors"]] == [evaluated["monitor"]]
    forecast.stop_resource(ResourceArn=evaluated["monitor"])
    assert forecast.describe_monitor(MonitorArn=evaluated["monitor"])["Status"] == "ACTIVE_STOPPED"
    forecast.resume_resource(ResourceArn=evaluated["monitor"])
    assert forecast.describe_monitor(MonitorArn=evaluated["monitor"])["Status"] == "ACTIVE"
    with pytest.raises(forecast.exceptions.ResourceAlreadyExistsException):
        forecast.create_monitor(MonitorName="mm", ResourceArn=evaluated["predictor"])
    with pytest.raises(forecast.exceptions.ResourceNotFoundException):
        forecast.describe_monitor(MonitorArn=evaluated["monitor"] + "_missing")
    with pytest.raises(forecast.exceptions.ResourceInUseException):
        forecast.delete_predictor(PredictorArn=evaluated["predictor"])


def test_delete_monitor(forecast, evaluated) -> None:
    forecast.delete_monitor(MonitorArn=evaluated["monitor"])
    with pytest.raises(forecast.exceptions.ResourceNotFoundException):
        forecast.list_monitor_evaluations(MonitorArn=evaluated["monitor"])
    assert forecast.list_monitors()["Monitors"] == []

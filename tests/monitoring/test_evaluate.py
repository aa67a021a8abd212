"""Evaluations against a real metadata store (SQLite, PostgreSQL) and object store, on the
hand-computed case: a forecast with known quantiles, then actuals imported for three of its four
dates."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from forecasthub import monitoring
from forecasthub.errors import InvalidInputError, NotFoundError, ResourceInUseError
from forecasthub.sql import run_query
from tests.monitoring import hand


@pytest.fixture
def home(home, database_url: str, monkeypatch: pytest.MonkeyPatch):
    """Both metadata backends: SQLite, and PostgreSQL when one can be started (tests/infra.py)."""
    monkeypatch.setenv("FORECASTHUB_DATABASE_URL", database_url)
    return home


@pytest.fixture
def case(fh, tmp_path):
    """Group `g` with history Jan 1-9, predictor `p` (monitor `mon`), forecast `f1` (Jan 10-13)."""
    group, dataset = hand.make_group(fh, tmp_path / "data")
    predictor = hand.add_predictor(fh.hub, group, "p")
    monitor = fh.create_monitor(MonitorName="mon", ResourceArn=predictor)["MonitorArn"]
    forecast = hand.add_forecast(fh.hub, predictor, group, "f1")
    return {"fh": fh, "hub": fh.hub, "group": group, "dataset": dataset, "predictor": predictor,
            "monitor": monitor, "forecast": forecast, "folder": tmp_path / "data"}


def _import_actuals(case, name="actuals", values=None, first_day=10) -> str:
    path = hand.write_csv(case["folder"] / f"{name}.csv", values or hand.ACTUALS, first_day)
    return hand.import_csv(case["fh"], case["dataset"], path, name)


def _metrics(item) -> dict[str, float]:
    return {m["MetricName"]: m["MetricValue"] for m in item["MetricResults"]}


def test_nothing_to_evaluate_before_actuals_arrive(case) -> None:
    assert monitoring.evaluate_actuals(case["hub"], "g") == []
    assert case["fh"].list_monitor_evaluations(MonitorArn=case["monitor"])["PredictorMonitorEvaluations"] == []


def test_evaluation_matches_the_hand_computation_and_is_recorded_once(case) -> None:
    hub, fh = case["hub"], case["fh"]
    job = _import_actuals(case)
    [item] = monitoring.evaluate_actuals(hub, "g")
    assert item["EvaluationState"] == "SUCCESS" and "Message" not in item
    assert item["NumItemsEvaluated"] == 2
    assert item["WindowStartDatetime"] == pytest.approx(1704844800.0)  # 2024-01-10T00:00Z
    assert item["WindowEndDatetime"] == pytest.approx(1705017600.0)  # 2024-01-12T00:00Z
    assert item["MonitorDataSource"] == {"PredictorArn": case["predictor"], "ForecastArn": case["forecast"],
                                         "DatasetImportJobArn": job}
    assert item["ResourceArn"] == case["predictor"] and item["MonitorArn"] == case["monitor"]
    got = _metrics(item)
    for name in ("AverageWeightedQuantileLoss", "WAPE", "RMSE", "MASE", "MAPE"):
        assert got[name] == pytest.approx(hand.EXPECTED_OVERALL[name], rel=1e-9), name

    # re-running (explicitly, or by the hook) adds nothing
    assert monitoring.evaluate_actuals(hub, "g") == []
    assert monitoring.evaluate_actuals(hub, case["monitor"]) == []
    listed = fh.list_monitor_evaluations(MonitorArn=case["monitor"])["PredictorMonitorEvaluations"]
    assert listed == [item]
    described = fh.describe_monitor(MonitorArn=case["monitor"])
    assert described["LastEvaluationState"] == "SUCCESS"
    assert described["LastEvaluationTime"] == item["EvaluationTime"]

    # per-series metrics: the Parquet file in the store, and the SQL tables
    rows = run_query(hub, "SELECT item_id, wape, rmse, mase, mape, wql_p50, average_wql, points "
                          "FROM monitor_item_accuracy ORDER BY item_id").rows
    assert [r[0] for r in rows] == ["a", "b"]
    for (item_id, wape, rmse, mase, mape, wql50, avg, points) in rows:
        expected = hand.EXPECTED_SERIES[item_id]
        assert (wape, rmse, mase, mape, wql50, avg) == pytest.approx(
            (expected["WAPE"], expected["RMSE"], expected["MASE"], expected["MAPE"], expected["wQL[0.5]"],
             expected["AverageWeightedQuantileLoss"]), rel=1e-9)
        assert points == 3
    summary = run_query(hub, "SELECT monitor_name, forecast_name, evaluation_state, window_start, window_end, "
                             "num_items, wape, wql_p10 FROM monitor_evaluations").rows
    assert len(summary) == 1
    name, forecast, state, start, end, items, wape, wql10 = summary[0]
    assert (name, forecast, state, items) == ("mon", "f1", "SUCCESS", 2)
    assert (start.day, end.day) == (10, 12)
    assert wape == pytest.approx(12 / 102) and wql10 == pytest.approx(hand.EXPECTED_OVERALL["wQL[0.1]"])


def test_later_actuals_extend_the_window_into_a_new_evaluation(case) -> None:
    hub = case["hub"]
    _import_actuals(case)
    first = monitoring.evaluate_actuals(hub, "g")
    _import_actuals(case, "late", {k: [v] for k, v in hand.LATE.items()}, first_day=13)
    [second] = monitoring.evaluate_actuals(hub, "g")
    assert second["WindowEndDatetime"] - first[0]["WindowEndDatetime"] == 86400
    # 4 points per series now: a |11-13| = 2 and b |23-21| = 2 more error, |y| 11 and 23 more
    assert _metrics(second)["WAPE"] == pytest.approx((12 + 4) / (102 + 34))
    listed = case["fh"].list_monitor_evaluations(MonitorArn=case["monitor"])["PredictorMonitorEvaluations"]
    assert [e["EvaluationTime"] for e in listed] == sorted((e["EvaluationTime"] for e in listed), reverse=True)
    assert len(listed) == 2 and listed[0]["WindowEndDatetime"] == second["WindowEndDatetime"]


def test_no_overlapping_series_is_a_recorded_failure(case) -> None:
    hub, fh = case["hub"], case["fh"]
    other = hand.forecast_frame().assign(item_id=lambda f: f["item_id"].map({"a": "x", "b": "y"}))
    hand.add_forecast(hub, case["predictor"], case["group"], "f_other", other)
    _import_actuals(case)
    made = monitoring.evaluate_actuals(hub, "g")
    assert sorted(e["EvaluationState"] for e in made) == ["FAILURE", "SUCCESS"]
    failed = fh.list_monitor_evaluations(MonitorArn=case["monitor"], Filters=[
        {"Key": "EvaluationState", "Value": "FAILURE", "Condition": "IS"}])["PredictorMonitorEvaluations"]
    assert len(failed) == 1
    assert failed[0]["MetricResults"] == [] and failed[0]["NumItemsEvaluated"] == 0
    assert "no forecast series has actual values" in failed[0]["Message"]
    assert failed[0]["MonitorDataSource"]["ForecastArn"].endswith("forecast/f_other")
    assert monitoring.evaluate_actuals(hub, "g") == []  # recorded once
    with pytest.raises(InvalidInputError, match="SUCCESS, FAILURE"):
        fh.list_monitor_evaluations(MonitorArn=case["monitor"], Filters=[
            {"Key": "EvaluationState", "Value": "DONE", "Condition": "IS"}])


def test_a_damaged_forecast_file_is_a_failure_not_an_exception(case) -> None:
    hub = case["hub"]
    from forecasthub.store.orm import ForecastRow

    with hub.db.session() as s:
        key = s.get(ForecastRow, case["forecast"]).artifact_key
    Path(hub.store.path(f"{key}/forecast.parquet")).write_bytes(b"not parquet")
    _import_actuals(case)
    [item] = monitoring.evaluate_actuals(hub, "g")
    assert item["EvaluationState"] == "FAILURE" and "cannot read the forecast" in item["Message"]


def test_stopped_monitors_do_not_evaluate(case) -> None:
    hub, fh = case["hub"], case["fh"]
    fh.stop_resource(ResourceArn=case["monitor"])
    assert fh.describe_monitor(MonitorArn=case["monitor"])["Status"] == "ACTIVE_STOPPED"
    _import_actuals(case)
    assert monitoring.evaluate_actuals(hub, "g") == []
    with pytest.raises(ResourceInUseError, match="resume"):
        monitoring.evaluate_actuals(hub, case["monitor"])
    fh.resume_resource(ResourceArn=case["monitor"])
    assert len(monitoring.evaluate_actuals(hub, case["monitor"])) == 1


def test_bad_targets_are_clear_errors(case) -> None:
    hub = case["hub"]
    with pytest.raises(NotFoundError):
        monitoring.evaluate_actuals(hub, "nope")
    with pytest.raises(NotFoundError):
        monitoring.evaluate_actuals(hub, hub.arn("monitor", "nope"))
    with pytest.raises(InvalidInputError):
        monitoring.evaluate_actuals(hub, "")
    with pytest.raises(InvalidInputError):
        monitoring.evaluate_actuals(hub, "arn:nonsense")


# -- drift ----------------------------------------------------------------------------------------
def test_drift_without_evaluations_is_not_drift(case) -> None:
    status = monitoring.drift_status(case["hub"], "g")
    assert status["Drifted"] is False and status["Realised"] is None
    assert status["Baseline"] == pytest.approx(0.1) and status["MonitorArn"] == case["monitor"]
    assert "no successful monitor evaluation" in status["Reason"]
    assert set(status) == {"Drifted", "Metric", "Realised", "Baseline", "Ratio", "MonitorArn",
                           "EvaluationTime", "Reason"}


def test_drift_both_ways_against_the_backtest(case) -> None:
    hub = case["hub"]
    _import_actuals(case)
    monitoring.evaluate_actuals(hub, "g")
    realised = 12 / 102  # 0.1176
    hand.set_baseline(hub, case["predictor"], 0.05)  # 0.1176 > 0.05 * 1.2
    status = monitoring.drift_status(hub, "g", "WAPE", 0.2)
    assert status["Drifted"] is True
    assert status["Realised"] == pytest.approx(realised) and status["Baseline"] == pytest.approx(0.05)
    assert status["Ratio"] == pytest.approx(realised / 0.05)
    assert status["MonitorArn"] == case["monitor"] and status["EvaluationTime"].startswith("20")
    assert "above" in status["Reason"]
    hand.set_baseline(hub, case["predictor"], 0.1)  # 0.1176 <= 0.1 * 1.2 = 0.12
    assert monitoring.drift_status(hub, "g", "WAPE", 0.2)["Drifted"] is False
    assert monitoring.drift_status(hub, "g", "WAPE", 0.1)["Drifted"] is True  # 0.1176 > 0.11
    # RMSE baseline 2.0 vs realised sqrt(32/6) = 2.31: +15 %
    assert monitoring.drift_status(hub, "g", "RMSE", 0.1)["Drifted"] is True
    assert monitoring.drift_status(hub, "g", "RMSE", 0.2)["Drifted"] is False
    with pytest.raises(InvalidInputError, match="Unknown metric"):
        monitoring.drift_status(hub, "g", "R2")
    with pytest.raises(InvalidInputError, match="threshold"):
        monitoring.drift_status(hub, "g", "WAPE", -0.1)
    with pytest.raises(NotFoundError):
        monitoring.drift_status(hub, "nope")


def test_drift_follows_the_deployed_model_version(case) -> None:
    from forecasthub import registry

    hub = case["hub"]
    _import_actuals(case)
    monitoring.evaluate_actuals(hub, "g")
    newer = hand.add_predictor(hub, case["group"], "p_newer")  # unmonitored, never evaluated
    for arn in (case["predictor"], newer):
        registry.register_predictor(hub, arn)
        registry.set_status(hub, "g", registry.register_predictor(hub, arn)["Version"], "Approved")
    registry.deploy(hub, "g", 2)  # p_newer
    status = monitoring.drift_status(hub, "g")
    assert status["Realised"] is None and "deployed model" in status["Reason"] and "CreateMonitor" in status["Reason"]
    registry.deploy(hub, "g", 1)  # p, evaluated
    hand.set_baseline(hub, case["predictor"], 0.05)
    assert monitoring.drift_status(hub, "g")["Drifted"] is True


def test_item_file_is_written_in_the_store(case) -> None:
    hub = case["hub"]
    _import_actuals(case)
    monitoring.evaluate_actuals(hub, "g")
    keys = [k for k in hub.store.list("monitors/mon/evaluations") if k.endswith("item_accuracy.parquet")]
    assert len(keys) == 1
    frame = pl.read_parquet(hub.store.path(keys[0]))
    assert frame.columns[0] == "item_id" and frame.height == 2
    case["fh"].delete_monitor(MonitorArn=case["monitor"])
    assert [k for k in hub.store.list("monitors/mon") if k.endswith(".parquet")] == []

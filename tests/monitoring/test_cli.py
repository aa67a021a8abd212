"""`forecasthub create-monitor / list-monitor-evaluations` (generated verbs) and
`forecasthub monitor evaluate / drift`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from forecasthub.cli.main import cli
from tests.monitoring import hand


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_monitor_commands(fh, tmp_path) -> None:
    group, dataset = hand.make_group(fh, tmp_path / "data")
    predictor = hand.add_predictor(fh.hub, group, "p", {"WAPE": 0.05, "RMSE": 2.0, "MASE": 0.5, "MAPE": 0.1,
                                                         "AverageWeightedQuantileLoss": 0.05})
    monitor = json.loads(_run("create-monitor", "--monitor-name", "mon", "--resource-arn", predictor))["MonitorArn"]
    hand.add_forecast(fh.hub, predictor, group, "f1")
    assert json.loads(_run("monitor", "evaluate", "g")) == {"PredictorMonitorEvaluations": []}
    hand.import_csv(fh, dataset, hand.write_csv(tmp_path / "data" / "new.csv", hand.ACTUALS, 10), "new")
    [made] = json.loads(_run("monitor", "evaluate", "g"))["PredictorMonitorEvaluations"]
    listed = json.loads(_run("list-monitor-evaluations", "--monitor-arn", monitor))
    assert listed["PredictorMonitorEvaluations"] == [made]
    drift = json.loads(_run("monitor", "drift", "g", "--metric", "WAPE", "--threshold", "0.2"))
    assert drift["Drifted"] is True and drift["Baseline"] == 0.05
    _run("monitor", "drift", "g", "--exit-code", code=3)
    assert json.loads(_run("monitor", "drift", "g", "--threshold", "2"))["Drifted"] is False
    result = CliRunner().invoke(cli, ["monitor", "drift", "g", "--metric", "R2"])
    assert result.exit_code == 1 and "Unknown metric" in result.output

"""`forecasthub tuning trials` table: one parameter per line, long floats shortened."""

from __future__ import annotations

import json

from rich.console import Console

from forecasthub.cli.tuning import _table


def test_trials_table_shortens_float_parameters() -> None:
    row = {"trial_number": 3, "trial_name": "job-003-abc", "status": "Completed",
           "objective_value": 0.0324124, "average_wql": 0.0324124, "wape": 0.05, "rmse": 2.1,
           "seconds": 0.12, "is_best": True, "failure_reason": None,
           "parameters": json.dumps({"learning_rate": "0.14976021705011963", "n_estimators": "20",
                                     "lags": "1,2,3,7", "model": "ZZZ", "reg_alpha": "1e-05"})}
    console = Console(width=200, record=True)
    console.print(_table([row], "tuning job job"))
    text = console.export_text()
    assert "learning_rate=0.1498" in text and "0.14976021705011963" not in text
    assert "n_estimators=20" in text and "lags=1,2,3,7" in text and "model=ZZZ" in text
    assert "reg_alpha=1e-05" in text


def test_create_wait_exits_1_when_the_job_failed(fh, tmp_path) -> None:
    from click.testing import CliRunner

    from forecasthub.cli.main import cli
    from tests.tuning.conftest import job_request, make_shop

    shop = make_shop(fh, tmp_path)
    ranges = {"CategoricalParameterRanges": [{"Name": "model", "Values": ["XYZ", "QQQ"]}]}
    request = job_request(shop["group"], name="ets-bad", trials=2, algorithm="ETS", static={},
                          ranges=ranges)
    config = tmp_path / "job.json"
    config.write_text(json.dumps(request))
    result = CliRunner().invoke(cli, ["tuning", "create", "--config", str(config), "--wait"])
    assert result.exit_code == 1, result.output
    described = json.loads(result.output[result.output.index("{"):])
    assert described["HyperParameterTuningJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("all 2 trial(s) failed")

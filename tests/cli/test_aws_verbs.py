"""The generated `aws forecast`-style verbs: only operations of botocore's forecast and
forecastquery models (tuning jobs are SageMaker's: `forecasthub tuning ...`)."""

from __future__ import annotations

from click.testing import CliRunner

from forecasthub.cli.main import cli


def test_verbs_are_the_forecast_models_operations() -> None:
    runner = CliRunner()
    listing = runner.invoke(cli, ["--help"])
    assert listing.exit_code == 0, listing.output
    verbs = {line.split()[0] for line in listing.output.splitlines()
             if line.startswith("  ") and line.split()}
    assert {"create-dataset-group", "query-forecast", "tuning", "sagemaker"} <= verbs
    assert not {v for v in verbs if "hyper-parameter" in v}

    missing = runner.invoke(cli, ["create-hyper-parameter-tuning-job", "--help"])
    assert missing.exit_code == 2 and "No such command" in missing.output
    verb = runner.invoke(cli, ["create-dataset-group", "--help"])
    assert verb.exit_code == 0 and "--dataset-group-name" in verb.output
    assert "Amazon Forecast's CreateDatasetGroup" in verb.output
    tuning = runner.invoke(cli, ["tuning", "--help"])
    assert tuning.exit_code == 0 and "create" in tuning.output

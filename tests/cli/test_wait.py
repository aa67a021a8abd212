"""`create-* --wait` runs the job here: exit 0 only when the resource ends ACTIVE."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forecasthub.cli.main import cli

SCHEMA = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                         {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"}]}


def test_wait_exits_1_when_the_job_fails(cli_env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()

    def ok(*args: str) -> dict:
        result = runner.invoke(cli, list(args), env=cli_env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    group = ok("create-dataset-group", "--dataset-group-name", "g", "--domain", "CUSTOM")
    dataset = ok("create-dataset", "--dataset-name", "g_tts", "--domain", "CUSTOM",
                 "--dataset-type", "TARGET_TIME_SERIES", "--data-frequency", "D",
                 "--schema", json.dumps(SCHEMA))
    ok("update-dataset-group", "--dataset-group-arn", group["DatasetGroupArn"],
       "--dataset-arns", json.dumps([dataset["DatasetArn"]]))

    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("a,2024-01-01,1.0\na,2024-01-02,2.0\n")
    bad.write_text("a,2024-01-01,1.0\na,not a date,2.0\n")

    def load(name: str, path: Path):
        return runner.invoke(cli, [
            "create-dataset-import-job", "--dataset-import-job-name", name,
            "--dataset-arn", dataset["DatasetArn"], "--wait",
            "--data-source", json.dumps({"S3Config": {"Path": str(path)}})], env=cli_env)

    assert load("good", good).exit_code == 0
    failed = load("bad", bad)
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["DatasetImportJobArn"].endswith("/bad")
    assert "CREATE_FAILED" in failed.stderr and "bad.csv" in failed.stderr

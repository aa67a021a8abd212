"""The retraining pipeline: predictor -> evaluation -> registration -> approval -> deployment, and
what the next inference run uses (issue #5's done-when, both directions)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecasthub import registry
from forecasthub.errors import ResourceInUseError
from forecasthub.pipelines.config import parse_config
from forecasthub.pipelines.inference import run_inference
from forecasthub.pipelines.retrain import run_retraining, start_record
from forecasthub.pipelines.runs import describe_run, list_runs
from forecasthub.pipelines.watch import Watcher
from tests.sql import flow


def _group(tmp_path: Path, **options) -> object:
    settings = {"landing": str(tmp_path / "landing"), "timestamp_format": "yyyy-MM-dd",
                "retrain": {}, "backoff_seconds": 0.01, **options}
    return parse_config({"settle_seconds": 0, "groups": {"shop": settings}}).groups[0]


def _steps(run: dict) -> list[tuple[str, str]]:
    return [(s["Name"], s["Status"]) for s in run["Steps"]]


def _step(run: dict, name: str) -> dict:
    return next(s for s in run["Steps"] if s["Name"] == name)


def _land(tmp_path: Path, source: Path, name: str) -> str:
    landing = tmp_path / "landing"
    landing.mkdir(exist_ok=True)
    shutil.copy2(source, landing / name)
    return str(landing / name)


def test_better_or_equal_version_is_approved_deployed_and_used_next(fh, deployed_shop, tmp_path) -> None:
    hub = fh.hub
    registry.set_rule(hub, "shop", "WAPE", 0.05, auto_deploy=True)
    cfg = _group(tmp_path)
    run = run_retraining(hub, cfg, trigger="test")
    assert run["Status"] == "SUCCEEDED", run
    assert run["Pipeline"] == "retraining"
    assert _steps(run) == [("import", "SKIPPED"), ("predictor", "SUCCEEDED"),
                           ("evaluation", "SUCCEEDED"), ("registration", "SUCCEEDED"),
                           ("approval", "SUCCEEDED"), ("deployment", "SUCCEEDED")]
    predictor = _step(run, "predictor")
    # Amazon's retrain: the deployed predictor is the reference (same settings, latest data)
    assert predictor["ReferencePredictorArn"] == hub.arn("predictor", "p1")
    new_arn = predictor["Arn"]
    assert fh.describe_auto_predictor(PredictorArn=new_arn)["ReferencePredictorSummary"]["Arn"] == \
        hub.arn("predictor", "p1")
    evaluation = _step(run, "evaluation")
    assert evaluation["Metric"] == "WAPE" and evaluation["DeployedVersion"] == 1
    # the same algorithm on the same data: as good as the deployed version (within the 5 %)
    assert evaluation["NewValue"] <= evaluation["DeployedValue"] * 1.05
    assert run["Outputs"]["ModelVersion"] == 2 and run["Outputs"]["ApprovalStatus"] == "Approved"
    assert _step(run, "approval")["Decision"] == "Approved"
    assert "approved by rule" in _step(run, "approval")["Reason"]
    assert _step(run, "deployment")["DeployedVersion"] == 2 and run["Outputs"]["Deployed"] is True
    assert all(s.get("Attempts", 1) == 1 for s in run["Steps"])
    assert registry.resolve_model(hub, "shop") == {"PredictorArn": new_arn, "Source": "deployed",
                                                   "Version": 2}

    # the next inference run forecasts with the new version
    source = _land(tmp_path, Path(deployed_shop.paths["TARGET_TIME_SERIES"]), "next.csv")
    after = run_inference(hub, cfg, source, trigger="test")
    assert after["Status"] == "SUCCEEDED", after
    assert after["Outputs"]["PredictorArn"] == new_arn and after["Outputs"]["ModelVersion"] == 2
    assert [r["Pipeline"] for r in list_runs(hub, "shop")] == ["inference", "retraining"]
    assert [r["RunId"] for r in list_runs(hub, "shop", pipeline="retraining")] == [run["RunId"]]


def _noisy_copy(source: Path, target: Path) -> Path:
    """The same series with every value multiplied by lognormal noise (sigma 1): still valid
    data, but much harder to forecast, so a predictor trained on it backtests far worse."""
    rng = np.random.default_rng(7)
    lines = source.read_text().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        *key, value = line.split(",")
        out.append(",".join(key) + f",{float(value) * rng.lognormal(0.0, 1.0):.2f}")
    target.write_text("\n".join(out) + "\n")
    return target


def test_worse_version_stays_pending_and_inference_keeps_the_deployed_one(
        fh, deployed_shop, tmp_path) -> None:
    """Honest construction of a worse model: the landed file replaces (FULL import) the history
    with a noisy version of it; the retrained predictor's backtest WAPE is several times the
    deployed version's, so a 5 % rule must not approve it."""
    hub = fh.hub
    registry.set_rule(hub, "shop", "WAPE", 0.05, auto_deploy=True)
    config = parse_config({"settle_seconds": 0, "groups": {"shop": {
        "landing": str(tmp_path / "landing"), "timestamp_format": "yyyy-MM-dd",
        "on_file": "retrain", "import_mode": "FULL", "backoff_seconds": 0.01}}})
    watcher = Watcher(hub, config)
    _noisy_copy(Path(deployed_shop.paths["TARGET_TIME_SERIES"]), tmp_path / "landing" / "noisy.csv")
    runs = watcher.scan_once()
    assert len(runs) == 1 and runs[0]["Status"] == "SUCCEEDED", runs
    run = runs[0]
    assert run["Pipeline"] == "retraining" and run["Trigger"].endswith("noisy.csv")
    assert _steps(run) == [("import", "SUCCEEDED"), ("predictor", "SUCCEEDED"),
                           ("evaluation", "SUCCEEDED"), ("registration", "SUCCEEDED"),
                           ("approval", "SUCCEEDED"), ("deployment", "SKIPPED")]
    evaluation = run["Outputs"]["Evaluation"]
    assert evaluation["NewValue"] > evaluation["DeployedValue"] * 1.05, evaluation
    assert evaluation["RelativeChange"] > 0.05
    assert _step(run, "approval")["Decision"] == "PendingManualApproval"
    assert "worse" in _step(run, "approval")["Reason"]
    assert "not Approved" in _step(run, "deployment")["Message"]
    version = registry.describe_version(hub, "shop", 2)
    assert version["Status"] == "PendingManualApproval" and not version["Deployed"]

    # the next inference run still forecasts with version 1
    cfg = _group(tmp_path / "other")
    source = _land(tmp_path, Path(deployed_shop.paths["TARGET_TIME_SERIES"]), "next.csv.later")
    after = run_inference(hub, cfg, source, trigger="test")
    assert after["Status"] == "SUCCEEDED", after
    assert after["Outputs"]["PredictorArn"] == hub.arn("predictor", "p1")
    assert after["Outputs"]["ModelVersion"] == 1


def test_without_a_rule_the_version_stays_pending(fh, deployed_shop, tmp_path) -> None:
    run = run_retraining(fh.hub, _group(tmp_path), trigger="test")
    assert run["Status"] == "SUCCEEDED", run
    assert _step(run, "approval")["Status"] == "SKIPPED"
    assert "no approval rule" in _step(run, "approval")["Message"]
    assert _step(run, "deployment")["Status"] == "SKIPPED"
    assert "has no approval rule" in _step(run, "deployment")["Message"]
    assert registry.describe_version(fh.hub, "shop", 2)["Status"] == "PendingManualApproval"
    assert registry.resolve_model(fh.hub, "shop")["Version"] == 1


def test_approved_without_auto_deploy_is_not_deployed(fh, deployed_shop, tmp_path) -> None:
    registry.set_rule(fh.hub, "shop", "WAPE", 0.05, auto_deploy=False)
    run = run_retraining(fh.hub, _group(tmp_path), trigger="test")
    assert _step(run, "approval")["Decision"] == "Approved"
    deployment = _step(run, "deployment")
    assert deployment["Status"] == "SKIPPED" and "does not auto-deploy" in deployment["Message"]
    assert registry.resolve_model(fh.hub, "shop")["Version"] == 1


def test_nothing_to_retrain_fails_at_once(fh, tmp_path) -> None:
    files = flow.retail_files(tmp_path / "data")
    flow.make_group(fh, files)  # nothing deployed, and no retrain.predictor block
    run = run_retraining(fh.hub, _group(tmp_path, retries=3), trigger="test")
    assert run["Status"] == "FAILED"
    predictor = _step(run, "predictor")
    assert predictor["Status"] == "FAILED" and predictor["Attempts"] == 1  # bad setup: no retry
    assert "retrain.predictor" in run["Message"] and run["Message"].startswith("predictor: ")
    assert [s["Status"] for s in run["Steps"][2:]] == ["SKIPPED"] * 4


def test_first_model_from_the_predictor_block(fh, tmp_path) -> None:
    """Nothing deployed yet: the YAML's retrain.predictor block (CreateAutoPredictor fields)
    trains the first model; the rule approves and deploys it (nothing to compare with)."""
    flow.make_group(fh, flow.retail_files(tmp_path / "data"))
    registry.set_rule(fh.hub, "shop", "WAPE", 0.05, auto_deploy=True)
    cfg = _group(tmp_path, retrain={"predictor": {
        "ForecastHorizon": flow.HORIZON, "ForecastFrequency": "W", "ForecastDimensions": ["store_id"],
        "ForecastTypes": ["0.1", "0.5", "0.9", "mean"]}})
    run = run_retraining(fh.hub, cfg, trigger="test")
    assert run["Status"] == "SUCCEEDED", run
    predictor = _step(run, "predictor")
    assert "ReferencePredictorArn" not in predictor  # a new predictor, not a retrain
    assert "retrain.predictor" in predictor["How"]
    assert run["Outputs"]["Evaluation"]["DeployedValue"] is None
    assert registry.resolve_model(fh.hub, "shop") == {"PredictorArn": predictor["Arn"],
                                                      "Source": "deployed", "Version": 1}


def test_bad_predictor_block() -> None:
    from forecasthub.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"groups.shop.retrain.predictor: PredictorName"):
        parse_config({"groups": {"shop": {"retrain": {"predictor": {"PredictorName": "x"}}}}})


def test_one_retraining_run_per_group_at_a_time(fh, deployed_shop, tmp_path) -> None:
    cfg = _group(tmp_path)
    record = start_record(fh.hub, cfg, "first")
    with pytest.raises(ResourceInUseError, match="already running"):
        run_retraining(fh.hub, cfg, trigger="second")
    record.finish("FAILED", "test")
    assert run_retraining(fh.hub, cfg, trigger="third")["Status"] == "SUCCEEDED"


def test_cli_retrain(fh, deployed_shop, tmp_path, monkeypatch) -> None:
    from forecasthub.cli.main import cli

    config = tmp_path / "watch.yaml"
    config.write_text(f"groups:\n  shop:\n    landing: {tmp_path / 'landing'}\n    retrain: {{}}\n")
    result = CliRunner().invoke(cli, ["retrain", "shop", "-c", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["Status"] == "SUCCEEDED" and run["Outputs"]["ModelVersion"] == 2
    result = CliRunner().invoke(cli, ["runs", run["RunId"]], catch_exceptions=False)
    assert json.loads(result.stdout)["RunId"] == run["RunId"]
    result = CliRunner().invoke(cli, ["runs", "--pipeline", "retraining"], catch_exceptions=False)
    assert [r["RunId"] for r in json.loads(result.stdout)["Runs"]] == [run["RunId"]]
    result = CliRunner().invoke(cli, ["retrain", "nope", "-c", str(config)])
    assert result.exit_code != 0 and "groups.nope" in result.output


def test_api_starts_a_retraining_run_in_the_background(tmp_path) -> None:
    import httpx

    from forecasthub.client import Client
    from tests.api.conftest import running_server

    with running_server(tmp_path, workers=0) as srv:
        fh = Client(srv.hub.settings)
        group, _ = flow.make_group(fh, flow.retail_files(tmp_path / "data"))
        registry.register_predictor(fh.hub, flow.train(fh, group, "p1"))
        registry.set_status(fh.hub, "shop", 1, "Approved")
        registry.deploy(fh.hub, "shop", 1)
        url = f"{srv.url}/api/v1/pipeline-runs"
        answer = httpx.post(f"{url}/retrain", json={"DatasetGroupName": "shop"}, headers=srv.bearer,
                            timeout=30)
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["RunId"]
        deadline = time.monotonic() + 120
        while (run := httpx.get(f"{url}/{run_id}", headers=srv.bearer, timeout=30).json())[
                "Status"] == "RUNNING":
            assert time.monotonic() < deadline, run
            time.sleep(0.1)
        assert run["Status"] == "SUCCEEDED" and run["Pipeline"] == "retraining", run
        assert run["Outputs"]["ModelVersion"] == 2
        listed = httpx.get(url, params={"pipeline": "retraining"}, headers=srv.bearer, timeout=30)
        assert [r["RunId"] for r in listed.json()["Runs"]] == [run_id]
        missing = httpx.post(f"{url}/retrain", json={"DatasetGroupName": "nope"},
                             headers=srv.bearer, timeout=30)
        assert missing.status_code == 404, missing.text
        assert describe_run(fh.hub, run_id)["Status"] == "SUCCEEDED"
        fh.close()

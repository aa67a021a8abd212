"""Tuning jobs end to end on real SQLite and real training: trials recorded, the best one becomes
an ACTIVE predictor (and a model version), failing trials, stop, resume, SQL and SageMaker shapes."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from forecasthub.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    ResourceInUseError,
)
from forecasthub.store.orm import JobRow, ModelVersionRow, TuningTrialRow
from tests.tuning.conftest import job_request, make_shop

BAD_ETS = {"CategoricalParameterRanges": [{"Name": "model", "Values": ["XYZ", "ZZZ", "QQQ"]}]}


def _describe(fh, name):
    return fh.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)


def _trials(fh, name, **kw):
    return fh.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, **kw)["TrainingJobSummaries"]


def _load_model(hub, predictor_arn):
    from forecasthub.models.base import Forecaster
    from forecasthub.store.orm import PredictorRow

    with hub.db.session() as s:
        key = s.get(PredictorRow, predictor_arn).artifact_key
    with hub.store.local_copy(f"{key}/model.pkl") as path:
        model = Forecaster.load(path)
    return getattr(model, "primary", model)


def _check_sagemaker_shape(operation: str, body: dict) -> None:
    """The response matches botocore's SageMaker output shape, apart from our extra members."""
    import botocore.session

    from tests.api.conftest import _check

    ours = {"BestPredictorArn", "BestPredictorStatus", "Progress", "TrialNumber",
            "TrainingSeconds", "FinalMetricDataList", "DataConfig"}

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ours}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    model = botocore.session.get_session().get_service_model("sagemaker")
    problems: list[str] = []
    _check(strip(body), model.operation_model(operation).output_shape, operation, problems)
    assert not problems, problems


def test_six_trials_complete_and_the_best_becomes_a_predictor(shop) -> None:
    """Done when: a 6-trial job on small data completes, records all trials, the best is used."""
    fh, hub = shop["fh"], shop["hub"]
    created = fh.create_hyper_parameter_tuning_job(wait=True, **job_request(shop["group"]))
    assert created["HyperParameterTuningJobArn"].endswith(":hyper-parameter-tuning-job/lgbm-tune")
    job = _describe(fh, "lgbm-tune")
    assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
    assert job["TrainingJobStatusCounters"]["Completed"] == 6
    assert job["ObjectiveStatusCounters"] == {"Succeeded": 6, "Pending": 0, "Failed": 0}
    assert job["HyperParameterTuningEndTime"] >= job["CreationTime"]
    _check_sagemaker_shape("DescribeHyperParameterTuningJob", job)

    trials = _trials(fh, "lgbm-tune")
    _check_sagemaker_shape("ListTrainingJobsForHyperParameterTuningJob",
                           {"TrainingJobSummaries": trials})
    assert len(trials) == 6 and len({t["TrainingJobName"] for t in trials}) == 6
    for t in trials:
        assert t["TrainingJobStatus"] == "Completed"
        assert set(t["TunedHyperParameters"]) == {"num_leaves", "learning_rate", "target_transform"}
        assert 4 <= int(t["TunedHyperParameters"]["num_leaves"]) <= 32
        assert 0.02 <= float(t["TunedHyperParameters"]["learning_rate"]) <= 0.3
        assert t["TrainingEndTime"] >= t["TrainingStartTime"]
        metric = t["FinalHyperParameterTuningJobObjectiveMetric"]
        assert metric["MetricName"] == "test:mean_wQuantileLoss" and metric["Type"] == "Minimize"
        others = {m["MetricName"]: m["Value"] for m in t["FinalMetricDataList"]}
        assert metric["Value"] == pytest.approx(others["AverageWeightedQuantileLoss"])
        assert {"WAPE", "RMSE", "MASE", "MAPE", "wQL[0.1]"} <= set(others)
    best = min(trials, key=lambda t: t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    assert job["BestTrainingJob"]["TrainingJobName"] == best["TrainingJobName"]
    assert job["BestTrainingJob"]["TunedHyperParameters"] == best["TunedHyperParameters"]

    by_value = _trials(fh, "lgbm-tune", SortBy="FinalObjectiveMetricValue")
    values = [t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for t in by_value]
    assert values == sorted(values) and by_value[0]["TrainingJobName"] == best["TrainingJobName"]
    newest_first = _trials(fh, "lgbm-tune", SortBy="CreationTime")
    assert [t["TrialNumber"] for t in newest_first] == [6, 5, 4, 3, 2, 1]
    page = fh.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="lgbm-tune", MaxResults=4)
    assert len(page["TrainingJobSummaries"]) == 4 and page["NextToken"]

    # the best trial became a legacy predictor with its hyperparameters, ACTIVE, a model version
    predictor = fh.describe_predictor(PredictorArn=job["BestPredictorArn"])
    assert predictor["PredictorName"] == "lgbm_tune_best" and predictor["Status"] == "ACTIVE"
    assert job["BestPredictorStatus"] == "ACTIVE"
    assert predictor["AlgorithmArn"].endswith("/LightGBM")
    expected = {**best["TunedHyperParameters"], "n_estimators": "20", "min_child_samples": "5"}
    assert predictor["TrainingParameters"] == expected
    model = _load_model(hub, job["BestPredictorArn"])  # the parameters reached the model
    assert model.lgb_params["num_leaves"] == int(expected["num_leaves"])
    assert model.lgb_params["learning_rate"] == pytest.approx(float(expected["learning_rate"]))
    assert model.lgb_params["n_estimators"] == 20 and model.lgb_params["min_child_samples"] == 5
    assert model.target_transform == expected["target_transform"]
    with hub.db.session() as s:
        version = s.scalars(select(ModelVersionRow).where(
            ModelVersionRow.predictor_arn == job["BestPredictorArn"])).one()
        assert version.parameters["training_parameters"]["num_leaves"] == int(expected["num_leaves"])

    # the results table
    from forecasthub.sql import run_query

    rows = run_query(hub, "SELECT trial_number, status, objective_value, is_best, "
                          "json_extract_string(parameters, '$.num_leaves') AS leaves, seconds "
                          "FROM tuning_trials WHERE tuning_job = 'lgbm-tune' "
                          "ORDER BY trial_number").rows
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(r[1] == "Completed" and r[5] >= 0 for r in rows)
    best_rows = [r for r in rows if r[3]]
    assert len(best_rows) == 1 and best_rows[0][2] == pytest.approx(
        best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    assert best_rows[0][4] == best["TunedHyperParameters"]["num_leaves"]

    listed = fh.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"]
    _check_sagemaker_shape("ListHyperParameterTuningJobs",
                           {"HyperParameterTuningJobSummaries": listed})
    assert [(j["HyperParameterTuningJobName"], j["Strategy"]) for j in listed] == [
        ("lgbm-tune", "Bayesian")]
    with pytest.raises(AlreadyExistsError, match="lgbm-tune"):
        fh.create_hyper_parameter_tuning_job(**job_request(shop["group"]))
    with pytest.raises(ResourceInUseError, match="Completed; only InProgress"):
        fh.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="lgbm-tune")


def test_random_search_with_parallel_trials(shop) -> None:
    fh = shop["fh"]
    req = job_request(shop["group"], name="rnd", strategy="Random", trials=4, parallel=2,
                      metric="RMSE")
    req["BestPredictorName"] = "rnd_winner"
    req["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] = "4"
    req["HyperParameterTuningJobConfig"]["ParameterRanges"]["IntegerParameterRanges"][0].update(
        MinValue=4, MaxValue=32.0)
    req["TrainingJobDefinition"]["StaticHyperParameters"]["n_estimators"] = 20
    fh.create_hyper_parameter_tuning_job(wait=True, **req)
    job = _describe(fh, "rnd")
    _check_sagemaker_shape("DescribeHyperParameterTuningJob", job)  # echoed with SageMaker's types
    assert job["HyperParameterTuningJobConfig"]["ParameterRanges"]["IntegerParameterRanges"][0][
        "MaxValue"] == "32.0"
    assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
    trials = _trials(fh, "rnd")
    assert len(trials) == 4 and all(t["TrainingJobStatus"] == "Completed" for t in trials)
    rmse = [t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for t in trials]
    assert job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == min(rmse)
    assert job["BestPredictorArn"].endswith("/rnd_winner")
    assert fh.describe_predictor(PredictorArn=job["BestPredictorArn"])["OptimizationMetric"] == "RMSE"


def test_failing_trials_are_recorded_and_the_search_goes_on(shop) -> None:
    fh = shop["fh"]
    req = job_request(shop["group"], name="ets-mixed", strategy="Random", trials=4,
                      algorithm="arn:aws:forecast:::algorithm/ETS", static={}, ranges=BAD_ETS)
    req["HyperParameterTuningJobConfig"]["RandomSeed"] = 1
    fh.create_hyper_parameter_tuning_job(wait=True, **req)
    job = _describe(fh, "ets-mixed")
    assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
    trials = _trials(fh, "ets-mixed")
    failed = [t for t in trials if t["TrainingJobStatus"] == "Failed"]
    completed = [t for t in trials if t["TrainingJobStatus"] == "Completed"]
    assert len(trials) == 4 and failed and completed
    for t in failed:
        assert t["TunedHyperParameters"]["model"] in ("XYZ", "QQQ")
        assert t["FailureReason"] and t["ObjectiveStatus"] == "Failed"
        assert "FinalHyperParameterTuningJobObjectiveMetric" not in t
    assert {t["TunedHyperParameters"]["model"] for t in completed} == {"ZZZ"}
    assert job["TrainingJobStatusCounters"]["NonRetryableError"] == len(failed)
    assert job["BestTrainingJob"]["TunedHyperParameters"] == {"model": "ZZZ"}
    assert fh.describe_predictor(PredictorArn=job["BestPredictorArn"])["Status"] == "ACTIVE"


def test_a_job_whose_trials_all_fail_fails(shop) -> None:
    fh = shop["fh"]
    ranges = {"CategoricalParameterRanges": [{"Name": "model", "Values": ["XYZ", "QQQ"]}]}
    fh.create_hyper_parameter_tuning_job(wait=True, **job_request(
        shop["group"], name="ets-bad", trials=2, algorithm="ETS", static={}, ranges=ranges))
    job = _describe(fh, "ets-bad")
    assert job["HyperParameterTuningJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("all 2 trial(s) failed")
    assert "BestTrainingJob" not in job and "BestPredictorArn" not in job
    with pytest.raises(NotFoundError):
        fh.describe_predictor(PredictorArn=fh.hub.arn("predictor", "ets_bad_best"))


def test_stop_between_trials(shop) -> None:
    fh = shop["fh"]
    created = fh.create_hyper_parameter_tuning_job(**job_request(shop["group"], name="stopme"))
    stopped = []

    def listener(state):  # runs in the job's thread after each recorded trial
        if state.get("done", 0) >= 2 and not stopped:
            stopped.append(fh.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="stopme"))
            described = _describe(fh, "stopme")
            assert described["HyperParameterTuningJobStatus"] == "Stopping"
            assert described["Progress"]["total"] == 6 and described["Progress"]["done"] >= 1

    assert created["HyperParameterTuningJobArn"].endswith("/stopme")
    fh.run_job(_job_id(fh, "stopme"), on_progress=listener)
    job = _describe(fh, "stopme")
    assert stopped and job["HyperParameterTuningJobStatus"] == "Stopped"
    trials = _trials(fh, "stopme")
    assert len(trials) == 2 and all(t["TrainingJobStatus"] == "Completed" for t in trials)
    assert "BestTrainingJob" in job and "BestPredictorArn" not in job
    with fh.hub.db.session() as s:
        state = s.scalars(select(JobRow).where(JobRow.resource_arn == job[
            "HyperParameterTuningJobArn"])).one().state
    assert state == "CANCELLED"


def _job_id(fh, name):
    with fh.hub.db.session() as s:
        arn = fh.describe_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name)["HyperParameterTuningJobArn"]
        return s.scalars(select(JobRow.id).where(JobRow.resource_arn == arn)).one()


def test_stop_before_start_and_errors(shop) -> None:
    fh = shop["fh"]
    fh.create_hyper_parameter_tuning_job(**job_request(shop["group"], name="never"))
    assert _describe(fh, "never")["HyperParameterTuningJobStatus"] == "InProgress"
    fh.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="never")
    job = _describe(fh, "never")
    assert job["HyperParameterTuningJobStatus"] == "Stopped" and job["TrainingJobStatusCounters"][
        "Completed"] == 0
    assert fh.run_pending() == 0  # its job was cancelled
    assert [j["HyperParameterTuningJobName"] for j in fh.list_hyper_parameter_tuning_jobs(
        StatusEquals="Stopped")["HyperParameterTuningJobSummaries"]] == ["never"]
    with pytest.raises(NotFoundError, match="'nope' not found"):
        fh.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="nope")
    with pytest.raises(NotFoundError, match="dataset-group/none not found"):
        bad = job_request("arn:aws:forecast:us-east-1:000000000000:dataset-group/none", name="x")
        fh.create_hyper_parameter_tuning_job(**bad)
    with pytest.raises(InvalidInputError, match="ForecastHorizon 60 is too long"):
        bad = job_request(shop["group"], name="x")
        bad["TrainingJobDefinition"]["DataConfig"]["ForecastHorizon"] = 60
        fh.create_hyper_parameter_tuning_job(**bad)
    fh.create_predictor(PredictorName="taken_best", AlgorithmArn="arn:aws:forecast:::algorithm/NPTS",
                        ForecastHorizon=7, InputDataConfig={"DatasetGroupArn": shop["group"]},
                        FeaturizationConfig={"ForecastFrequency": "D"})
    with pytest.raises(AlreadyExistsError, match="predictor named 'taken_best' already exists"):
        fh.create_hyper_parameter_tuning_job(**job_request(shop["group"], name="taken"))


def test_a_restarted_job_resumes_from_its_recorded_trials(shop) -> None:
    """A job that runs again (its worker stopped) keeps its recorded trials, replays them into
    the new study, records the interrupted one as Failed and runs only the remaining budget."""
    fh, hub = shop["fh"], shop["hub"]
    created = fh.create_hyper_parameter_tuning_job(**job_request(shop["group"], name="resume",
                                                                 trials=5))
    arn = created["HyperParameterTuningJobArn"]
    done = [({"num_leaves": 8, "learning_rate": 0.1, "target_transform": "scale"}, 0.05),
            ({"num_leaves": 16, "learning_rate": 0.05, "target_transform": "none"}, 0.04)]
    with hub.db.session() as s:  # what a worker that died during trial 3 leaves behind
        for number, (params, value) in enumerate(done, start=1):
            s.add(TuningTrialRow(id=uuid.uuid4().hex, tuning_job_arn=arn, number=number,
                                 name=f"resume-{number:03d}-old", status="Completed",
                                 parameters=params, objective_value=value,
                                 metrics={"AverageWeightedQuantileLoss": value}))
        s.add(TuningTrialRow(id=uuid.uuid4().hex, tuning_job_arn=arn, number=3,
                             name="resume-003-old", status="InProgress",
                             parameters={"num_leaves": 4, "learning_rate": 0.2,
                                         "target_transform": "none"}, metrics={}))
    fh.run_job(_job_id(fh, "resume"))
    job = _describe(fh, "resume")
    assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
    trials = sorted(_trials(fh, "resume"), key=lambda t: t["TrialNumber"])
    assert [t["TrialNumber"] for t in trials] == [1, 2, 3, 4, 5]
    assert [t["TrainingJobName"].endswith("-old") for t in trials] == [True] * 3 + [False] * 2
    assert trials[2]["TrainingJobStatus"] == "Failed"
    assert "interrupted" in trials[2]["FailureReason"]
    values = [t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for t in trials
              if t["TrainingJobStatus"] == "Completed"]
    assert job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == min(values)


def test_training_parameters_reach_the_model_and_are_checked(shop) -> None:
    fh, hub = shop["fh"], shop["hub"]
    base = {"AlgorithmArn": "arn:aws:forecast:::algorithm/LightGBM", "ForecastHorizon": 7,
            "InputDataConfig": {"DatasetGroupArn": shop["group"]},
            "FeaturizationConfig": {"ForecastFrequency": "D"}}
    with pytest.raises(InvalidInputError, match="TrainingParameters: unknown hyperparameter "
                                                "'leaves' for algorithm LightGBM; valid:"):
        fh.create_predictor(PredictorName="p_bad", TrainingParameters={"leaves": "3"}, **base)
    with pytest.raises(InvalidInputError, match="target_transform must be one of none, scale"):
        fh.create_predictor(PredictorName="p_bad", TrainingParameters={
            "target_transform": "log"}, **base)
    arn = fh.create_predictor(PredictorName="p_hp", wait=True, TrainingParameters={
        "num_leaves": "5", "n_estimators": "15", "lags": "1,7"}, **base)["PredictorArn"]
    described = fh.describe_predictor(PredictorArn=arn)
    assert described["Status"] == "ACTIVE", described.get("Message")
    assert described["TrainingParameters"] == {"num_leaves": "5", "n_estimators": "15",
                                               "lags": "1,7"}
    model = _load_model(hub, arn)
    assert (model.lgb_params["num_leaves"], model.lgb_params["n_estimators"], model.lags) == (
        5, 15, [1, 7])


def test_cli_and_rest(shop, tmp_path) -> None:
    """`forecasthub tuning ...` and POST /api/v1/<Operation> on a real server."""
    import httpx
    from click.testing import CliRunner

    from forecasthub.cli.main import cli
    from tests.api.conftest import running_server

    fh = shop["fh"]
    config = tmp_path / "job.json"
    config.write_text(json.dumps(job_request(shop["group"], name="cli-tune", trials=2)))
    runner = CliRunner()
    result = runner.invoke(cli, ["tuning", "create", "--config", str(config), "--wait"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["HyperParameterTuningJobStatus"] == "Completed"
    result = runner.invoke(cli, ["tuning", "trials", "cli-tune", "-f", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("trial_number,trial_name,status,objective_value,parameters")
    assert len(lines) == 3 and all(",Completed," in line for line in lines[1:])
    rows = json.loads(runner.invoke(cli, ["tuning", "trials", "cli-tune", "-f", "json"]).stdout)
    assert sum(r["is_best"] for r in rows) == 1
    table = runner.invoke(cli, ["tuning", "trials", "cli-tune", "--sort", "objective"],
                          env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "cli-tune-001" in table.stdout and "best" in table.stdout
    listed = json.loads(runner.invoke(cli, ["tuning", "list"]).stdout)
    assert [j["HyperParameterTuningJobName"] for j in listed["HyperParameterTuningJobSummaries"]] == [
        "cli-tune"]
    described = json.loads(runner.invoke(cli, ["tuning", "describe", "cli-tune"]).stdout)
    assert described["BestPredictorArn"].endswith("/cli_tune_best")
    bad = runner.invoke(cli, ["tuning", "stop", "cli-tune"])
    assert bad.exit_code == 1 and "only InProgress jobs can be stopped" in bad.stderr
    bad = runner.invoke(cli, ["tuning", "describe", "missing"])
    assert bad.exit_code == 1 and "ResourceNotFoundException" in bad.stderr
    config.write_text("{not json")
    bad = runner.invoke(cli, ["tuning", "create", "--config", str(config)])
    assert bad.exit_code == 1 and "not valid JSON" in bad.stderr

    home = fh.hub.settings.home
    with running_server(home.parent) as server:
        assert server.hub.settings.home == home
        with httpx.Client(base_url=server.url + "/api/v1", headers=server.bearer,
                          timeout=30) as api:
            got = api.post("/DescribeHyperParameterTuningJob",
                           json={"HyperParameterTuningJobName": "cli-tune"})
            assert got.status_code == 200, got.text
            assert got.json()["HyperParameterTuningJobStatus"] == "Completed"
            trials = api.post("/ListTrainingJobsForHyperParameterTuningJob", json={
                "HyperParameterTuningJobName": "cli-tune", "SortBy": "FinalObjectiveMetricValue"})
            assert len(trials.json()["TrainingJobSummaries"]) == 2
            assert api.get("/hyperparameter-tuning-jobs").json()[
                "HyperParameterTuningJobSummaries"][0]["HyperParameterTuningJobName"] == "cli-tune"
            bad = api.post("/CreateHyperParameterTuningJob", json={
                **job_request(shop["group"], name="rest-bad"),
                "HyperParameterTuningJobConfig": {"Strategy": "Grid"}})
            assert bad.status_code == 400 and "Strategy must be one of Bayesian, Random" in bad.text
            ops = api.get("/operations").json()["Operations"]
            assert "StopHyperParameterTuningJob" in ops
        schema = httpx.get(server.url + "/openapi.json", timeout=30).json()
        assert schema["paths"]["/api/v1/CreateHyperParameterTuningJob"]["post"]["tags"] == [
            "hyperparameter tuning"]
        # boto3's forecast client still works against the same server
        assert server.client("forecast").list_dataset_groups()["DatasetGroups"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_job_on_postgresql(home, database_url, monkeypatch, tmp_path) -> None:
    """The same records on PostgreSQL (skipped when no PostgreSQL can be started)."""
    from forecasthub.client import Client
    from forecasthub.sql import run_query

    monkeypatch.setenv("FORECASTHUB_DATABASE_URL", database_url)
    fh = Client()
    try:
        shop = make_shop(fh, tmp_path)
        fh.create_hyper_parameter_tuning_job(wait=True, **job_request(shop["group"], name="pg",
                                                                       trials=2))
        job = _describe(fh, "pg")
        assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
        trials = _trials(fh, "pg", SortBy="FinalObjectiveMetricValue")
        assert len(trials) == 2 and trials[0]["TrainingJobName"] == job["BestTrainingJob"][
            "TrainingJobName"]
        assert fh.describe_predictor(PredictorArn=job["BestPredictorArn"])["Status"] == "ACTIVE"
        assert run_query(fh.hub, "SELECT count(*) FROM tuning_trials WHERE is_best").rows == [(1,)]
    finally:
        fh.close()

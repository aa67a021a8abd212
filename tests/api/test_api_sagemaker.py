"""boto3's `sagemaker` client (tuning jobs, AWS JSON 1.1 with target prefix SageMaker.) and
`sagemaker-runtime` client (InvokeEndpoint, rest-json) against a real server, signing name
`sagemaker`, with real training on the server's embedded worker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.api.conftest import Server, _check, running_server
from tests.tuning.conftest import SCHEMA, write_daily_csv

HORIZON = 7
# members forecasthub adds to SageMaker's responses (botocore ignores unknown members)
OURS = {"BestPredictorArn", "BestPredictorStatus", "Progress", "TrialNumber", "TrainingSeconds",
        "FinalMetricDataList"}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sagemaker-api")


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[Server]:
    with running_server(root) as srv:
        yield srv


def until(describe: Callable[[], dict[str, Any]], member: str, done: tuple[str, ...],
          timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        out = describe()
        if out[member] in done or time.monotonic() > deadline:
            return out
        time.sleep(0.3)


@pytest.fixture(scope="module")
def daily(server: Server, root: Path) -> dict[str, str]:
    """Dataset group `daily` (8 series x 120 days) imported with boto3's forecast client, and a
    legacy ETS predictor `ets_daily` queued on it."""
    forecast = server.client("forecast")
    csv = write_daily_csv(root / "data" / "daily.csv")
    dataset = forecast.create_dataset(DatasetName="daily_tts", Domain="CUSTOM",
                                      DatasetType="TARGET_TIME_SERIES", DataFrequency="D",
                                      Schema=SCHEMA)["DatasetArn"]
    group = forecast.create_dataset_group(DatasetGroupName="daily", Domain="CUSTOM",
                                          DatasetArns=[dataset])["DatasetGroupArn"]
    job = forecast.create_dataset_import_job(
        DatasetImportJobName="first", DatasetArn=dataset, TimestampFormat="yyyy-MM-dd",
        DataSource={"S3Config": {"Path": str(csv), "RoleArn": "arn:aws:iam::0:role/r"}},
    )["DatasetImportJobArn"]
    described = until(lambda: forecast.describe_dataset_import_job(DatasetImportJobArn=job),
                      "Status", ("ACTIVE", "CREATE_FAILED"))
    assert described["Status"] == "ACTIVE", described.get("Message")
    predictor = forecast.create_predictor(
        PredictorName="ets_daily", AlgorithmArn="arn:aws:forecast:::algorithm/ETS",
        ForecastHorizon=HORIZON, InputDataConfig={"DatasetGroupArn": group},
        FeaturizationConfig={"ForecastFrequency": "D"})["PredictorArn"]
    return {"group": group, "predictor": predictor}


def check_sagemaker_shape(http_response: Any, model: Any, **_: Any) -> None:
    """after-call hook: a 200 body matches botocore's SageMaker output shape, our extras aside."""
    if http_response.status_code != 200:
        return

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in OURS}
        return [strip(v) for v in value] if isinstance(value, list) else value

    problems: list[str] = []
    _check(strip(json.loads(http_response.content or b"{}")), model.output_shape, model.name,
           problems)
    assert not problems, f"{model.name} response does not match botocore's model: {problems}"


def sagemaker_client(server: Server) -> Any:
    client = server.client("sagemaker", validate=False)
    client.meta.events.register("after-call.sagemaker.*", check_sagemaker_shape)
    return client


def tuning_request(name: str, group_uri: str) -> dict[str, Any]:
    """What SageMaker code sends (botocore validates it client-side): the data described the
    DeepAR way, the infrastructure members that forecasthub ignores."""
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random", "RandomSeed": 3,
            "HyperParameterTuningJobObjective": {"Type": "Minimize",
                                                 "MetricName": "test:mean_wQuantileLoss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {"IntegerParameterRanges": [
                {"Name": "num_leaves", "MinValue": "4", "MaxValue": "16",
                 "ScalingType": "Linear"}]},
            "TrainingJobEarlyStoppingType": "Off",
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"AlgorithmName": "LightGBM", "TrainingInputMode": "File"},
            "StaticHyperParameters": {"n_estimators": "10", "min_child_samples": "5",
                                      "prediction_length": str(HORIZON), "time_freq": "1D"},
            "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": group_uri,
                "S3DataDistributionType": "FullyReplicated"}}, "ContentType": "json"}],
            "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
            "ResourceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1,
                               "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }


def test_boto3_sagemaker_client_runs_a_tuning_job(server: Server, daily: dict[str, str]) -> None:
    sm = sagemaker_client(server)
    arn = sm.create_hyper_parameter_tuning_job(
        **tuning_request("sm-tune", "forecasthub://dataset-group/daily"))["HyperParameterTuningJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/sm-tune"
    job = until(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="sm-tune"),
                "HyperParameterTuningJobStatus", ("Completed", "Failed", "Stopped"))
    assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
    assert job["CreationTime"].year >= 2024  # epoch seconds parsed into datetimes
    assert job["HyperParameterTuningEndTime"] >= job["CreationTime"]
    assert job["TrainingJobStatusCounters"]["Completed"] == 2
    assert job["TrainingJobDefinition"]["RoleArn"].endswith("role/SageMakerRole")  # echoed
    best = job["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == \
        "test:mean_wQuantileLoss"
    assert 4 <= int(best["TunedHyperParameters"]["num_leaves"]) <= 16

    trials = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="sm-tune", SortBy="FinalObjectiveMetricValue")
    names = [t["TrainingJobName"] for t in trials["TrainingJobSummaries"]]
    assert len(names) == 2 and names[0] == best["TrainingJobName"]
    assert all(t["TrainingEndTime"] >= t["TrainingStartTime"]
               for t in trials["TrainingJobSummaries"])
    listed = sm.list_hyper_parameter_tuning_jobs(NameContains="sm-tu")
    assert [j["HyperParameterTuningJobName"] for j in listed["HyperParameterTuningJobSummaries"]] \
        == ["sm-tune"]

    # SageMaker's error names: client.exceptions.ResourceNotFound / ResourceInUse
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="missing")
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.create_hyper_parameter_tuning_job(**tuning_request("sm-tune", daily["group"]))
    with pytest.raises(sm.exceptions.ResourceInUse, match="only InProgress jobs can be stopped"):
        sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="sm-tune")
    bad = tuning_request("sm-bad", daily["group"])
    bad["TrainingJobDefinition"]["StaticHyperParameters"]["time_freq"] = "W-SUN"
    with pytest.raises(ClientError, match="time_freq 'W-SUN' is not a frequency") as exc:
        sm.create_hyper_parameter_tuning_job(**bad)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    bad = tuning_request("sm-bad", "s3://bucket/train/")
    with pytest.raises(ClientError, match="'train' channel whose DataSource.S3DataSource.S3Uri"):
        sm.create_hyper_parameter_tuning_job(**bad)


def signed_post(server: Server, target: str, body: bytes, service: str) -> httpx.Response:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    request = AWSRequest(method="POST", url=server.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(server.key_id, server.secret), service, "us-east-1").add_auth(request)
    return httpx.post(server.url + "/", content=body, headers=dict(request.headers.items()))


def test_each_target_prefix_answers_its_own_operations(server: Server) -> None:
    body = json.dumps({"HyperParameterTuningJobName": "none"}).encode()
    for target, service in (("AmazonForecast.CreateHyperParameterTuningJob", "forecast"),
                            ("AmazonForecast.DescribeHyperParameterTuningJob", "forecast"),
                            ("SageMaker.ListDatasetGroups", "sagemaker"),
                            ("SageMaker.CreateTrainingJob", "sagemaker")):
        response = signed_post(server, target, body, service)
        assert response.status_code == 400, target
        assert response.json()["__type"] == "UnknownOperationException", target
    found = signed_post(server, "SageMaker.DescribeHyperParameterTuningJob", body, "sagemaker")
    assert found.json()["__type"] == "ResourceNotFound"
    for service in ("s3", "sagemaker-runtime"):
        refused = signed_post(server, "SageMaker.ListHyperParameterTuningJobs", b"{}", service)
        assert refused.status_code == 403
        assert refused.json()["__type"] == "IncompleteSignatureException"
        assert "forecast or sagemaker" in refused.json()["message"]


def test_the_signing_name_is_bound_to_the_api(server: Server) -> None:
    """forecast-signed requests reach only Forecast's targets, sagemaker-signed ones only
    SageMaker's; the REST API and /invocations take either."""
    for target, service, expected in (("SageMaker.ListHyperParameterTuningJobs", "forecast", "sagemaker"),
                                      ("AmazonForecast.ListDatasetGroups", "sagemaker", "forecast"),
                                      ("AmazonForecastRuntime.QueryForecast", "sagemaker", "forecast")):
        refused = signed_post(server, target, b"{}", service)
        assert refused.status_code == 403, target
        assert refused.json()["__type"] == "IncompleteSignatureException", target
        assert f"with service {expected} for this API" in refused.json()["message"]

    def signed(path: str, service: str, method: str = "POST", body: bytes = b"{}") -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        request = AWSRequest(method=method, url=server.url + path, data=body, headers=headers)
        SigV4Auth(Credentials(server.key_id, server.secret), service, "us-east-1").add_auth(request)
        return httpx.request(method, server.url + path, content=body,
                             headers=dict(request.headers.items()), timeout=30)

    refused = signed("/endpoints/nowhere/invocations", "forecast")
    assert refused.status_code == 401
    assert refused.json()["code"] == "IncompleteSignatureException"
    assert "with service sagemaker" in refused.json()["message"]
    assert signed("/endpoints/nowhere/invocations", "sagemaker").status_code == 400  # not found
    for service in ("forecast", "sagemaker"):  # REST and /invocations: either name
        assert signed("/api/v1/dataset-groups", service, "GET", b"").status_code == 200, service
        answer = signed("/invocations?predictor=nowhere", service)
        assert answer.status_code == 404, (service, answer.text)

    # boto3's clients sign with their own names and keep working
    assert "DatasetGroups" in server.client("forecast").list_dataset_groups()
    assert "HyperParameterTuningJobSummaries" in \
        server.client("sagemaker").list_hyper_parameter_tuning_jobs()
    runtime = server.client("sagemaker-runtime", validate=False)
    with pytest.raises(runtime.exceptions.ValidationError, match="Endpoint nowhere not found"):
        runtime.invoke_endpoint(EndpointName="nowhere", Body=b"{}", ContentType="application/json")


def instances(n: int = 2) -> list[dict[str, Any]]:
    return [{"start": "2024-01-01 00:00:00",
             "target": [float(10 + i + (d % 7)) for d in range(60)]} for i in range(n)]


def test_invoke_endpoint(server: Server, daily: dict[str, str]) -> None:
    forecast = server.client("forecast")
    predictor = until(lambda: forecast.describe_predictor(PredictorArn=daily["predictor"]),
                      "Status", ("ACTIVE", "CREATE_FAILED"))
    assert predictor["Status"] == "ACTIVE", predictor.get("Message")
    runtime = server.client("sagemaker-runtime", validate=False)
    request = {"instances": instances(2),
               "configuration": {"output_types": ["mean", "quantiles"],
                                 "quantiles": ["0.1", "0.5", "0.9"]}}
    response = runtime.invoke_endpoint(EndpointName="ets_daily", Body=json.dumps(request),
                                       ContentType="application/json", Accept="application/json")
    assert response["ContentType"] == "application/json"
    predictions = json.loads(response["Body"].read())["predictions"]
    assert len(predictions) == 2
    for p in predictions:
        assert set(p) == {"mean", "quantiles"} and len(p["mean"]) == HORIZON
        assert set(p["quantiles"]) == {"0.1", "0.5", "0.9"}
        assert all(len(v) == HORIZON for v in p["quantiles"].values())
    # the same answer as POST /invocations
    same = httpx.post(f"{server.url}/invocations?predictor=ets_daily", json=request,
                      headers=server.bearer, timeout=60)
    assert same.json() == {"predictions": predictions}

    with pytest.raises(runtime.exceptions.ValidationError, match="not valid JSON") as exc:
        runtime.invoke_endpoint(EndpointName="ets_daily", Body=b"{not json",
                                ContentType="application/json")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(runtime.exceptions.ValidationError, match="instances"):
        runtime.invoke_endpoint(EndpointName="ets_daily", Body=json.dumps({"instance": []}),
                                ContentType="application/json")
    with pytest.raises(runtime.exceptions.ValidationError, match="Endpoint nowhere not found"):
        runtime.invoke_endpoint(EndpointName="nowhere", Body=json.dumps(request),
                                ContentType="application/json")
    # a dataset group name answers with its deployed model version, once it has one
    with pytest.raises(runtime.exceptions.ValidationError, match="no deployed model version"):
        runtime.invoke_endpoint(EndpointName="daily", Body=json.dumps(request),
                                ContentType="application/json")
    from forecasthub import registry

    version = registry.register_predictor(server.hub, "ets_daily")["Version"]
    registry.set_status(server.hub, "daily", version, registry.APPROVED)
    registry.deploy(server.hub, "daily", version)
    by_group = runtime.invoke_endpoint(EndpointName="daily", Body=json.dumps(request),
                                       ContentType="application/json")
    assert json.loads(by_group["Body"].read())["predictions"] == predictions

    wrong = server.client("sagemaker-runtime", secret="y" * 40, validate=False)
    with pytest.raises(ClientError) as exc:
        wrong.invoke_endpoint(EndpointName="ets_daily", Body=json.dumps(request),
                              ContentType="application/json")
    assert exc.value.response["Error"]["Code"] == "InvalidSignatureException"

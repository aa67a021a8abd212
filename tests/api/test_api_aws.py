"""boto3's `forecast` and `forecastquery` clients against a real server (AWS JSON 1.1 + SigV4)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import SAMPLES

ACCOUNT = "arn:aws:forecast:us-east-1:000000000000"
SCHEMA = {"Attributes": [{"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"},
                         {"AttributeName": "item_id", "AttributeType": "string"}]}
ELECTRICITY = SAMPLES / "electricity" / "item-demand-time.csv"


def signed_post(server: Any, target: str | None, body: bytes, *, secret: str | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
    """A raw AWS JSON request signed by botocore's own signer."""
    all_headers = {"Content-Type": "application/x-amz-json-1.1", **(headers or {})}
    if target:
        all_headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url=server.url + "/", data=body, headers=all_headers)
    SigV4Auth(Credentials(server.key_id, secret or server.secret), "forecast", "us-east-1").add_auth(request)
    return httpx.post(server.url + "/", content=body, headers=dict(request.headers.items()))


def test_dataset_group_and_dataset_lifecycle(forecast: Any) -> None:
    ds = forecast.create_dataset(DatasetName="life_tts", Domain="CUSTOM",
                                 DatasetType="TARGET_TIME_SERIES", DataFrequency="H",
                                 Schema=SCHEMA)["DatasetArn"]
    assert ds == f"{ACCOUNT}:dataset/life_tts"
    described = forecast.describe_dataset(DatasetArn=ds)
    assert described["Schema"] == SCHEMA and described["Status"] == "ACTIVE"
    assert described["CreationTime"].year >= 2024  # epoch seconds parsed into a datetime

    group = forecast.create_dataset_group(DatasetGroupName="life", Domain="CUSTOM",
                                          DatasetArns=[ds])["DatasetGroupArn"]
    assert forecast.describe_dataset_group(DatasetGroupArn=group)["DatasetArns"] == [ds]
    forecast.update_dataset_group(DatasetGroupArn=group, DatasetArns=[])
    assert forecast.describe_dataset_group(DatasetGroupArn=group)["DatasetArns"] == []
    names = {g["DatasetGroupName"] for g in forecast.list_dataset_groups()["DatasetGroups"]}
    assert "life" in names
    assert any(d["DatasetArn"] == ds for d in forecast.list_datasets()["Datasets"])

    assert forecast.delete_dataset_group(DatasetGroupArn=group)["ResponseMetadata"]["HTTPStatusCode"] == 200
    forecast.delete_dataset(DatasetArn=ds)
    with pytest.raises(forecast.exceptions.ResourceNotFoundException):
        forecast.describe_dataset_group(DatasetGroupArn=group)
    with pytest.raises(forecast.exceptions.ResourceNotFoundException):  # wait_till_delete's exit
        forecast.delete_dataset(DatasetArn=ds)


def test_error_classes(forecast: Any) -> None:
    forecast.create_dataset_group(DatasetGroupName="errs", Domain="CUSTOM")
    with pytest.raises(forecast.exceptions.ResourceAlreadyExistsException) as exc:
        forecast.create_dataset_group(DatasetGroupName="errs", Domain="CUSTOM")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(forecast.exceptions.InvalidInputException, match="not a valid name"):
        forecast.create_dataset_group(DatasetGroupName="with-hyphen", Domain="CUSTOM")
    with pytest.raises(forecast.exceptions.InvalidInputException, match="Domain"):
        forecast.create_dataset_group(DatasetGroupName="bad_domain", Domain="SPORTS")
    with pytest.raises(forecast.exceptions.InvalidNextTokenException):
        forecast.list_dataset_groups(NextToken="not-a-token")
    with pytest.raises(forecast.exceptions.ResourceNotFoundException):
        forecast.describe_dataset(DatasetArn=f"{ACCOUNT}:dataset/missing")


def test_pagination_with_paginators(forecast: Any) -> None:
    created = {f"page_{i}" for i in range(7)}
    for name in created:
        forecast.create_dataset_group(DatasetGroupName=name, Domain="RETAIL")
    pages = list(forecast.get_paginator("list_dataset_groups").paginate(
        PaginationConfig={"PageSize": 3}))
    assert len(pages) >= 3 and all(len(p["DatasetGroups"]) <= 3 for p in pages)
    names = [g["DatasetGroupName"] for p in pages for g in p["DatasetGroups"]]
    assert created <= set(names) and len(names) == len(set(names))
    first = forecast.list_dataset_groups(MaxResults=2)
    second = forecast.list_dataset_groups(MaxResults=2, NextToken=first["NextToken"])
    assert first["DatasetGroups"] != second["DatasetGroups"]


def test_tags(forecast: Any) -> None:
    arn = forecast.create_dataset_group(DatasetGroupName="tagged", Domain="CUSTOM",
                                        Tags=[{"Key": "team", "Value": "demand"}])["DatasetGroupArn"]
    assert forecast.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "demand"}]
    forecast.tag_resource(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}])
    forecast.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert forecast.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]


def test_import_job_runs_on_the_embedded_workers(forecast: Any) -> None:
    if not ELECTRICITY.exists():
        pytest.skip(f"{ELECTRICITY} not found")
    ds = forecast.create_dataset(DatasetName="elec_tts", Domain="CUSTOM",
                                 DatasetType="TARGET_TIME_SERIES", DataFrequency="H",
                                 Schema=SCHEMA)["DatasetArn"]
    job = forecast.create_dataset_import_job(
        DatasetImportJobName="elec_import", DatasetArn=ds,
        DataSource={"S3Config": {"Path": str(ELECTRICITY),
                                 "RoleArn": "arn:aws:iam::000000000000:role/ForecastRole"}},
        TimestampFormat="yyyy-MM-dd hh:mm:ss",
    )["DatasetImportJobArn"]
    assert job == f"{ACCOUNT}:dataset-import-job/elec_tts/elec_import"
    status = poll(lambda: forecast.describe_dataset_import_job(DatasetImportJobArn=job), 90)
    described = forecast.describe_dataset_import_job(DatasetImportJobArn=job)
    assert status == "ACTIVE", described.get("Message")
    assert described["FieldStatistics"]["item_id"]["CountDistinct"] == 3
    listed = forecast.list_dataset_import_jobs(Filters=[{"Key": "DatasetArn", "Value": ds,
                                                         "Condition": "IS"}])
    assert [j["DatasetImportJobArn"] for j in listed["DatasetImportJobs"]] == [job]
    with pytest.raises(forecast.exceptions.ResourceAlreadyExistsException):
        forecast.create_dataset_import_job(
            DatasetImportJobName="elec_import", DatasetArn=ds,
            DataSource={"S3Config": {"Path": str(ELECTRICITY), "RoleArn": "arn:aws:iam::0:role/r"}})


def test_import_paths_outside_the_roots_are_refused(forecast: Any) -> None:
    ds = forecast.create_dataset(DatasetName="roots_tts", Domain="CUSTOM",
                                 DatasetType="TARGET_TIME_SERIES", Schema=SCHEMA)["DatasetArn"]
    for path in ("/etc/passwd", "file:///etc/hostname", f"{SAMPLES}/../../../../etc/passwd"):
        with pytest.raises(forecast.exceptions.InvalidInputException, match="outside the allowed"):
            forecast.create_dataset_import_job(
                DatasetImportJobName="sneaky", DatasetArn=ds,
                DataSource={"S3Config": {"Path": path, "RoleArn": "arn:aws:iam::0:role/r"}})


def test_forecastquery_client_is_routed_to_the_runtime_operations(server: Any) -> None:
    query = server.client("forecastquery")
    with pytest.raises(query.exceptions.ResourceNotFoundException):
        query.query_forecast(ForecastArn=f"{ACCOUNT}:forecast/none", Filters={"item_id": "x"})


def test_unknown_operation_and_wrong_prefix(server: Any) -> None:
    for target in ("AmazonForecast.DoSomethingElse", "AmazonForecastRuntime.CreateDatasetGroup",
                   "AmazonForecast.QueryForecast", "Other.ListDatasets"):
        response = signed_post(server, target, b"{}")
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/x-amz-json-1.1"
        assert response.json()["__type"] == "UnknownOperationException"
    assert signed_post(server, None, b"{}").json()["__type"] == "UnknownOperationException"


def test_json_nulls_count_as_absent_and_bad_json_is_refused(server: Any) -> None:
    body = json.dumps({"DatasetGroupName": "nulls", "Domain": "CUSTOM", "DatasetArns": None,
                       "Tags": None}).encode()
    response = signed_post(server, "AmazonForecast.CreateDatasetGroup", body)
    assert response.status_code == 200, response.text
    assert response.json() == {"DatasetGroupArn": f"{ACCOUNT}:dataset-group/nulls"}
    bad = signed_post(server, "AmazonForecast.ListDatasets", b"{not json")
    assert bad.status_code == 400 and bad.json()["__type"] == "SerializationException"
    private = signed_post(server, "AmazonForecast.ListDatasets", b'{"_JobId": "x"}')
    assert private.json()["__type"] == "InvalidInputException"


def test_job_ids_stay_private(server: Any) -> None:
    response = signed_post(server, "AmazonForecast.CreateDatasetImportJob", json.dumps({
        "DatasetImportJobName": "j", "DatasetArn": f"{ACCOUNT}:dataset/none",
        "DataSource": {"S3Config": {"Path": str(ELECTRICITY), "RoleArn": "arn:aws:iam::0:role/r"}},
    }).encode())
    assert response.json()["__type"] == "ResourceNotFoundException"


def test_wrong_secret_unknown_key_and_no_signature_are_refused(server: Any) -> None:
    wrong = server.client(secret="y" * 40, validate=False)
    with pytest.raises(ClientError) as exc:
        wrong.list_dataset_groups()
    assert exc.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    unknown = server.client(key_id="AKIAUNKNOWNUNKNOWN00", validate=False)
    with pytest.raises(ClientError) as exc:
        unknown.list_dataset_groups()
    assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"

    from botocore import UNSIGNED

    anonymous = server.client(validate=False, signature_version=UNSIGNED)
    with pytest.raises(ClientError) as exc:
        anonymous.list_dataset_groups()
    assert exc.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    raw = httpx.post(server.url + "/", content=b"{}",
                     headers={"X-Amz-Target": "AmazonForecast.ListDatasetGroups"})
    assert raw.status_code == 403 and "Missing Authentication Token" in raw.json()["message"]


def test_tampered_body_target_or_stale_date_is_refused(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    body = b'{"DatasetGroupName": "tamper", "Domain": "CUSTOM"}'
    request = AWSRequest(method="POST", url=server.url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonForecast.CreateDatasetGroup"})
    SigV4Auth(Credentials(server.key_id, server.secret), "forecast", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    changed = httpx.post(server.url + "/", content=body.replace(b"tamper", b"other"), headers=headers)
    assert changed.json()["__type"] == "InvalidSignatureException"
    retarget = httpx.post(server.url + "/", content=body,
                          headers={**headers, "X-Amz-Target": "AmazonForecast.DeleteDatasetGroup"})
    assert retarget.json()["__type"] == "InvalidSignatureException"
    unsigned_target = {**headers, "Authorization": headers["Authorization"].replace(
        "x-amz-target", "x-amz-date", 1)}
    assert httpx.post(server.url + "/", content=body, headers=unsigned_target).json()["__type"] in (
        "IncompleteSignatureException", "InvalidSignatureException")

    # a signed X-Amz-Content-SHA256 stands in for the body in the signature: it must match it
    import hashlib

    declared = hashlib.sha256(b"{}").hexdigest()
    swapped = signed_post(server, "AmazonForecast.CreateDatasetGroup", b"{}",
                          headers={"X-Amz-Content-SHA256": declared})
    assert swapped.json()["__type"] == "InvalidInputException"  # signature fine, request empty
    request = AWSRequest(method="POST", url=server.url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonForecast.CreateDatasetGroup",
        "X-Amz-Content-SHA256": declared})
    SigV4Auth(Credentials(server.key_id, server.secret), "forecast", "us-east-1").add_auth(request)
    forged = httpx.post(server.url + "/", content=body, headers=dict(request.headers.items()))
    assert forged.json()["__type"] == "InvalidSignatureException"

    import datetime as dt

    import botocore.auth

    stale = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: stale)
    old = signed_post(server, "AmazonForecast.ListDatasetGroups", b"{}")
    assert old.status_code == 403
    assert old.json()["__type"] == "InvalidSignatureException" and "expired" in old.json()["message"]


def test_request_too_large(server: Any, forecast: Any) -> None:
    with pytest.raises(ClientError) as exc:
        forecast.create_dataset_group(DatasetGroupName="big", Domain="CUSTOM",
                                      Tags=[{"Key": "k", "Value": "v" * (2 * 1024 * 1024)}])
    assert exc.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413

    def chunks() -> Any:  # no Content-Length: counted while read
        for _ in range(20):
            yield b" " * 100_000

    chunked = httpx.post(server.url + "/", content=chunks(),
                         headers={"X-Amz-Target": "AmazonForecast.ListDatasets"})
    assert chunked.status_code == 413


def test_internal_errors_show_no_trace(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from forecasthub.services.operations import OPERATIONS

    def broken(hub: Any, req: Any) -> Any:
        raise RuntimeError("secret internals /very/private/path")

    monkeypatch.setitem(OPERATIONS, "ListDatasets", broken)
    response = signed_post(server, "AmazonForecast.ListDatasets", b"{}")
    assert response.status_code == 500
    assert response.json()["__type"] == "InternalFailure"
    assert "private" not in response.text and "Traceback" not in response.text


def poll(describe: Any, timeout: float) -> str:
    """The notebooks' wait loop: until ACTIVE or CREATE_FAILED."""
    deadline = time.monotonic() + timeout
    while True:
        status = describe()["Status"]
        if status in ("ACTIVE", "CREATE_FAILED") or time.monotonic() > deadline:
            return status
        time.sleep(0.2)

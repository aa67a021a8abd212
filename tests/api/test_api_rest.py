"""The REST API under /api/v1: bearer and SigV4 auth, conveniences, JSON errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCOUNT = "arn:aws:forecast:us-east-1:000000000000"


@pytest.fixture
def api(server: Any) -> httpx.Client:
    with httpx.Client(base_url=server.url + "/api/v1", headers=server.bearer, timeout=30) as client:
        yield client


def test_operations_with_bearer_auth(api: httpx.Client) -> None:
    created = api.post("/CreateDatasetGroup", json={"DatasetGroupName": "rest", "Domain": "CUSTOM"})
    assert created.status_code == 200, created.text
    arn = created.json()["DatasetGroupArn"]
    assert arn == f"{ACCOUNT}:dataset-group/rest"
    assert api.post("/DescribeDatasetGroup", json={"DatasetGroupArn": arn}).json()["Domain"] == "CUSTOM"
    assert api.get("/dataset-groups/rest").json()["DatasetGroupArn"] == arn
    assert api.get("/describe", params={"arn": arn}).json()["DatasetGroupName"] == "rest"
    listed = api.get("/dataset-groups", params={"MaxResults": 100}).json()
    assert arn in [g["DatasetGroupArn"] for g in listed["DatasetGroups"]]
    assert api.get("/jobs").json() == {"Jobs": []} or "Jobs" in api.get("/jobs").json()
    assert "CreateDatasetGroup" in api.get("/operations").json()["Operations"]


def test_lists_take_filters_and_pages(api: httpx.Client) -> None:
    for i in range(3):
        api.post("/CreateDatasetGroup", json={"DatasetGroupName": f"restpage_{i}", "Domain": "CUSTOM"})
    first = api.get("/dataset-groups", params={"MaxResults": 1}).json()
    second = api.get("/dataset-groups", params={"MaxResults": 1, "NextToken": first["NextToken"]}).json()
    assert first["DatasetGroups"] != second["DatasetGroups"]
    empty = api.get("/dataset-import-jobs", params={"filter": "Status:CREATE_STOPPED"}).json()
    assert empty == {"DatasetImportJobs": []}
    for path, bad_filter in (("/dataset-import-jobs", "Nope:x"), ("/datasets", "Status:ACTIVE"),
                             ("/dataset-import-jobs", "no-colon")):
        bad = api.get(path, params={"filter": bad_filter})
        assert bad.status_code == 400 and bad.json()["code"] == "InvalidInputException"


def test_errors_are_json_with_the_error_status(api: httpx.Client) -> None:
    missing = api.post("/DescribeDatasetGroup", json={"DatasetGroupArn": f"{ACCOUNT}:dataset-group/nope"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "ResourceNotFoundException" and "not found" in missing.json()["message"]
    api.post("/CreateDatasetGroup", json={"DatasetGroupName": "dup", "Domain": "CUSTOM"})
    dup = api.post("/CreateDatasetGroup", json={"DatasetGroupName": "dup", "Domain": "CUSTOM"})
    assert dup.status_code == 409 and dup.json()["code"] == "ResourceAlreadyExistsException"
    bad = api.post("/CreateDatasetGroup", json={"DatasetGroupName": "a-b", "Domain": "CUSTOM"})
    assert bad.status_code == 400 and set(bad.json()) == {"code", "message"}
    not_object = api.post("/ListDatasets", json=[1, 2])
    assert not_object.status_code == 400 and not_object.json()["code"] == "InvalidInputException"
    assert api.get("/dataset-groups/bad-name").status_code == 400
    unknown = api.get("/no-such-thing")
    assert unknown.status_code == 404 and unknown.json()["code"] == "NotFound"


def test_non_json_bodies_are_not_run(api: httpx.Client) -> None:
    """A browser can send text/plain cross-site without asking first: such bodies never run."""
    body = json.dumps({"DatasetGroupName": "csrf", "Domain": "CUSTOM"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = api.post("/CreateDatasetGroup", content=body, headers=headers)
        assert response.status_code == 400, (content_type, response.text)
    assert api.get("/dataset-groups/csrf").status_code == 404


def test_authentication_is_required(server: Any) -> None:
    url = server.url + "/api/v1/dataset-groups"
    none = httpx.get(url)
    assert none.status_code == 401 and none.json()["code"] == "MissingAuthenticationTokenException"
    assert none.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx.get(url, headers={"Authorization": f"Bearer {server.key_id}:{'z' * 40}"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "UnrecognizedClientException"
    garbage = httpx.get(url, headers={"Authorization": "Bearer nonsense"})
    assert garbage.status_code == 401
    basic = httpx.get(url, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    post = httpx.post(server.url + "/api/v1/CreateDatasetGroup",
                      json={"DatasetGroupName": "noauth", "Domain": "CUSTOM"})
    assert post.status_code == 401
    assert httpx.get(server.url + "/api/v1/health").json() == {"status": "ok"}


def test_sigv4_works_on_rest_too(server: Any) -> None:
    url = server.url + "/api/v1/dataset-import-jobs?MaxResults=5&filter=Status%3AACTIVE"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(server.key_id, server.secret), "forecast", "us-east-1").add_auth(request)
    response = httpx.get(url, headers=dict(request.headers.items()))
    assert response.status_code == 200, response.text
    body = b'{"DatasetGroupName": "signed_rest", "Domain": "CUSTOM"}'
    post = AWSRequest(method="POST", url=server.url + "/api/v1/CreateDatasetGroup", data=body,
                      headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(server.key_id, server.secret), "forecast", "us-east-1").add_auth(post)
    assert httpx.post(post.url, content=body, headers=dict(post.headers.items())).status_code == 200
    forged = httpx.post(post.url, content=body.replace(b"signed_rest", b"forged_rest"),
                        headers=dict(post.headers.items()))
    assert forged.status_code == 401 and forged.json()["code"] == "InvalidSignatureException"


def test_request_too_large(api: httpx.Client) -> None:
    big = api.post("/CreateDatasetGroup", json={"DatasetGroupName": "x" * (1024 * 1024 + 10)})
    assert big.status_code == 413 and big.json()["code"] == "RequestEntityTooLarge"


def test_internal_errors_show_no_trace(api: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from forecasthub.services.operations import OPERATIONS

    def broken(hub: Any, req: Any) -> Any:
        raise RuntimeError("secret internals /very/private/path")

    monkeypatch.setitem(OPERATIONS, "ListDatasets", broken)
    response = api.post("/ListDatasets", json={})
    assert response.status_code == 500
    assert response.json() == {"code": "InternalError", "message": "internal error"}


def test_openapi_docs(server: Any) -> None:
    docs = httpx.get(server.url + "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = httpx.get(server.url + "/openapi.json").json()
    assert "/api/v1/CreateDatasetGroup" in spec["paths"]
    assert "/api/v1/dataset-groups" in spec["paths"]
    assert spec["paths"]["/api/v1/CreateDatasetGroup"]["post"]["description"]


def test_a_json_body_without_a_json_content_type_says_so(api: httpx.Client) -> None:
    """curl -d sends application/x-www-form-urlencoded: the 400 names the missing header."""
    body = json.dumps({"query": "SELECT 1 AS one"})
    answer = api.post("/sql", content=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400
    assert "Content-Type: application/json" in answer.json()["message"]
    assert "application/x-www-form-urlencoded" in answer.json()["message"]
    assert api.post("/sql", json={"query": "SELECT 1 AS one"}).status_code == 200

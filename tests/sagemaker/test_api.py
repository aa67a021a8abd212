"""POST /invocations on a real uvicorn server (127.0.0.1): JSON and JSON Lines bodies, predictor
selection, authentication and 4xx answers for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import Server, running_server
from tests.sagemaker.conftest import HORIZON, TrainedHome, check_prediction, panel_objects

QUANTILES = ["0.1", "0.5", "0.9"]


@pytest.fixture(scope="module")
def server(trained_home: TrainedHome) -> Iterator[Server]:
    with running_server(trained_home.root, workers=0) as srv:
        yield srv


def post(server: Server, path: str, *, auth: bool = True, **kwargs) -> httpx.Response:
    headers = {**(server.bearer if auth else {}), **kwargs.pop("headers", {})}
    return httpx.post(server.url + path, headers=headers, timeout=60, **kwargs)


def body(n: int = 3, **config) -> dict:
    return {"instances": panel_objects(n_series=n, length=30, seed=5),
            "configuration": {"output_types": ["mean", "quantiles"], "quantiles": QUANTILES,
                              **config}}


def test_json_request_with_a_local_model(server: Server, trained_home: TrainedHome) -> None:
    r = post(server, f"/invocations?predictor={trained_home.ets}", json=body(3))
    assert r.status_code == 200, r.text
    predictions = r.json()["predictions"]
    assert list(r.json()) == ["predictions"] and len(predictions) == 3
    for p in predictions:
        check_prediction(p, horizon=HORIZON, output_types=["mean", "quantiles"],
                         quantiles=QUANTILES)


def test_json_and_jsonlines_with_deepar(server: Server, trained_home: TrainedHome) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("gluonts")
    if trained_home.deepar is None:
        pytest.skip("the deep extra is not installed")
    arn = server.hub.arn("predictor", trained_home.deepar)
    request = body(4, num_samples=20, output_types=["mean", "quantiles", "samples"])
    r = post(server, "/api/v1/sagemaker/invocations", json=request,
             headers={"X-Forecasthub-Predictor": arn})
    assert r.status_code == 200, r.text
    predictions = r.json()["predictions"]
    for p in predictions:
        check_prediction(p, horizon=HORIZON, output_types=["mean", "quantiles", "samples"],
                         quantiles=QUANTILES, num_samples=20)
    lines = "\n".join(json.dumps(i) for i in request["instances"]) + "\n"
    config = json.dumps(request["configuration"])
    r = post(server, "/invocations", params={"predictor": trained_home.deepar,
                                             "configuration": config},
             content=lines, headers={"Content-Type": "application/jsonlines"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/jsonlines")
    answered = [json.loads(x) for x in r.text.splitlines()]
    assert answered == predictions  # one line per instance, in order, same (seeded) values

    bad = json.loads(json.dumps(request))
    bad["instances"][1]["cat"] = [0, 5]
    r = post(server, f"/invocations?predictor={trained_home.deepar}", json=bad)
    assert r.status_code == 400
    assert r.json()["code"] == "InvalidInputException"
    assert "request instances, line 2, field 'cat': cat[1] = 5 is out of range" in \
        r.json()["message"]
    bad_lines = lines.replace('"dynamic_feat"', '"dynamic_feats"', 1)
    r = post(server, f"/invocations?predictor={trained_home.deepar}", content=bad_lines,
             headers={"Content-Type": "application/jsonlines"})
    assert r.status_code == 400 and "line 1, field 'dynamic_feat'" in r.json()["message"]


def test_deployed_model_of_a_group_answers(server: Server, trained_home: TrainedHome) -> None:
    from forecasthub import registry

    group = trained_home.group
    r = post(server, f"/invocations?dataset_group={group}", json=body(1))
    if r.status_code == 404:
        assert "no deployed model version" in r.json()["message"]
        version = registry.register_predictor(server.hub, trained_home.ets)["Version"]
        registry.set_status(server.hub, group, version, registry.APPROVED)
        registry.deploy(server.hub, group, version)
        r = post(server, f"/invocations?dataset_group={group}", json=body(1))
    assert r.status_code == 200, r.text
    check_prediction(r.json()["predictions"][0], horizon=HORIZON,
                     output_types=["mean", "quantiles"], quantiles=QUANTILES)


@pytest.mark.parametrize(("path", "kwargs", "status", "text"), [
    ("/invocations?predictor=ets", {"content": b"{not json"}, 400, "not valid JSON"),
    ("/invocations?predictor=ets", {"json": {"instances": []}}, 400, "non-empty list"),
    ("/invocations?predictor=ets", {"json": {"instances": [{"target": [1]}]}}, 400,
     "line 1, field 'start'"),
    ("/invocations?predictor=ets", {"json": {"instances": [{"start": "2020-01-01",
                                                           "target": [1, 2, 3]}],
                                            "configuration": {"output_types": ["samples"]}}},
     400, "does not draw sample paths"),
    ("/invocations?predictor=ets", {"json": {"instances": [], "configuration": {
        "quantiles": ["2"]}}}, 400, "strictly between"),
    ("/invocations", {"json": body(1)}, 400, "say which predictor"),
    ("/invocations?predictor=missing", {"json": body(1)}, 404, "not found"),
    ("/invocations?predictor=ets", {"content": b"x", "headers": {"Content-Type": "text/csv"}},
     400, "unsupported Content-Type"),
    ("/invocations?predictor=ets", {"content": b"\n{\"start\": 1, \"target\": [1]}\n",
                                    "headers": {"Content-Type": "application/jsonlines"}},
     400, "line 2, field 'start'"),
])
def test_bad_requests_get_a_clear_4xx(server: Server, path: str, kwargs: dict, status: int,
                                      text: str) -> None:
    r = post(server, path, **kwargs)
    assert r.status_code == status, r.text
    assert text in r.json()["message"]


def test_authentication_is_the_rest_apis(server: Server, trained_home: TrainedHome) -> None:
    r = post(server, f"/invocations?predictor={trained_home.ets}", json=body(1), auth=False)
    assert r.status_code == 401
    r = post(server, f"/invocations?predictor={trained_home.ets}", json=body(1), auth=False,
             headers={"Authorization": f"Bearer {server.key_id}:wrong"})
    assert r.status_code == 401


def test_documented_in_openapi(server: Server) -> None:
    paths = httpx.get(server.url + "/openapi.json", timeout=30).json()["paths"]
    assert "post" in paths["/invocations"] and "post" in paths["/api/v1/sagemaker/invocations"]

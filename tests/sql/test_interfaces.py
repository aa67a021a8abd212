"""`forecasthub sql`, `forecasthub model-versions ...` and their REST routes."""

from __future__ import annotations

import json
import warnings
from typing import Any

import click
import pytest
from click.testing import CliRunner

from forecasthub import registry


@pytest.fixture
def cli() -> click.Group:
    """The main group plus this package's commands (the lead wires them into cli/main.py)."""
    from forecasthub.cli import automation
    from forecasthub.cli.main import cli as main_cli

    group = click.Group(commands=dict(main_cli.commands))
    automation.register(group)
    return group


@pytest.fixture
def api(retail_home) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from forecasthub.api import automation
    from forecasthub.api.app import create_app

    app = create_app(retail_home["fh"].hub.settings)
    app.include_router(automation.router)
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as c:
        yield c


def test_cli_sql_formats(cli, retail_home) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["sql", "-f", "json", "SELECT forecast_name, count(*) AS n FROM forecasts GROUP BY 1"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["forecast_name"] == "f1"
    out = runner.invoke(cli, ["sql", "-f", "csv", "--max-rows", "2", "SELECT item_id FROM forecasts"])
    assert out.exit_code == 0 and out.stdout.splitlines() == ["item_id", "dept_1", "dept_1"]
    out = runner.invoke(cli, ["sql", "-"], input="SELECT predictor_name FROM accuracy LIMIT 1")
    assert out.exit_code == 0 and "p1" in out.output
    out = runner.invoke(cli, ["sql", "--tables"])
    assert "forecasts\t" in out.output
    out = runner.invoke(cli, ["sql", "DELETE FROM accuracy"])
    assert out.exit_code == 1 and "SELECT" in out.output
    out = runner.invoke(cli, ["sql", "--write-catalog"])
    assert out.exit_code == 0 and out.output.strip().endswith("catalog.duckdb")


def test_cli_model_versions(cli, retail_home) -> None:
    runner = CliRunner()

    def run(*args: str) -> Any:
        out = runner.invoke(cli, ["model-versions", *args])
        assert out.exit_code == 0, out.output
        return json.loads(out.output)

    assert run("register", "p1")["Version"] == 1
    assert run("list", "--dataset-group", "shop")["ModelVersions"][0]["Status"] == "PendingManualApproval"
    out = runner.invoke(cli, ["model-versions", "deploy", "shop", "1"])
    assert out.exit_code == 1 and "Approved" in out.output
    assert run("approve", "shop", "1", "-m", "looks good")["Message"] == "looks good"
    assert run("deploy", "shop", "1")["Deployed"] is True
    assert run("deployed", "shop")["Version"] == 1
    assert run("rule", "shop", "--metric", "WAPE", "--max-regression", "0.1")["MaxRegression"] == 0.1
    assert run("rule", "shop")["Metric"] == "WAPE"
    assert run("history", "shop")["Deployments"][0]["Action"] == "deploy"
    out = runner.invoke(cli, ["model-versions", "rollback", "shop"])
    assert out.exit_code == 1 and "roll back" in out.output


def test_rest_sql(api) -> None:
    r = api.post("/api/v1/sql", json={"query": "SELECT item_id, p50 FROM forecasts ORDER BY 1, 2",
                                      "max_rows": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["Name"] for c in body["Columns"]] == ["item_id", "p50"]
    assert body["RowCount"] == 3 and body["Truncated"] is True
    r = api.post("/api/v1/sql", json={"query": "SELECT 1 AS x", "format": "csv"})
    assert r.status_code == 200 and r.text == "x\n1\n" and r.headers["content-type"].startswith("text/csv")
    for bad in ("ATTACH '/tmp/x.db'", "SELECT * FROM read_csv('/etc/passwd')", "SELECT 1; SELECT 2"):
        r = api.post("/api/v1/sql", json={"query": bad})
        assert r.status_code == 400 and r.json()["code"] == "InvalidInputException", r.text
    r = api.post("/api/v1/sql", json={"query": "SELECT 1", "format": "xml"})
    assert r.status_code == 400
    assert "forecasts" in [t["Name"] for t in api.get("/api/v1/sql/tables").json()["Tables"]]


def test_rest_model_versions(api, retail_home) -> None:
    r = api.post("/api/v1/model-versions", json={"PredictorArn": retail_home["predictor"]})
    assert r.status_code == 200 and r.json()["Version"] == 1, r.text
    assert api.post("/api/v1/model-versions/shop/1/deploy").status_code == 409
    assert api.post("/api/v1/model-versions/shop/1/approve", json={"Message": "ok"}).json()["Status"] == "Approved"
    assert api.post("/api/v1/model-versions/shop/1/deploy").json()["Deployed"] is True
    assert api.get("/api/v1/model-versions/shop/deployed").json()["Source"] == "deployed"
    assert api.get("/api/v1/model-versions", params={"dataset_group": "shop"}).json()["ModelVersions"][0]["Deployed"]
    assert api.get("/api/v1/model-versions/shop/1").json()["PredictorName"] == "p1"
    assert api.get("/api/v1/model-versions/shop/7").status_code == 404
    rule = api.put("/api/v1/model-approval-rules/shop", json={"Metric": "RMSE", "MaxRegression": 0.05})
    assert rule.status_code == 200 and api.get("/api/v1/model-approval-rules/shop").json()["Metric"] == "RMSE"
    assert api.put("/api/v1/model-approval-rules/shop", json={"Metric": "R2"}).status_code == 400
    assert api.delete("/api/v1/model-approval-rules/shop").status_code == 200
    assert api.post("/api/v1/model-versions/shop/rollback").status_code == 409
    assert api.get("/api/v1/model-versions/shop/history").json()["Deployments"][0]["Version"] == 1
    assert api.get("/api/v1/pipeline-runs").json() == {"Runs": []}
    assert registry.deployed_version(retail_home["fh"].hub, "shop")["Version"] == 1

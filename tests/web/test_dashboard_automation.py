"""The dashboard's pipeline runs, model versions and monitoring views: their endpoints and the
page in a real browser.

They work on a copy of the home conftest.py's flow trained (no second training): its predictor
is approved and deployed with the registry's functions and gets a monitor; then the real
inference pipeline runs three times: two landed files that each bring 4 more weeks of actuals (so
the monitor evaluates the earlier forecasts twice), and a malformed file whose name is an HTML
tag. A fourth run is recorded the way a retried step records its attempts, with a message that
is a script tag.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_settings, running_server
from tests.web.conftest import XSS, Flow, launch, require_browser, screenshots, watch_page

SCRIPT = "<script>alert('run')</script>"
RETRY_TRIGGER = "schedule: 0 6 * * MON"
MONITORING = ("CreateMonitor", "ListMonitors", "DescribeMonitor", "ListMonitorEvaluations")


def monitoring_available() -> bool:
    """Whether this version has Amazon's monitor operations (the view says so when it has not)."""
    from forecasthub.services.operations import OPERATIONS

    return all(op in OPERATIONS for op in MONITORING)


def later_weeks(csv: Path, first: int, weeks: int, out: Path) -> Path:
    """Weeks first .. first + weeks - 1 after the end of a retail CSV: each series' last row
    again, its demand (if any) growing 3 % a week."""
    import pandas as pd

    frame = pd.read_csv(csv)
    stamps = pd.to_datetime(frame["timestamp"])
    last = frame[stamps == stamps.max()]
    parts = []
    for k in range(first, first + weeks):
        part = last.copy()
        part["timestamp"] = (stamps.max() + pd.Timedelta(weeks=k)).strftime("%Y-%m-%d")
        if "demand" in part:
            part["demand"] = (part["demand"] * (1 + 0.03 * k)).round(2)
        parts.append(part)
    pd.concat(parts).to_csv(out, index=False)
    return out


@dataclass
class World:
    root: Path
    monitor: str | None  # its ARN; None without the monitor operations
    ok: dict[str, Any]  # the runs, as pipelines.runs records them
    failed: dict[str, Any]
    retried: dict[str, Any]


@pytest.fixture(scope="module")
def world(flow: Flow, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from forecasthub import registry
    from forecasthub.client import Client
    from forecasthub.pipelines.inference import GroupPipeline, run_inference
    from forecasthub.pipelines.runs import FAILED, RUNNING, SUCCEEDED, RunRecord, describe_run
    from forecasthub.services.operations import OPERATIONS

    root = tmp_path_factory.mktemp("automation")
    shutil.copytree(flow.root / "home", root / "home")
    landing = root / "landing"
    landing.mkdir()
    fh = Client(make_settings(root))
    try:
        hub = fh.hub
        fh.create_dataset_group(DatasetGroupName="quiet", Domain="RETAIL")  # no runs, no models
        (version,) = registry.list_versions(hub, "shop")["ModelVersions"]  # registered when trained
        assert version["Status"] == registry.PENDING
        registry.set_status(hub, "shop", 1, registry.APPROVED, "checked by hand")
        registry.deploy(hub, "shop", 1)
        registry.set_rule(hub, "shop", "WAPE", 0.05, auto_deploy=True)
        monitor = OPERATIONS["CreateMonitor"](hub, {
            "MonitorName": "shop_watch", "ResourceArn": flow.predictor})["MonitorArn"] \
            if monitoring_available() else None

        # related data for the horizons after 8 more weeks of actuals
        rts = later_weeks(flow.root / "data" / "rts.csv", 1, 8, root / "rts_more.csv")
        job = fh.create_dataset_import_job(
            DatasetImportJobName="more", DatasetArn=hub.arn("dataset", "shop_rts"),
            TimestampFormat="yyyy-MM-dd", ImportMode="INCREMENTAL",
            DataSource={"S3Config": {"Path": str(rts)}}, wait=True)["DatasetImportJobArn"]
        assert fh.describe_dataset_import_job(DatasetImportJobArn=job)["Status"] == "ACTIVE"

        cfg = GroupPipeline(dataset_group="shop", landing=str(landing), timestamp_format="yyyy-MM-dd",
                            export=str(root / "exports"))
        tts = flow.root / "data" / "tts.csv"
        first = later_weeks(tts, 1, 4, landing / "weeks1.csv")
        ok = run_inference(hub, cfg, str(first), f"watch: {first}")
        assert ok["Status"] == "SUCCEEDED", ok
        second = later_weeks(tts, 5, 4, landing / "weeks2.csv")
        assert run_inference(hub, cfg, str(second), f"watch: {second}")["Status"] == "SUCCEEDED"
        bad = landing / f"{XSS}.csv"
        bad.write_text("this is,not\na dataset\n")
        failed = run_inference(hub, cfg, str(bad), f"watch: {bad}")
        assert failed["Status"] == "FAILED", failed

        group_arn = ok["DatasetGroupArn"]
        record = RunRecord(hub, group_arn, RETRY_TRIGGER, ["train", "register"])
        record.step("train", RUNNING)  # a step's retries, as pipelines.steps records them
        record.step("train", SUCCEEDED, Attempts=2,
                    Errors=[{"Attempt": 1, "Message": f"worker lost {XSS}", "Transient": True}])
        record.step("register", RUNNING)
        record.step("register", FAILED, Message=SCRIPT)
        record.finish(FAILED, f"register: {SCRIPT}")
        retried = describe_run(hub, record.id)
    finally:
        fh.close()
    yield World(root, monitor, ok, failed, retried)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from forecasthub.api.app import create_app

    app = create_app(make_settings(world.root))
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as c:
        yield c


def _get(client: Any, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1/dashboard/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# -- endpoints ----------------------------------------------------------------------------------
def test_runs_have_steps_times_and_outputs(client: Any, world: World) -> None:
    res = _get(client, "runs")
    assert res["Available"] is True
    runs = {r["RunId"]: r for r in res["Runs"]}
    ours = [world.retried["RunId"], world.failed["RunId"], world.ok["RunId"]]
    assert [r["RunId"] for r in res["Runs"] if r["RunId"] in ours] == ours  # newest first
    ok = runs[world.ok["RunId"]]
    assert ok["DatasetGroup"] == "shop" and ok["Status"] == "SUCCEEDED"
    assert ok["Created"] <= ok["Ended"] and ok["Seconds"] == pytest.approx(ok["Ended"] - ok["Created"])
    assert [(s["Name"], s["Status"]) for s in ok["Steps"]] == [
        ("import", "SUCCEEDED"), ("forecast", "SUCCEEDED"), ("export", "SUCCEEDED"),
        ("sql_catalog", "SUCCEEDED")]
    for step in ok["Steps"]:  # ISO strings in the record, epoch seconds here
        assert isinstance(step["StartTime"], float) and step["Seconds"] >= 0
    assert ok["Outputs"]["ModelVersion"] == 1
    assert ok["Outputs"]["ForecastArn"].startswith("arn:") and ok["Outputs"]["ExportFiles"]

    failed = runs[world.failed["RunId"]]
    assert failed["Status"] == "FAILED" and failed["Message"].startswith("import:")
    assert XSS in failed["Trigger"]
    assert [s["Status"] for s in failed["Steps"]] == ["FAILED", "SKIPPED", "SKIPPED", "SKIPPED"]
    retried = runs[world.retried["RunId"]]
    assert retried["Steps"][0]["Attempts"] == 2 and retried["Message"] == f"register: {SCRIPT}"

    assert _get(client, "runs", group="quiet")["Runs"] == []
    assert len(_get(client, "runs", group="shop", limit=2)["Runs"]) == 2
    assert client.get("/api/v1/dashboard/runs", params={"group": "nope"}).status_code == 404


def test_models_show_versions_deployments_and_rule(client: Any) -> None:
    (group,) = _get(client, "models")["Groups"]  # "quiet" has no versions
    assert group["Name"] == "shop"
    (version,) = group["Versions"]
    assert version["Version"] == 1 and version["Status"] == "Approved" and version["Deployed"]
    assert version["PredictorName"] == "p" and version["MetricValue"] is not None
    assert "Parameters" not in version
    assert [(e["Action"], e["Version"], e["PreviousVersion"]) for e in group["History"]] == [
        ("deploy", 1, None)]
    assert group["Rule"]["Metric"] == "WAPE" and group["Rule"]["MaxRegression"] == 0.05
    assert group["Model"] == {"PredictorArn": version["PredictorArn"], "Source": "deployed",
                              "Version": 1}


def test_monitoring_evaluations_and_baseline(client: Any, world: World) -> None:
    d = _get(client, "monitoring")
    if world.monitor is None:
        assert d["Available"] is False
        return
    assert d["Available"] is True
    (monitor,) = d["Monitors"]
    assert monitor["MonitorArn"] == world.monitor and monitor["ResourceName"] == "p"
    assert d["Selected"] == world.monitor and d["Monitor"]["MonitorName"] == "shop_watch"
    assert d["Baseline"]["WAPE"] > 0  # the predictor's backtest value
    evaluations = d["Evaluations"]
    # forecast f over 4, then 8 weeks; the first pipeline forecast over 4 weeks
    assert len(evaluations) == 3 and {e["State"] for e in evaluations} == {"SUCCESS"}
    ends = [e["WindowEnd"] for e in evaluations]
    assert ends == sorted(ends) and all(e["WindowStart"] < e["WindowEnd"] for e in evaluations)
    for e in evaluations:
        assert e["NumItemsEvaluated"] > 0 and e["Metrics"]["WAPE"] >= 0
        assert e["DataSource"]["ForecastArn"].startswith("arn:")
    assert _get(client, "monitoring", monitor=world.monitor)["Evaluations"] == evaluations
    gone = _get(client, "monitoring", monitor=world.monitor + "x")  # deleted since: the first one
    assert gone["Selected"] == world.monitor


def test_monitoring_not_available_without_the_operations(client: Any, monkeypatch: Any) -> None:
    from forecasthub.services.operations import OPERATIONS

    monkeypatch.delitem(OPERATIONS, "ListMonitorEvaluations")
    d = _get(client, "monitoring")
    assert d == {"Available": False, "Missing": ["ListMonitorEvaluations"], "Monitors": []}


def test_stamp_follows_runs_and_the_registry(client: Any, world: World) -> None:
    from forecasthub import registry
    from forecasthub.client import Client
    from forecasthub.pipelines.runs import RUNNING, SUCCEEDED, RunRecord

    before = _get(client, "stamp")
    assert before["LiveRuns"] == 0
    fh = Client(make_settings(world.root))
    try:
        record = RunRecord(fh.hub, world.ok["DatasetGroupArn"], "manual: stamp test", ["one"])
        running = _get(client, "stamp")
        assert running["LiveRuns"] == 1 and running["Stamp"] != before["Stamp"]
        record.step("one", RUNNING)
        assert _get(client, "stamp")["Stamp"] != running["Stamp"]  # a running step moved on
        record.step("one", SUCCEEDED)
        record.finish(SUCCEEDED)
        done = _get(client, "stamp")
        assert done["LiveRuns"] == 0
        registry.set_rule(fh.hub, "shop", "WAPE", 0.05, auto_deploy=False)
        assert _get(client, "stamp")["Stamp"] != done["Stamp"]
    finally:
        fh.close()


# -- the page in a browser ----------------------------------------------------------------------
def test_automation_views_in_chromium(world: World, tmp_path: Path) -> None:
    sync_playwright = require_browser()
    from playwright.sync_api import expect

    from forecasthub.pipelines.runs import RUNNING, SUCCEEDED, RunRecord

    shots = screenshots(tmp_path)
    with running_server(world.root, with_key=False, workers=0) as server, sync_playwright() as pw:
        chromium = launch(pw)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 900})
            problems = watch_page(page)
            page.goto(server.url + "/#runs")

            # the runs table: newest first, status colours, user text as text
            rows = page.locator("#runs tbody tr")
            ok_row = rows.filter(has_text="weeks1.csv")
            failed_row = rows.filter(has_text=XSS)
            retried_row = rows.filter(has_text=RETRY_TRIGGER)
            expect(ok_row.locator(".badge")).to_have_text("SUCCEEDED")
            expect(ok_row.locator(".badge")).to_have_class("badge ok")
            expect(failed_row.locator(".badge")).to_have_class("badge bad")
            expect(failed_row).to_contain_text("import:")
            expect(retried_row).to_contain_text(f"register: {SCRIPT}")

            # a run's steps and outputs
            ok_row.click()
            card = page.locator("#run-card")
            expect(card).to_be_visible()
            steps = card.locator("table.steps > tbody > tr")
            expect(steps).to_have_count(4)
            expect(steps.nth(1)).to_contain_text("forecast")
            expect(steps.nth(1).locator(".badge")).to_have_text("SUCCEEDED")
            outputs = card.locator(".outputs")
            expect(outputs).to_contain_text("ModelVersion")
            expect(outputs.locator("dt", has_text="ExportFiles")).to_be_visible()
            assert outputs.locator("ul.values li").count() >= 1
            forecast = world.ok["Outputs"]["ForecastArn"]
            expect(outputs.locator(f'.arn[title="{forecast}"]')).to_have_text(forecast.split("/", 1)[1])
            page.screenshot(path=str(shots / "dashboard-runs.png"), full_page=True)

            retried_row.click()
            expect(card.locator("table.steps > thead")).to_contain_text("Attempts")
            train = card.locator("table.steps > tbody > tr").first
            expect(train).to_contain_text("train")
            expect(train.locator("td.num").last).to_have_text("2")
            expect(train.locator("table.mini")).to_contain_text(f"worker lost {XSS}")  # Errors
            expect(card.locator(".run-message")).to_have_text(f"register: {SCRIPT}")
            page.screenshot(path=str(shots / "dashboard-run-attempts.png"), full_page=True)

            # filter by dataset group
            page.select_option("#runs-group", "quiet")
            expect(page.locator("#runs")).to_contain_text("No pipeline runs for this dataset group")
            page.select_option("#runs-group", "shop")
            expect(ok_row).to_have_count(1)

            # auto refresh: a run recorded elsewhere shows up, and its end too
            record = RunRecord(server.hub, world.ok["DatasetGroupArn"], "manual: live", ["one"])
            live = rows.filter(has_text="manual: live")
            expect(live.locator(".badge")).to_have_text("RUNNING", timeout=15_000)
            record.step("one", RUNNING)
            record.step("one", SUCCEEDED)
            record.finish(SUCCEEDED)
            expect(live.locator(".badge")).to_have_text("SUCCEEDED", timeout=15_000)

            # model versions: the deployed version, its history and the rule; read-only
            page.click("nav a[data-view=models]")
            shop = page.locator(".model-group[data-group=shop]")
            version = shop.locator("table.versions tbody tr")
            expect(version).to_have_count(1)
            expect(version).to_contain_text("v1")
            expect(version.locator(".deployed-marker")).to_have_text("deployed")
            expect(version.locator(".badge", has_text="Approved")).to_have_class("badge ok")
            expect(shop.locator("table.history tbody tr")).to_contain_text("deploy")
            expect(shop.locator(".rule")).to_contain_text("WAPE")
            expect(shop.locator(".rule")).to_contain_text("5 %")
            expect(shop.locator(".card-head .pill")).to_have_text("deployed v1")
            expect(page.locator("#view-models .hint")).to_contain_text(
                "forecasthub model-versions approve GROUP N")
            assert page.locator("#view-models button").count() == 0  # no actions here
            page.screenshot(path=str(shots / "dashboard-models.png"), full_page=True)

            # monitoring: evaluations against the baseline, or why there are none
            page.click("nav a[data-view=monitoring]")
            if world.monitor is None:
                expect(page.locator("#mon-unavailable")).to_contain_text("Monitoring is not available")
            else:
                check_monitoring_view(page, shots)

            assert page.locator("img").count() == 0, "user text was parsed as HTML"
            assert page.locator("#main script").count() == 0, "user text was parsed as HTML"
            assert not problems, problems
        finally:
            chromium.close()


def check_monitoring_view(page: Any, shots: Path) -> None:
    """Realised WAPE per evaluation window, a line per evaluated forecast, against the dashed
    backtest baseline; the evaluations table."""
    from playwright.sync_api import expect

    expect(page.locator("#mon-head .monitor-name")).to_have_text("shop_watch")
    expect(page.locator("#mon-monitor option")).to_have_text(["p · shop_watch"])
    page.select_option("#mon-metric", "WAPE")
    expect(page.locator("#mon-title")).to_contain_text("WAPE per evaluation window")
    page.wait_for_selector("#mon-plot .plot-container svg.main-svg")
    traces = page.evaluate("""() => document.getElementById("mon-plot").data.map(
        (t) => ({name: t.name, y: t.y, dash: t.line.dash}))""")
    *realised, baseline = traces  # a line per evaluated forecast, then the baseline
    assert [len(t["y"]) for t in realised] == [2, 1]  # f over 4 and 8 weeks; #2 over 4
    assert baseline["dash"] == "dash" and baseline["y"][0] == baseline["y"][1] > 0
    assert page.locator("#mon-plot .scatterlayer .trace").count() == 3
    evaluations = page.locator("#mon-table table.evaluations tbody tr")
    expect(evaluations).to_have_count(3)
    expect(evaluations.first.locator(".badge")).to_have_class("badge ok")
    expect(evaluations.first).to_contain_text("SUCCESS")
    expect(evaluations.last).to_contain_text("#1 f")  # the oldest: forecast f over 4 weeks
    expect(page.locator("#mon-head")).not_to_contain_text("null")
    page.screenshot(path=str(shots / "dashboard-monitoring.png"), full_page=True)
    page.select_option("#mon-metric", "RMSE")
    expect(page.locator("#mon-title")).to_contain_text("RMSE per evaluation window")


def test_empty_views_in_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new home on a server without the monitor operations: each view says what is missing."""
    sync_playwright = require_browser()
    from playwright.sync_api import expect

    from forecasthub.services.operations import OPERATIONS

    monkeypatch.delitem(OPERATIONS, "ListMonitorEvaluations", raising=False)
    with running_server(tmp_path, with_key=False, workers=0) as server, sync_playwright() as pw:
        chromium = launch(pw)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 900})
            problems = watch_page(page)
            page.goto(server.url + "/#runs")
            expect(page.locator("#runs")).to_contain_text("No pipeline runs yet")
            expect(page.locator("#run-card")).to_be_hidden()
            page.click("nav a[data-view=models]")
            expect(page.locator("#models")).to_contain_text("No model versions yet")
            page.click("nav a[data-view=monitoring]")
            expect(page.locator("#mon-unavailable")).to_contain_text(
                "Monitoring is not available on this server")
            expect(page.locator("#mon-unavailable")).to_contain_text("ListMonitorEvaluations")
            expect(page.locator("#mon-toolbar")).to_be_hidden()
            expect(page.locator("#mon-plot")).to_be_hidden()
            page.screenshot(path=str(screenshots(tmp_path) / "dashboard-monitoring-unavailable.png"))
            assert not problems, problems
        finally:
            chromium.close()

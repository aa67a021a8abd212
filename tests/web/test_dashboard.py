"""The dashboard: its read-only JSON endpoints, escaping, and the page in a real browser.

The tiny flow of conftest.py (one item id is an HTML tag) populates the home: the API tests run
against it in-process, the browser test against a uvicorn server on 127.0.0.1 driving Debian's
chromium through Playwright.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_settings, running_server
from tests.web.conftest import XSS, Flow, launch, require_browser, screenshots, watch_page


@pytest.fixture(scope="module")
def client(flow: Flow) -> Iterator[Any]:
    """An in-process client that looks local (loopback client and Host), no access key."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from forecasthub.api.app import create_app

    app = create_app(make_settings(flow.root))
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as c:
        yield c


def _get(client: Any, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1/dashboard/{path}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


# -- endpoints ----------------------------------------------------------------------------------
def test_summary_lists_groups_datasets_predictors_forecasts(client: Any, flow: Flow) -> None:
    s = _get(client, "summary")
    assert s["Totals"] == {"DatasetGroups": 1, "Datasets": 3, "Predictors": 1, "Forecasts": 1}
    (group,) = s["DatasetGroups"]
    assert group["Name"] == "shop" and group["Domain"] == "RETAIL"
    tts = next(d for d in group["Datasets"] if d["Type"] == "TARGET_TIME_SERIES")
    assert tts["Version"]["SeriesCount"] > 0
    assert tts["Version"]["FirstTimestamp"] < tts["Version"]["LastTimestamp"]
    assert tts["Version"]["ImportJob"] == "first"
    assert set(tts["FieldStatistics"]) == {"item_id", "store_id", "timestamp", "demand"}
    assert tts["FieldStatistics"]["demand"]["Count"] == tts["Version"]["Rows"]
    (predictor,) = s["Predictors"]
    assert predictor["Arn"] == flow.predictor and predictor["Status"] == "ACTIVE"
    assert predictor["Job"]["State"] == "SUCCEEDED" and predictor["Dimensions"] == ["store_id"]
    (forecast,) = s["Forecasts"]
    assert forecast["Name"] == flow.forecast and forecast["KeyColumns"] == ["item_id", "store_id"]
    assert {"Name": "category", "Source": "metadata"} in forecast["AggregateBy"]
    assert {"Name": "store_id", "Source": "dimension"} in forecast["AggregateBy"]
    assert len(client.get("/api/v1/dashboard/summary").content) < 50_000


def test_accuracy_rows_per_algorithm_and_window(client: Any, flow: Flow) -> None:
    acc = _get(client, "accuracy", predictor=flow.predictor)
    assert acc["Quantiles"] == ["0.1", "0.5", "0.9"]
    rows = acc["Rows"]
    algorithms = list(dict.fromkeys(r["Algorithm"] for r in rows))
    assert len(algorithms) >= 2  # the predictor's model first, then the candidates
    for algorithm in algorithms:
        windows = [r["Window"] for r in rows if r["Algorithm"] == algorithm]
        assert windows[0] == "SUMMARY" and set(windows[1:]) == {"COMPUTED"}
    summary = rows[0]
    assert 0 <= summary["AverageWeightedQuantileLoss"] < 1 and summary["WAPE"] is not None
    assert _get(client, "accuracy", predictor="p")["PredictorArn"] == flow.predictor  # by name
    assert client.get("/api/v1/dashboard/accuracy", params={"predictor": "nope"}).status_code == 404


def test_series_search_pages_and_ranks(client: Any, flow: Flow) -> None:
    everything = _get(client, "series", forecast=flow.forecast, limit=100)
    assert everything["KeyColumns"] == ["item_id", "store_id"]
    total = everything["Total"]
    assert total == len(everything["Series"]) > 4
    page = _get(client, "series", forecast=flow.forecast, limit=3, offset=3)
    assert page["Series"] == everything["Series"][3:6] and page["NextOffset"] == 6
    hits = _get(client, "series", forecast=flow.forecast, q="DEPT_3 store_2")  # words AND, any case
    assert hits["Series"] == [{"item_id": "dept_3", "store_id": "store_2"}]
    stores = _get(client, "series", forecast=flow.forecast, q="store_2", limit=100)["Series"]
    assert stores and all(k["store_id"] == "store_2" for k in stores)
    ranked = _get(client, "series", forecast=flow.forecast, q="dept_3 store")["Series"]
    assert ranked[0]["item_id"] == "dept_3"  # whole-value matches rank first
    assert _get(client, "series", forecast=flow.forecast, q="no-such-thing")["Total"] == 0


def test_series_detail_has_history_forecast_and_backtests(client: Any, flow: Flow) -> None:
    key = {"item_id": "dept_2", "store_id": "store_1"}
    d = _get(client, "series/detail", forecast=flow.forecast, key=json.dumps(key), history=30)
    assert d["Key"] == key and d["Predictor"] == "p"
    history, prediction = d["History"], d["Prediction"]
    assert len(history["Timestamps"]) == len(history["Values"]) == 30
    assert history["Timestamps"] == sorted(history["Timestamps"])
    assert len(prediction["Timestamps"]) == 8
    assert prediction["Timestamps"][0] > history["Timestamps"][-1]
    for lo, mid, hi in zip(prediction["p10"], prediction["p50"], prediction["p90"], strict=True):
        assert lo <= mid <= hi
    assert len(prediction["mean"]) == 8
    assert d["Backtests"], "backtest windows of the predictor"
    for window in d["Backtests"]:
        assert len(window["Timestamps"]) == len(window["Actual"]) == len(window["p50"]) > 0
        assert window["Start"] <= window["Timestamps"][0]


def test_series_detail_errors(client: Any, flow: Flow) -> None:
    def status(**params: Any) -> int:
        return client.get("/api/v1/dashboard/series/detail", params=params).status_code

    assert status(forecast=flow.forecast, key=json.dumps({"item_id": "dept_2"})) == 400
    assert status(forecast=flow.forecast, key="not json") == 400
    assert status(forecast=flow.forecast, key=json.dumps({"item_id": "x", "store_id": "y"})) == 404
    assert status(forecast="missing", key=json.dumps({"item_id": "x", "store_id": "y"})) == 404
    assert status(forecast="bad name!", key="{}") == 400


def test_aggregate_by_dimension_and_metadata(client: Any, flow: Flow) -> None:
    single = {}
    for store in ("store_1", "store_2"):
        single[store] = _get(client, "aggregate", forecast=flow.forecast, by="store_id", value=store,
                             history=20)
    total = _get(client, "aggregate", forecast=flow.forecast, by="store_id", history=20)
    assert [g["Value"] for g in total["Groups"]] == ["store_1", "store_2"]
    assert total["Series"] == sum(g["Series"] for g in total["Groups"])
    for column in ("p50", "mean"):
        summed = [a + b for a, b in zip(single["store_1"]["Prediction"][column],
                                        single["store_2"]["Prediction"][column], strict=True)]
        assert summed == pytest.approx(total["Prediction"][column])
    assert [a + b for a, b in zip(single["store_1"]["History"]["Values"],
                                  single["store_2"]["History"]["Values"], strict=True)
            ] == pytest.approx(total["History"]["Values"])
    assert total["Approximate"] == ["p10", "p90"]

    by_category = _get(client, "aggregate", forecast=flow.forecast, by="category")
    assert by_category["Source"] == "metadata" and by_category["Groups"]
    first = by_category["Groups"][0]
    one = _get(client, "aggregate", forecast=flow.forecast, by="category", value=first["Value"])
    assert one["Series"] == first["Series"] and len(one["Prediction"]["p50"]) == 8
    assert sum(one["History"]["Values"]) <= sum(by_category["History"]["Values"])
    bad = client.get("/api/v1/dashboard/aggregate", params={"forecast": flow.forecast, "by": "demand"})
    assert bad.status_code == 400 and "category" in bad.json()["message"]


def test_item_ids_come_back_as_text(client: Any, flow: Flow) -> None:
    hits = _get(client, "series", forecast=flow.forecast, q="<img")
    assert hits["Series"] and {k["item_id"] for k in hits["Series"]} == {XSS}
    raw = client.get("/api/v1/dashboard/series", params={"forecast": flow.forecast, "q": "<img"})
    assert raw.headers["content-type"] == "application/json"
    key = hits["Series"][0]
    d = _get(client, "series/detail", forecast=flow.forecast, key=json.dumps(key))
    assert d["Key"]["item_id"] == XSS and len(d["Prediction"]["p50"]) == 8


def test_stamp_changes_when_something_changes(client: Any, flow: Flow) -> None:
    from forecasthub.client import Client

    before = _get(client, "stamp")
    assert before["LiveJobs"] == 0 and _get(client, "stamp") == before
    fh = Client(make_settings(flow.root))
    try:
        fh.create_dataset_group(DatasetGroupName="another", Domain="CUSTOM")
    finally:
        fh.close()
    assert _get(client, "stamp")["Stamp"] != before["Stamp"]


def test_page_and_static_files(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    script = client.get("/static/app.js").text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    plotly = client.get("/static/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert client.get("/static/plotly.min.js", headers={"If-None-Match": plotly.headers["etag"]}
                      ).status_code == 304
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/nope.js").status_code == 404
    # GET / is the page; POST / is still Amazon Forecast's AWS JSON protocol
    aws = client.post("/", content=b"{}", headers={"X-Amz-Target": "AmazonForecast.ListDatasetGroups",
                                                   "Content-Type": "application/x-amz-json-1.1"})
    assert aws.status_code == 200 and "DatasetGroups" in aws.json()


def test_credentials_required_once_a_key_exists(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from forecasthub.api import keys
    from forecasthub.api.app import create_app

    app = create_app(make_settings(tmp_path))
    key = keys.create_access_key(app.state.hub, "dashboard test")
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as c:
        assert c.get("/").status_code == 200  # the page carries no data
        assert c.get("/static/app.js").status_code == 200
        assert c.get("/api/v1/dashboard/summary").status_code == 401
        wrong = {"Authorization": f"Bearer {key.access_key_id}:wrong"}
        assert c.get("/api/v1/dashboard/stamp", headers=wrong).status_code == 401
        bearer = {"Authorization": f"Bearer {key.access_key_id}:{key.secret_access_key}"}
        assert c.get("/api/v1/dashboard/summary", headers=bearer).json()["Totals"]["Forecasts"] == 0


# -- the page in a browser ----------------------------------------------------------------------
def test_dashboard_in_chromium(flow: Flow, tmp_path: Path) -> None:
    sync_playwright = require_browser()
    from playwright.sync_api import expect
    shots = screenshots(tmp_path)
    with running_server(flow.root, with_key=False, workers=0) as server, sync_playwright() as pw:
        chromium = launch(pw)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 900})
            problems = watch_page(page)

            page.goto(server.url + "/")
            page.wait_for_selector(".group-name")
            assert "shop" in page.locator(".group-name").all_text_contents()
            page.screenshot(path=str(shots / "dashboard-data.png"), full_page=True)
            # auto refresh: a change made elsewhere shows up without a reload
            from forecasthub.services.operations import OPERATIONS

            OPERATIONS["CreateDatasetGroup"](server.hub, {"DatasetGroupName": "fresh",
                                                          "Domain": "CUSTOM"})
            expect(page.locator(".group-name", has_text="fresh")).to_be_visible(timeout=15_000)

            page.click("nav a[data-view=predictors]")
            page.wait_for_selector("#accuracy table")
            assert "summary" in page.locator("#accuracy").text_content()

            page.click("nav a[data-view=explorer]")
            page.wait_for_selector("#ex-results button.series")
            page.fill("#ex-q", "img")
            expect(page.locator("#ex-count")).to_have_text(re.compile(r"of 2 series"))
            expect(page.locator("#ex-results .item")).to_have_text([XSS, XSS])
            page.click("#ex-results button.series >> nth=1")
            expect(page.locator("#ex-title")).to_contain_text(f"item_id {XSS} · store_id store_2")
            page.wait_for_selector("#ex-plot .plot-container svg.main-svg")
            assert page.locator("#ex-plot .scatterlayer .trace").count() >= 4  # history, band, p50...
            assert page.locator("img").count() == 0, "an item id was parsed as HTML"
            page.screenshot(path=str(shots / "dashboard-explorer.png"), full_page=True)

            page.click("nav a[data-view=aggregate]")
            page.wait_for_selector("#ag-plot .plot-container svg.main-svg")
            page.select_option("#ag-by", "category")
            expect(page.locator("#ag-title")).to_contain_text("category = all")
            page.screenshot(path=str(shots / "dashboard-aggregate.png"), full_page=True)

            page.click("nav a[data-view=jobs]")
            assert page.locator("#jobs tbody tr").count() >= 5
            assert not problems, problems

            # with an access key the page asks for one, keeps it in the tab, and works again
            from forecasthub.api import keys

            key = keys.create_access_key(server.hub, "browser test")
            try:
                page.goto(server.url + "/#data")
                page.wait_for_selector("#login:not([hidden])")
                page.fill("#token", f"{key.access_key_id}:{key.secret_access_key}")
                page.click("#login button[type=submit]")
                page.wait_for_selector(".group-name")
                page.reload()  # the key stays in this tab's sessionStorage
                page.wait_for_selector(".group-name")
                assert page.locator("#login").is_hidden()
            finally:
                keys.delete_access_key(server.hub, key.access_key_id)
        finally:
            chromium.close()

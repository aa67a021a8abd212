"""Cold start on the dashboard: a predictor and a forecast with an item that has metadata but no
history say which model served it, and the explorer marks the item (JSON and in chromium).

Its own tiny home (the shared flow of conftest.py has no cold-start item): LightGBM on three
daily series plus one new item whose id is an HTML tag."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_settings, running_server
from tests.sql import flow as sql_flow
from tests.web.conftest import XSS, launch, require_browser, screenshots, watch_page

LINE = "Cold start: 1 item served by LightGBM (weights LightGBM 1.00)"


@pytest.fixture(scope="module")
def cold_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forecasthub.client import Client

    root = tmp_path_factory.mktemp("cold")
    fh = Client(make_settings(root))
    try:
        sql_flow.cold_start_flow(fh, root / "data", new_item=XSS)
    finally:
        fh.close()
    return root


@pytest.fixture(scope="module")
def client(cold_home: Path) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from forecasthub.api.app import create_app

    app = create_app(make_settings(cold_home))
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as c:
        yield c


def _get(client: Any, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1/dashboard/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_summary_and_series_carry_the_cold_start(client: Any) -> None:
    record = {"Model": "LightGBM", "Weights": {"LightGBM": 1.0}, "Items": 1, "Reason": None}
    s = _get(client, "summary")
    assert s["Predictors"][0]["ColdStart"] == record
    assert s["Forecasts"][0]["ColdStart"] == record
    page = _get(client, "series", forecast="fc", limit=100)
    assert {k["item_id"] for k in page["Series"]} == {"a1", "a2", "b1", XSS}
    assert page["ColdStartItems"] == [XSS]
    assert _get(client, "series", forecast="fc", q="a1")["ColdStartItems"] == []


def test_items_past_the_records_list_are_found_by_their_missing_history(client: Any) -> None:
    from sqlalchemy import select

    from forecasthub.store.orm import ForecastRow

    hub = client.app.state.hub
    with hub.db.session() as s:  # as a record of more than 100 items keeps: the count, not all ids
        row = s.scalars(select(ForecastRow).where(ForecastRow.name == "fc")).one()
        original = dict(row.summary)
        row.summary = {**original, "ColdStart": {**original["ColdStart"], "ItemIds": []}}
    try:
        assert _get(client, "series", forecast="fc", limit=100)["ColdStartItems"] == [XSS]
    finally:
        with hub.db.session() as s:
            s.scalars(select(ForecastRow).where(ForecastRow.name == "fc")).one().summary = original


def test_cold_start_in_chromium(cold_home: Path, tmp_path: Path) -> None:
    sync_playwright = require_browser()
    from playwright.sync_api import expect

    with running_server(cold_home, with_key=False, workers=0) as server, sync_playwright() as pw:
        chromium = launch(pw)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 900})
            problems = watch_page(page)
            page.goto(server.url + "/#predictors")
            expect(page.locator("#accuracy-coldstart")).to_have_text(LINE, timeout=15_000)

            page.click("nav a[data-view=explorer]")
            page.wait_for_selector("#ex-results button.series")
            expect(page.locator("#ex-coldstart")).to_have_text(LINE)
            expect(page.locator("#ex-results button.series")).to_have_count(4)
            marked = page.locator("#ex-results button.series", has=page.locator(".badge.cold"))
            expect(marked).to_have_count(1)
            expect(marked.locator(".item")).to_have_text(XSS)
            expect(marked.locator(".badge.cold")).to_have_text("cold start")
            marked.click()
            page.wait_for_selector("#ex-plot .plot-container svg.main-svg")
            assert page.locator("img").count() == 0, "an item id was parsed as HTML"
            page.screenshot(path=str(screenshots(tmp_path) / "dashboard-coldstart.png"),
                            full_page=True)
            assert not problems, problems
        finally:
            chromium.close()

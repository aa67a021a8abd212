"""What the dashboard tests share: one tiny trained flow (built once per test session; the
automation views' tests work on a copy of it) and a headless Debian chromium for Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_settings

XSS = "<img src=x onerror=alert(1)>"
CHROMIUM = os.environ.get("FORECASTHUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


class Flow:
    def __init__(self, root: Path, group: str, predictor: str, forecast: str) -> None:
        self.root, self.group, self.predictor, self.forecast = root, group, predictor, forecast


@pytest.fixture(scope="session")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    """Import -> AutoML predictor -> forecast on tiny retail data (2 stores, a few departments,
    104 weeks, horizon 8; one item id is an HTML tag), with the Python client."""
    from forecasthub.client import Client
    from forecasthub.data.synthetic import generate_retail, write_retail_csvs

    root = tmp_path_factory.mktemp("web")
    data = generate_retail(n_stores=2, n_depts=(4, 5), n_weeks=104, horizon=8, seed=3)
    for frame in (data.target, data.related, data.item_metadata):
        frame["item_id"] = frame["item_id"].astype(str).replace("dept_1", XSS)
    files = write_retail_csvs(data, root / "data")
    fh = Client(make_settings(root))
    try:
        group = fh.create_dataset_group(DatasetGroupName="shop", Domain="RETAIL")["DatasetGroupArn"]
        arns = []
        for dataset_type, short in (("TARGET_TIME_SERIES", "tts"), ("RELATED_TIME_SERIES", "rts"),
                                    ("ITEM_METADATA", "im")):
            arn = fh.create_dataset(DatasetName=f"shop_{short}", Domain="RETAIL",
                                    DatasetType=dataset_type,
                                    DataFrequency=None if short == "im" else "W",
                                    Schema=files.schemas[dataset_type])["DatasetArn"]
            job = fh.create_dataset_import_job(
                DatasetImportJobName="first", DatasetArn=arn, TimestampFormat="yyyy-MM-dd",
                DataSource={"S3Config": {"Path": str(files.paths[dataset_type])}}, wait=True)
            desc = fh.describe_dataset_import_job(DatasetImportJobArn=job["DatasetImportJobArn"])
            assert desc["Status"] == "ACTIVE", desc.get("Message")
            arns.append(arn)
        fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=arns)
        predictor = fh.create_auto_predictor(
            PredictorName="p", ForecastHorizon=8, ForecastFrequency="W",
            ForecastDimensions=["store_id"], ForecastTypes=["0.1", "0.5", "0.9", "mean"],
            DataConfig={"DatasetGroupArn": group}, wait=True)["PredictorArn"]
        assert fh.describe_auto_predictor(PredictorArn=predictor)["Status"] == "ACTIVE"
        forecast = fh.create_forecast(ForecastName="f", PredictorArn=predictor, wait=True)["ForecastArn"]
        assert fh.describe_forecast(ForecastArn=forecast)["Status"] == "ACTIVE"
    finally:
        fh.close()
    yield Flow(root, "shop", predictor, "f")


def require_browser() -> Any:
    """Playwright's sync_playwright, or skip when Playwright or chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        pytest.skip("the playwright Python package is not installed (pip install playwright)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    return sync_playwright


def launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)


def watch_page(page: Any) -> list[str]:
    """Collect page errors, dialogs (an injected alert) and console errors into the returned list."""
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    return problems


def screenshots(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("FORECASTHUB_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    return shots

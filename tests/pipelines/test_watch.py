"""`forecasthub watch`: a file landing runs import -> forecast -> export -> SQL once, only once."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.pipelines.runs import list_runs
from forecasthub.pipelines.watch import Watcher, load_config, parse_config
from forecasthub.sql import run_query
from tests.sql import flow


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "watch.yaml"
    path.write_text(f"""
poll_seconds: 0.05
settle_seconds: 0.2
groups:
  shop:
    landing: {tmp_path / 'landing'}
    import_mode: INCREMENTAL
    timestamp_format: yyyy-MM-dd
    export: {tmp_path / 'exports'}
""")
    return path


def _wait_for(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_landed_file_runs_the_pipeline_exactly_once(fh, deployed_shop, tmp_path: Path) -> None:
    hub = fh.hub
    config = load_config(_config(tmp_path))
    stop = threading.Event()
    watcher = Watcher(hub, config)
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        landing = tmp_path / "landing"
        (landing / ".partial.csv").write_text("ignored")  # hidden: never taken
        source = deployed_shop.paths["TARGET_TIME_SERIES"]
        shutil.copy2(source, landing / "week.csv.part")
        (landing / "week.csv.part").rename(landing / "week.csv")  # atomic landing
        runs = _wait_for(lambda: [r for r in list_runs(hub, "shop") if r["Status"] != "RUNNING"])
    finally:
        stop.set()
        thread.join(timeout=30)
    assert len(runs) == 1
    run = runs[0]
    assert run["Status"] == "SUCCEEDED", run
    assert [(s["Name"], s["Status"]) for s in run["Steps"]] == [
        ("import", "SUCCEEDED"), ("forecast", "SUCCEEDED"), ("export", "SUCCEEDED"),
        ("sql_catalog", "SUCCEEDED")]
    assert run["Outputs"]["ModelVersion"] == 1 and run["Outputs"]["ModelSource"] == "deployed"
    exported = list((tmp_path / "exports").glob("*.csv"))
    assert exported and all(Path(f).exists() for f in run["Outputs"]["ExportFiles"])
    forecast_name = run["Outputs"]["ForecastArn"].rsplit("/", 1)[-1]
    rows = run_query(hub, f"SELECT count(*) FROM forecasts WHERE forecast_name = '{forecast_name}'").rows
    assert rows[0][0] > 0
    assert Path(run["Outputs"]["Catalog"]).exists()

    # the same file again (same path, size and mtime), by a restarted watcher: nothing new
    (tmp_path / "landing" / "week.csv").unlink()
    shutil.copy2(deployed_shop.paths["TARGET_TIME_SERIES"], tmp_path / "landing" / "week.csv")
    again = Watcher(hub, config)
    assert again.scan_once() == []
    time.sleep(0.25)
    assert again.scan_once() == []
    assert len(list_runs(hub, "shop")) == 1


def test_settle_period_waits_for_writers(fh, deployed_shop, tmp_path: Path) -> None:
    config = parse_config({"settle_seconds": 0.3, "groups": {"shop": {
        "landing": str(tmp_path / "landing"), "timestamp_format": "yyyy-MM-dd"}}})
    watcher = Watcher(fh.hub, config)
    growing = tmp_path / "landing" / "new.csv"
    text = Path(deployed_shop.paths["TARGET_TIME_SERIES"]).read_text()
    growing.write_text(text[: len(text) // 2])
    assert watcher.scan_once() == []  # first sighting
    time.sleep(0.2)
    growing.write_text(text)  # still being written: the clock restarts
    assert watcher.scan_once() == []
    time.sleep(0.2)
    assert watcher.scan_once() == []
    time.sleep(0.15)
    runs = watcher.scan_once()
    assert len(runs) == 1 and runs[0]["Status"] == "SUCCEEDED", runs
    assert [s["Status"] for s in runs[0]["Steps"]][2] == "SKIPPED"  # no export configured


def test_once_looks_again_after_the_settle_period(fh, deployed_shop, tmp_path: Path) -> None:
    """`watch --once` in a fresh process: a new file is taken after settle_seconds, not never;
    a file already taken does not make it wait."""
    config = parse_config({"settle_seconds": 0.3, "groups": {"shop": {
        "landing": str(tmp_path / "landing"), "timestamp_format": "yyyy-MM-dd"}}})
    (tmp_path / "landing").mkdir()
    shutil.copy2(deployed_shop.paths["TARGET_TIME_SERIES"], tmp_path / "landing" / "new.csv")
    started = time.monotonic()
    runs = Watcher(fh.hub, config).scan_settled()
    assert len(runs) == 1 and runs[0]["Status"] == "SUCCEEDED", runs
    assert time.monotonic() - started >= 0.3
    again = Watcher(fh.hub, config)
    started = time.monotonic()
    assert again.scan_settled() == []
    assert time.monotonic() - started < 0.3  # the ledger has it: no settle wait


def test_failed_step_is_recorded(fh, tmp_path: Path) -> None:
    files = flow.retail_files(tmp_path / "data")
    flow.make_group(fh, files)  # no model deployed
    config = parse_config({"settle_seconds": 0, "groups": {"shop": {
        "landing": str(tmp_path / "landing"), "timestamp_format": "yyyy-MM-dd"}}})
    watcher = Watcher(fh.hub, config)  # creates the landing folder
    shutil.copy2(files.paths["TARGET_TIME_SERIES"], tmp_path / "landing" / "a.csv")
    runs = watcher.scan_once()
    assert runs[0]["Status"] == "FAILED" and "deployed" in runs[0]["Message"]
    assert [s["Status"] for s in runs[0]["Steps"]] == ["SUCCEEDED", "FAILED", "SKIPPED", "SKIPPED"]


@pytest.mark.parametrize("data, match", [
    ([], "mapping"),
    ({"groups": {}}, "groups"),
    ({"groups": {"shop": {}}}, "landing"),
    ({"groups": {"shop": {"landing": "x", "colour": 1}}}, "groups.shop: unknown key 'colour'"),
    ({"groups": {"shop": {"landing": "x", "import_mode": "APPEND"}}}, "import_mode"),
    ({"poll_seconds": 0, "groups": {"shop": {"landing": "x"}}}, "poll_seconds"),
    ({"verbose": True, "groups": {"shop": {"landing": "x"}}}, "unknown key 'verbose'"),
])
def test_bad_config(data, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        parse_config(data)


def test_landing_outside_import_roots(fh, tmp_path: Path) -> None:
    config = parse_config({"groups": {"shop": {"landing": "/etc"}}})
    with pytest.raises(InvalidInputError, match="import roots"):
        Watcher(fh.hub, config)


def test_malformed_file_fails_visibly_and_files_run_in_order(fh, deployed_shop, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    config = parse_config({"settle_seconds": 0, "groups": {"shop": {
        "landing": str(landing), "timestamp_format": "yyyy-MM-dd", "import_mode": "INCREMENTAL"}}})
    watcher = Watcher(fh.hub, config)
    good = Path(deployed_shop.paths["TARGET_TIME_SERIES"])
    shutil.copy2(good, landing / "0_first.csv")
    first = watcher.scan_once()
    assert [r["Status"] for r in first] == ["SUCCEEDED"], first
    forecast = first[0]["Outputs"]["ForecastArn"]
    header, row = good.read_text().splitlines()[:2]
    item, store = row.split(",")[:2]

    (landing / "1_bad.csv").write_text(f"{header}\n{item},{store},2099-13-40,5\n")
    bad = watcher.scan_once()
    assert [r["Status"] for r in bad] == ["FAILED"]
    assert "1_bad.csv" in bad[0]["Message"] and "row 2" in bad[0]["Message"], bad[0]["Message"]
    assert bad[0]["Steps"][0]["Status"] == "FAILED"
    # the last good forecast stays published and queryable
    answer = fh.query_forecast(ForecastArn=forecast, Filters={"item_id": item, "store_id": store})
    assert answer["Forecast"]["Predictions"]["p50"]

    for name in ("2_a.csv", "3_b.csv"):  # two files at once: both run, in landing order
        shutil.copy2(good, landing / name)
    both = watcher.scan_once()
    assert [r["Status"] for r in both] == ["SUCCEEDED", "SUCCEEDED"], both
    assert [r["Trigger"].rsplit("/", 1)[-1] for r in both] == ["2_a.csv", "3_b.csv"]
    assert len(list_runs(fh.hub, "shop")) == 4

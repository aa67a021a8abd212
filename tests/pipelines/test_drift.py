"""Drift: after a successful inference run the monitor is asked whether accuracy drifted; when
it did, the watcher starts a retraining run (trigger ``drift: <Reason>``)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from forecasthub import registry
from forecasthub.pipelines.config import parse_config
from forecasthub.pipelines.watch import Watcher


def _actuals_after(history: Path, target: Path, weeks: int, factor: float) -> None:
    """The weeks after the history's end for every series, at ``factor`` x the last value."""
    lines = history.read_text().splitlines()
    last: dict[tuple[str, str], tuple[date, float]] = {}
    for line in lines[1:]:
        item, store, ts, value = line.split(",")
        last[(item, store)] = (date.fromisoformat(ts), float(value))
    out = [lines[0]]
    for (item, store), (end, value) in sorted(last.items()):
        for k in range(1, weeks + 1):
            out.append(f"{item},{store},{end + timedelta(weeks=k)},{value * factor:.2f}")
    target.write_text("\n".join(out) + "\n")


def test_drifted_accuracy_starts_a_retraining_run(fh, deployed_shop, tmp_path) -> None:
    pytest.importorskip("forecasthub.monitoring", reason="the monitoring package is not there yet")
    hub = fh.hub
    fh.call("CreateMonitor", {"MonitorName": "shop_monitor",
                              "ResourceArn": hub.arn("predictor", "p1")})
    landing = tmp_path / "landing"
    config = parse_config({"settle_seconds": 0, "groups": {"shop": {
        "landing": str(landing), "timestamp_format": "yyyy-MM-dd", "backoff_seconds": 0,
        "retrain": {"on_drift": {"metric": "WAPE", "threshold": 0.2}}}}})
    watcher = Watcher(hub, config)
    history = Path(deployed_shop.paths["TARGET_TIME_SERIES"])

    # 1. a forecast for the next weeks; no actuals for it yet: no drift
    shutil.copy2(history, landing / "0_history.csv")
    first = watcher.scan_once()
    assert [r["Pipeline"] for r in first] == ["inference"], first
    check = next(s for s in first[0]["Steps"] if s["Name"] == "drift_check")
    assert check["Status"] == "SUCCEEDED" and check["Drifted"] is False, check

    # 2. the actuals of those weeks land, five times what the model expected: the forecast made
    #    by this run evaluates the first one against them, and its WAPE is far past the backtest's
    _actuals_after(history, landing / "1_actuals.csv", weeks=4, factor=5.0)
    runs = watcher.scan_once()
    assert [r["Pipeline"] for r in runs] == ["inference", "retraining"], runs
    drift = runs[0]["Outputs"]["Drift"]
    assert drift["Drifted"] is True and drift["Metric"] == "WAPE", drift
    assert drift["Realised"] > drift["Baseline"] * 1.2
    assert runs[1]["Trigger"] == f"drift: {drift['Reason']}"
    assert runs[1]["Status"] == "SUCCEEDED", runs[1]
    assert registry.describe_version(hub, "shop", 2)["PredictorArn"] == runs[1]["Outputs"]["PredictorArn"]


def test_without_on_drift_there_is_no_drift_step(fh, deployed_shop, tmp_path) -> None:
    config = parse_config({"settle_seconds": 0, "groups": {"shop": {
        "landing": str(tmp_path / "landing"), "timestamp_format": "yyyy-MM-dd"}}})
    watcher = Watcher(fh.hub, config)
    shutil.copy2(deployed_shop.paths["TARGET_TIME_SERIES"], tmp_path / "landing" / "a.csv")
    runs = watcher.scan_once()
    assert [s["Name"] for s in runs[0]["Steps"]] == ["import", "forecast", "export", "sql_catalog"]
    assert "Drift" not in runs[0]["Outputs"]


def test_drift_check_is_skipped_without_the_monitoring_package(monkeypatch) -> None:
    import sys

    from forecasthub.pipelines import drift
    from forecasthub.pipelines.steps import Skip

    monkeypatch.setitem(sys.modules, "forecasthub.monitoring", None)  # import fails: not installed
    with pytest.raises(Skip, match="drift check skipped"):
        drift.drift_status_function()

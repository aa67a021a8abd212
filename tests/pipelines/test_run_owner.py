"""A pipeline run whose process died is failed (not left RUNNING forever): a real subprocess
records a run, starts a step and is killed (or exits); listing runs (Python, CLI, API), a
watcher starting and the retraining guard all see it FAILED."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forecasthub.pipelines.config import parse_config
from forecasthub.pipelines.retrain import start_record
from forecasthub.pipelines.runs import RunRecord, describe_run, list_runs
from forecasthub.store.orm import PipelineRunRow, utcnow

CHILD = """
import sys, time
from forecasthub.client import Client
from forecasthub.pipelines.runs import RunRecord

fh = Client()
run = RunRecord(fh.hub, sys.argv[1], "test: dies", ["one", "two", "three"], pipeline=sys.argv[2])
run.step("one", "RUNNING")
run.step("one", "SUCCEEDED")
run.step("two", "RUNNING")
print(run.id, flush=True)
if sys.argv[3] == "exit":
    import os
    os._exit(0)  # no finish(), no cleanup
time.sleep(600)
"""


def _group(fh: Any) -> str:
    return fh.create_dataset_group(DatasetGroupName="shop", Domain="RETAIL")["DatasetGroupArn"]


def _start_child(hub: Any, group_arn: str, how: str, pipeline: str = "inference"
                 ) -> tuple[subprocess.Popen, str]:
    settings = hub.settings
    env = {**os.environ, "FORECASTHUB_HOME": str(settings.home),
           "FORECASTHUB_DATABASE_URL": settings.database_url,
           "FORECASTHUB_STORE_URL": settings.store_url}
    child = subprocess.Popen([sys.executable, "-c", CHILD, group_arn, pipeline, how], env=env,
                             stdout=subprocess.PIPE, text=True)
    run_id = child.stdout.readline().strip()
    assert run_id, "the child process recorded no run"
    return child, run_id


def _assert_interrupted(run: dict, pid: int) -> None:
    message = f"interrupted: the process running it stopped (pid {pid} on host {socket.gethostname()})"
    assert run["Status"] == "FAILED" and run["Message"] == message, run
    assert run["EndTime"] is not None
    assert [(s["Name"], s["Status"]) for s in run["Steps"]] == [
        ("one", "SUCCEEDED"), ("two", "FAILED"), ("three", "SKIPPED")]
    assert run["Steps"][1]["Message"] == message and "EndTime" in run["Steps"][1]


def test_a_killed_run_is_failed_when_runs_are_listed(fh, home: Path) -> None:
    from forecasthub.cli.main import cli

    group = _group(fh)
    child, run_id = _start_child(fh.hub, group, "sleep")
    try:
        assert list_runs(fh.hub)[0]["Status"] == "RUNNING"  # alive: left alone
        row = describe_run(fh.hub, run_id)
        assert row["Steps"][1]["Status"] == "RUNNING"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    result = CliRunner().invoke(cli, ["runs"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["Runs"]
    assert run["RunId"] == run_id
    _assert_interrupted(run, child.pid)
    _assert_interrupted(describe_run(fh.hub, run_id), child.pid)


def test_a_dead_retraining_run_does_not_hold_the_group(fh) -> None:
    group = _group(fh)
    child, run_id = _start_child(fh.hub, group, "exit", pipeline="retraining")
    child.wait(timeout=30)
    cfg = parse_config({"groups": {"shop": {"retrain": {}}}}).groups[0]
    record = start_record(fh.hub, cfg, "manual")  # no ResourceInUseError
    record.finish("SUCCEEDED")
    _assert_interrupted(describe_run(fh.hub, run_id), child.pid)


def test_the_api_lists_a_dead_run_as_failed(tmp_path: Path) -> None:
    import httpx

    from forecasthub.client import Client
    from tests.api.conftest import running_server

    with running_server(tmp_path, workers=0) as srv:
        fh = Client(srv.hub.settings)
        child, run_id = _start_child(srv.hub, _group(fh), "exit")
        child.wait(timeout=30)
        answer = httpx.get(f"{srv.url}/api/v1/pipeline-runs", headers=srv.bearer, timeout=30)
        assert answer.status_code == 200, answer.text
        (run,) = answer.json()["Runs"]
        assert run["RunId"] == run_id
        _assert_interrupted(run, child.pid)
        fh.close()


def test_a_watcher_starting_fails_a_run_left_by_a_dead_watcher(fh, tmp_path: Path) -> None:
    from forecasthub.pipelines.watch import Watcher

    group = _group(fh)
    child, run_id = _start_child(fh.hub, group, "exit")
    child.wait(timeout=30)
    config = parse_config({"groups": {"shop": {"landing": str(tmp_path / "landing")}}})
    Watcher(fh.hub, config)
    with fh.hub.db.session() as s:
        assert s.get(PipelineRunRow, run_id).status == "FAILED"


@pytest.mark.parametrize("age_seconds, dead", [(10, False), (3600, True)])
def test_a_run_on_another_host_is_failed_once_its_heartbeat_is_stale(fh, age_seconds, dead) -> None:
    record = RunRecord(fh.hub, _group(fh), "test: elsewhere", ["one", "two"])
    record.step("one", "RUNNING")
    record._stop.set()  # this process plays the other host: no more heartbeats
    beat = utcnow() - timedelta(seconds=age_seconds)
    with fh.hub.db.session() as s:
        row = s.get(PipelineRunRow, record.id)
        row.owner, row.heartbeat_at = "another-host.example:4242", beat
    run = list_runs(fh.hub)[0]
    if not dead:
        assert run["Status"] == "RUNNING"
        return
    assert run["Status"] == "FAILED", run
    assert run["Message"] == ("interrupted: the process running it stopped (pid 4242 on host "
                              f"another-host.example; no heartbeat since {beat.isoformat()})")
    assert [s["Status"] for s in run["Steps"]] == ["FAILED", "SKIPPED"]



def test_run_times_carry_their_utc_offset(fh) -> None:
    from datetime import datetime

    run = RunRecord(fh.hub, _group(fh), "test: times", ["one"])
    run.step("one", "SUCCEEDED")
    run.finish("SUCCEEDED")
    described = describe_run(fh.hub, run.id)
    for key in ("CreationTime", "EndTime"):
        assert datetime.fromisoformat(described[key]).utcoffset() is not None, described[key]

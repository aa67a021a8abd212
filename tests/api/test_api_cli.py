"""`forecasthub serve`, `create-access-key`, `list-access-keys`, `delete-access-key`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from tests.api.conftest import free_port

# the lead wires server.register into cli/main.py; until then the tests build their own group
LAUNCH = ("import click; from forecasthub.cli.main import cli; from forecasthub.cli.server "
          "import register; register(cli) if 'serve' not in cli.commands else None; "
          "cli(prog_name='forecasthub')")


@pytest.fixture
def cli(home: Path) -> click.Group:
    from forecasthub.cli.server import register

    group = click.Group()
    register(group)
    return group


def test_create_list_delete_access_keys(cli: click.Group) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["create-access-key", "--description", "ci"])
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"

    listed = runner.invoke(cli, ["list-access-keys"])
    assert key["SecretAccessKey"] not in listed.output
    assert json.loads(listed.output)["AccessKeyMetadata"][0]["AccessKeyId"] == key["AccessKeyId"]

    deleted = runner.invoke(cli, ["delete-access-key", "--access-key-id", key["AccessKeyId"]])
    assert deleted.exit_code == 0 and "no access key is left" in deleted.output
    again = runner.invoke(cli, ["delete-access-key", "--access-key-id", key["AccessKeyId"]])
    assert again.exit_code == 1 and "not found" in again.output


def test_serve_refuses_a_public_address_without_a_key(cli: click.Group) -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 1
    assert "refusing to listen on 0.0.0.0" in result.output
    assert "create-access-key" in result.output


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_runs_and_stops_cleanly(home: Path, stop_signal: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "serve", "--port", str(port), "--workers", "1",
         "--worker-mode", "process", "--log-level", "info"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ), text=True,
    )
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)
        listed = httpx.get(f"http://127.0.0.1:{port}/api/v1/dataset-groups")
        assert listed.json() == {"DatasetGroups": []}
        time.sleep(0.5)  # let the worker process finish starting
        proc.send_signal(stop_signal)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # uvicorn re-raises SIGTERM after its shutdown (exit status 143 / -15, as Unix expects)
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "Traceback" not in output and "leaked" not in output


def test_serve_process_workers_run_jobs(home: Path, tmp_path: Path) -> None:
    """`serve`'s default worker processes know every job kind (they import the services)."""
    data = tmp_path / "d.csv"
    data.write_text("a,2020-01-01,1\na,2020-01-02,2\n")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "serve", "--port", str(port), "--workers", "1",
         "--worker-mode", "process", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ), text=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)
        schema = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                                 {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                                 {"AttributeName": "target_value", "AttributeType": "float"}]}
        ds = httpx.post(f"{base}/CreateDataset", json={
            "DatasetName": "d", "Domain": "CUSTOM", "DatasetType": "TARGET_TIME_SERIES",
            "DataFrequency": "D", "Schema": schema}).json()["DatasetArn"]
        job = httpx.post(f"{base}/CreateDatasetImportJob", json={
            "DatasetImportJobName": "j", "DatasetArn": ds, "TimestampFormat": "yyyy-MM-dd",
            "DataSource": {"S3Config": {"Path": str(data)}}}).json()["DatasetImportJobArn"]
        deadline = time.monotonic() + 60
        while (status := httpx.post(f"{base}/DescribeDatasetImportJob", json={
                "DatasetImportJobArn": job}).json()["Status"]) not in ("ACTIVE", "CREATE_FAILED"):
            assert time.monotonic() < deadline, status
            time.sleep(0.3)
        assert status == "ACTIVE"
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "Traceback" not in output, output

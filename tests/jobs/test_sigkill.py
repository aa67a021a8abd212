"""A worker killed with SIGKILL mid-training: its lease runs out, the job is retried by another
worker and finishes; nothing the dead worker half-wrote becomes visible."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecasthub.jobs.queue import JobState
from forecasthub.store.orm import JobRow, PredictorRow
from tests.conftest import require_samples

SCHEMA = {"Attributes": [{"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"},
                         {"AttributeName": "item_id", "AttributeType": "string"}]}


def _worker(drain: bool) -> subprocess.Popen:
    args = [sys.executable, "-m", "forecasthub.cli.main", "worker", "--poll", "0.2"]
    return subprocess.Popen(args + (["--drain"] if drain else []), env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _job(fh, arn: str) -> JobRow:
    with fh.hub.db.session() as s:
        return s.query(JobRow).filter(JobRow.resource_arn == arn).one()


def test_killed_worker_job_is_retried_and_nothing_partial_shows(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = require_samples()
    monkeypatch.setenv("FORECASTHUB_JOB_LEASE_SECONDS", "3")
    from forecasthub.client import Client

    fh = Client()
    group = fh.create_dataset_group(DatasetGroupName="g", Domain="CUSTOM")["DatasetGroupArn"]
    ds = fh.create_dataset(DatasetName="d", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                           DataFrequency="H", Schema=SCHEMA)["DatasetArn"]
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[ds])
    fh.create_dataset_import_job(
        DatasetImportJobName="i", DatasetArn=ds, TimestampFormat="yyyy-MM-dd hh:mm:ss",
        DataSource={"S3Config": {"Path": str(samples / "electricity/item-demand-time.csv")}},
        wait=True)
    arn = fh.create_auto_predictor(PredictorName="p", ForecastHorizon=24, ForecastFrequency="H",
                                   DataConfig={"DatasetGroupArn": group})["PredictorArn"]

    first = _worker(drain=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until it is training (past loading the data)
        job = _job(fh, arn)
        if job.state == JobState.RUNNING and "backtest" in str(job.progress.get("stage", "")):
            break
        time.sleep(0.2)
    else:
        first.kill()
        pytest.fail(f"the worker never started training: {job.state} {job.progress}")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    with fh.hub.db.session() as s:
        assert s.get(PredictorRow, arn).status == "CREATE_IN_PROGRESS"
    assert fh.hub.store.list("predictors") == []  # the dead worker's staging is not visible

    second = _worker(drain=False)  # reaps the expired lease, requeues, runs the job again
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and _job(fh, arn).state not in (
                JobState.SUCCEEDED, JobState.FAILED):
            time.sleep(0.5)
    finally:
        second.terminate()
        second.wait(timeout=30)
    job = _job(fh, arn)
    assert job.state == JobState.SUCCEEDED, job.message
    assert job.attempts == 2
    described = fh.describe_auto_predictor(PredictorArn=arn)
    assert described["Status"] == "ACTIVE", described.get("Message")
    versions = {key.split("/")[2] for key in fh.hub.store.list("predictors")}
    assert len(versions) == 1
    fh.close()

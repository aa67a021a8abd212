"""Step retries: capped exponential backoff, transient vs permanent failures, attempts recorded;
a real transient failure (an S3 export bucket that appears while the step waits)."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from forecasthub.errors import DataError, NotFoundError, ResourceInUseError, StorageError
from forecasthub.pipelines.config import parse_config
from forecasthub.pipelines.inference import group_arn_of, run_inference
from forecasthub.pipelines.ops import JobFailed
from forecasthub.pipelines.runs import FAILED, SUCCEEDED, RunRecord, describe_run
from forecasthub.pipelines.steps import RetryPolicy, StepFailed, Steps, is_transient
from tests.sql import flow


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(retries=5, backoff_seconds=5, max_backoff_seconds=30)
    assert [policy.delay(n) for n in range(1, 6)] == [5, 10, 20, 30, 30]


def test_what_is_retried() -> None:
    assert is_transient(StorageError("the S3 endpoint is unreachable"))
    assert is_transient(ResourceInUseError("dataset is still importing"))
    assert is_transient(RuntimeError("a library failed"))  # internal error
    assert is_transient(JobFailed("forecast job failed: internal error", transient=True))
    assert not is_transient(DataError("bad date", file="a.csv", row=2))  # would fail again
    assert not is_transient(NotFoundError("no deployed model"))
    assert not is_transient(JobFailed("import job failed: row 2", transient=False))


@pytest.fixture
def record(fh, tmp_path):
    flow.make_group(fh, flow.retail_files(tmp_path / "data"))
    return RunRecord(fh.hub, group_arn_of(fh.hub, "shop"), "test", ["one", "two"])


def test_a_transient_failure_is_retried_and_each_attempt_recorded(fh, record) -> None:
    waits: list[float] = []
    failures = iter([StorageError("store unreachable")])

    def flaky() -> dict:
        for exc in failures:
            raise exc
        return {"Value": 1}

    steps = Steps(record, RetryPolicy(retries=2, backoff_seconds=0.5), sleep=waits.append)
    assert steps.run("one", flaky) == {"Value": 1}
    entry = describe_run(fh.hub, record.id)["Steps"][0]
    assert entry["Status"] == SUCCEEDED and entry["Attempts"] == 2 and entry["Value"] == 1
    assert entry["Errors"] == [{"Attempt": 1, "Message": "store unreachable", "Transient": True}]
    assert waits == [0.5] and "RetryInSeconds" not in entry and entry["DurationSeconds"] >= 0


def test_retries_run_out_then_the_step_fails(fh, record) -> None:
    def broken() -> dict:
        raise StorageError("store unreachable")

    waits: list[float] = []
    with pytest.raises(StepFailed, match="one: store unreachable"):
        Steps(record, RetryPolicy(retries=2, backoff_seconds=1), sleep=waits.append).run("one", broken)
    entry = describe_run(fh.hub, record.id)["Steps"][0]
    assert entry["Status"] == FAILED and entry["Attempts"] == 3 and len(entry["Errors"]) == 3
    assert waits == [1, 2]


def test_bad_input_is_not_retried(fh, record) -> None:
    def bad() -> dict:
        raise DataError("not a date", file="x.csv", row=2, column="timestamp")

    with pytest.raises(StepFailed):
        Steps(record, RetryPolicy(retries=3, backoff_seconds=0), sleep=lambda s: None).run("one", bad)
    entry = describe_run(fh.hub, record.id)["Steps"][0]
    assert entry["Attempts"] == 1 and entry["Errors"][0]["Transient"] is False


@pytest.fixture
def s3_later(s3_bucket, home, monkeypatch, tmp_path, s3_server):
    """Settings with S3 on moto and an import root on a bucket that does not exist yet."""
    import uuid

    later = f"fh-later-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS", f"{tmp_path},s3://{later}")
    return later


def test_a_real_transient_failure_export_bucket_appears_during_backoff(
        s3_later, s3_server, tmp_path) -> None:
    """The export step writes to s3://<bucket>/exports while the bucket does not exist yet
    (StorageError: transient); a helper creates the bucket once the first attempt has failed,
    and the retry succeeds: Attempts 2."""
    from forecasthub import registry
    from forecasthub.client import Client

    fh = Client()
    try:
        files = flow.retail_files(tmp_path / "data")
        group, _ = flow.make_group(fh, files)
        registry.register_predictor(fh.hub, flow.train(fh, group, "p1"))
        registry.set_status(fh.hub, "shop", 1, "Approved")
        registry.deploy(fh.hub, "shop", 1)
        cfg = parse_config({"settle_seconds": 0, "groups": {"shop": {
            "landing": str(tmp_path / "landing"), "timestamp_format": "yyyy-MM-dd",
            "export": f"s3://{s3_later}/exports", "retries": 2, "backoff_seconds": 1.0}}}).groups[0]
        (tmp_path / "landing").mkdir()
        source = tmp_path / "landing" / "week.csv"
        shutil.copy2(files.paths["TARGET_TIME_SERIES"], source)

        def create_bucket_after_first_failure() -> None:
            from sqlalchemy import select

            from forecasthub.store.orm import PipelineRunRow

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with fh.hub.db.session() as s:
                    rows = s.scalars(select(PipelineRunRow)).all()
                    export = [st for r in rows for st in r.steps if st["Name"] == "export"]
                if export and export[0].get("Errors"):
                    s3_server.client().create_bucket(Bucket=s3_later)
                    return
                time.sleep(0.05)

        helper = threading.Thread(target=create_bucket_after_first_failure, daemon=True)
        helper.start()
        run = run_inference(fh.hub, cfg, str(source), trigger="test")
        helper.join(timeout=10)
        assert run["Status"] == "SUCCEEDED", run
        export = next(s for s in run["Steps"] if s["Name"] == "export")
        assert export["Attempts"] == 2, export
        assert export["Errors"][0]["Transient"] is True
        assert s3_later in export["Errors"][0]["Message"]
        assert all(f.startswith(f"s3://{s3_later}/exports") for f in run["Outputs"]["ExportFiles"])
    finally:
        fh.close()

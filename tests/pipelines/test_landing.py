"""Landing locations: `_SUCCESS` markers (local and s3), and s3:// prefixes on moto's S3 server
(listing, settle by unchanged size/ETag, exactly once by path + size + ETag)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from forecasthub import registry
from forecasthub.errors import InvalidInputError
from forecasthub.pipelines.config import parse_config
from forecasthub.pipelines.runs import list_runs
from forecasthub.pipelines.watch import Watcher
from tests.sql import flow


def test_local_folder_waits_for_its_success_marker(fh, deployed_shop, tmp_path) -> None:
    landing = tmp_path / "landing"
    config = parse_config({"settle_seconds": 3600, "groups": {"shop": {
        "landing": str(landing), "timestamp_format": "yyyy-MM-dd", "require_success_marker": True}}})
    watcher = Watcher(fh.hub, config)
    batch = landing / "batch_001"
    batch.mkdir()
    shutil.copy2(deployed_shop.paths["TARGET_TIME_SERIES"], batch / "part-0000.csv")
    shutil.copy2(deployed_shop.paths["TARGET_TIME_SERIES"], landing / "loose.csv")
    assert watcher.scan_once() == []  # no _SUCCESS anywhere yet
    (batch / "_SUCCESS").touch()
    runs = watcher.scan_once()  # the marker commits the batch: no settle wait (3600 s here)
    assert [r["Trigger"] for r in runs] == [f"file {batch / 'part-0000.csv'}"]
    assert runs[0]["Status"] == "SUCCEEDED", runs[0]
    assert watcher.scan_once() == []
    (landing / "_SUCCESS").touch()  # the landing folder itself is a batch too
    assert [r["Trigger"].rsplit("/", 1)[-1] for r in watcher.scan_once()] == ["loose.csv"]


@pytest.fixture
def s3_fh(s3_bucket, home, monkeypatch, tmp_path):
    """A client whose import roots include the test bucket (moto's S3 server)."""
    from forecasthub.client import Client

    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS", f"{tmp_path},s3://{s3_bucket}")
    client = Client()
    files = flow.retail_files(tmp_path / "data")
    group, _ = flow.make_group(client, files)
    registry.register_predictor(client.hub, flow.train(client, group, "p1"))
    registry.set_status(client.hub, "shop", 1, "Approved")
    registry.deploy(client.hub, "shop", 1)
    yield client, s3_bucket, Path(files.paths["TARGET_TIME_SERIES"])
    client.close()


def test_s3_landing_settles_runs_once_and_sees_changes(s3_fh, s3_server) -> None:
    fh, bucket, source = s3_fh
    s3 = s3_server.client()
    config = parse_config({"settle_seconds": 0.3, "groups": {"shop": {
        "landing": f"s3://{bucket}/landing/shop", "timestamp_format": "yyyy-MM-dd",
        "backoff_seconds": 0}}})
    watcher = Watcher(fh.hub, config)
    assert watcher.scan_once() == []  # an empty (not yet existing) prefix
    s3.put_object(Bucket=bucket, Key="landing/shop/week.csv", Body=source.read_bytes())
    s3.put_object(Bucket=bucket, Key="landing/shop/_tmp.csv", Body=b"ignored")
    s3.put_object(Bucket=bucket, Key="landing/shop/notes.txt", Body=b"not *.csv")
    assert watcher.scan_once() == []  # first sighting: settling
    time.sleep(0.35)
    runs = watcher.scan_once()
    assert len(runs) == 1 and runs[0]["Status"] == "SUCCEEDED", runs
    assert runs[0]["Trigger"] == f"file s3://{bucket}/landing/shop/week.csv"
    assert runs[0]["Steps"][0]["Source"] == f"s3://{bucket}/landing/shop/week.csv"

    # a restarted watcher does not take the same object (path + size + ETag) again
    again = Watcher(fh.hub, config)
    assert again.scan_once() == []
    time.sleep(0.35)
    assert again.scan_once() == []

    # new content under the same key (a new ETag) is a new file
    changed = source.read_bytes().replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n"
    first = changed.splitlines()[1]
    s3.put_object(Bucket=bucket, Key="landing/shop/week.csv", Body=changed + first + b"\n")
    assert again.scan_once() == []
    time.sleep(0.35)
    runs = again.scan_once()
    assert len(runs) == 1, runs
    assert len(list_runs(fh.hub, "shop")) == 2


def test_s3_batches_wait_for_success_marker(s3_fh, s3_server) -> None:
    fh, bucket, source = s3_fh
    s3 = s3_server.client()
    config = parse_config({"settle_seconds": 3600, "groups": {"shop": {
        "landing": f"s3://{bucket}/in", "timestamp_format": "yyyy-MM-dd",
        "require_success_marker": True}}})
    watcher = Watcher(fh.hub, config)
    s3.put_object(Bucket=bucket, Key="in/run=1/part-0000.csv", Body=source.read_bytes())
    assert watcher.scan_once() == []
    s3.put_object(Bucket=bucket, Key="in/run=1/_SUCCESS", Body=b"")
    runs = watcher.scan_once()
    assert [r["Trigger"] for r in runs] == [f"file s3://{bucket}/in/run=1/part-0000.csv"]
    assert runs[0]["Status"] == "SUCCEEDED", runs[0]
    assert watcher.scan_once() == []


def test_s3_landing_must_be_inside_the_import_roots(s3_fh) -> None:
    fh = s3_fh[0]
    config = parse_config({"groups": {"shop": {"landing": "s3://elsewhere/landing"}}}, "w.yaml")
    with pytest.raises(InvalidInputError, match=r"w.yaml: groups.shop.landing: .*import roots"):
        Watcher(fh.hub, config)


def test_unknown_group_is_a_clear_error(fh, tmp_path) -> None:
    config = parse_config({"groups": {"nope": {"landing": str(tmp_path / "l")}}}, "w.yaml")
    with pytest.raises(InvalidInputError, match=r"w.yaml: groups.nope: dataset group 'nope' does not"):
        Watcher(fh.hub, config)

"""Retraining schedules: the pure due-time function with a fake clock, the persisted last fire
(no double fire across restarts, one fire for missed times), and the watcher firing them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.pipelines import schedule
from forecasthub.pipelines.config import parse_config
from forecasthub.pipelines.inference import group_arn_of
from forecasthub.pipelines.watch import Watcher

WEEKLY = "0 3 * * 0"  # Sundays 03:00 UTC
SUN = datetime(2026, 11, 15, 3, 0, tzinfo=UTC)  # a Sunday, 03:00


def test_due_time_is_pure_and_fires_once_for_missed_times() -> None:
    assert schedule.due_time(WEEKLY, SUN, SUN + timedelta(days=6)) is None  # Saturday: not yet
    nxt = SUN + timedelta(days=7)
    assert schedule.due_time(WEEKLY, SUN, nxt - timedelta(seconds=1)) is None
    assert schedule.due_time(WEEKLY, SUN, nxt) == nxt  # exactly on time
    assert schedule.due_time(WEEKLY, SUN, nxt + timedelta(hours=5)) == nxt  # late
    # three Sundays missed (the watcher was down): one fire, for the latest
    assert schedule.due_time(WEEKLY, SUN, SUN + timedelta(days=22)) == SUN + timedelta(days=21)
    assert schedule.due_time(WEEKLY, nxt, nxt) is None  # fired for it already
    assert schedule.due_time("*/15 * * * *", SUN, SUN + timedelta(minutes=31)) == \
        SUN + timedelta(minutes=30)
    naive = datetime(2026, 11, 15, 3, 0)  # SQLite gives naive datetimes back: read as UTC
    assert schedule.due_time(WEEKLY, naive, nxt) == nxt


@pytest.mark.parametrize("bad", ["0 3 * *", "61 * * * *", "every sunday", "0 3 * * 0 0 0 0"])
def test_bad_cron_names_the_file_and_key(bad: str) -> None:
    with pytest.raises(InvalidInputError, match=r"watch.yaml: groups.shop.retrain.schedule: .*cron"):
        parse_config({"groups": {"shop": {"retrain": {"schedule": bad}}}}, "watch.yaml")


def test_last_fire_is_persisted_and_claimed_once(fh, tmp_path) -> None:
    from forecasthub.client import Client
    from tests.sql import flow

    flow.make_group(fh, flow.retail_files(tmp_path / "data"))
    arn = group_arn_of(fh.hub, "shop")
    start = SUN + timedelta(hours=1)
    assert schedule.claim_due(fh.hub, arn, WEEKLY, start) is None  # first sight: counts from now
    assert schedule.describe(fh.hub, arn)["Fires"] == 0
    later = start + timedelta(days=7)
    assert schedule.claim_due(fh.hub, arn, WEEKLY, later) == SUN + timedelta(days=7)
    assert schedule.claim_due(fh.hub, arn, WEEKLY, later) is None  # the same time: not again
    restarted = Client()  # a new process on the same metadata store
    try:
        assert schedule.claim_due(restarted.hub, arn, WEEKLY, later + timedelta(hours=1)) is None
        row = schedule.describe(restarted.hub, arn)
        assert row["Fires"] == 1 and row["Cron"] == WEEKLY
        assert row["LastFireTime"] == (SUN + timedelta(days=7)).isoformat()
        assert row["NextFireTime"] == (SUN + timedelta(days=14)).isoformat()
        # down for a month: one fire, for the latest missed Sunday
        month = later + timedelta(days=30)
        assert schedule.claim_due(restarted.hub, arn, WEEKLY, month) == SUN + timedelta(days=35)
        assert schedule.claim_due(fh.hub, arn, WEEKLY, month) is None
    finally:
        restarted.close()


def test_the_watcher_fires_a_due_schedule_once(fh, deployed_shop, tmp_path) -> None:
    config = parse_config({"settle_seconds": 0, "groups": {"shop": {
        "retrain": {"schedule": WEEKLY}, "backoff_seconds": 0}}})  # a retrain-only group
    watcher = Watcher(fh.hub, config)
    assert watcher.landings == []
    assert watcher.scan_once(now=SUN + timedelta(hours=1)) == []  # registers the schedule
    assert watcher.scan_once(now=SUN + timedelta(days=6)) == []
    runs = watcher.scan_once(now=SUN + timedelta(days=7, minutes=1))
    assert len(runs) == 1 and runs[0]["Pipeline"] == "retraining", runs
    assert runs[0]["Trigger"] == f"schedule {WEEKLY} (due {(SUN + timedelta(days=7)).isoformat()})"
    assert runs[0]["Status"] == "SUCCEEDED", runs[0]
    assert Watcher(fh.hub, config).scan_once(now=SUN + timedelta(days=7, minutes=2)) == []
    assert schedule.describe(fh.hub, group_arn_of(fh.hub, "shop"))["LastRunId"] == runs[0]["RunId"]

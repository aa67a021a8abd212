"""The job queue: claims are exclusive, leases expire, dead workers' jobs retry then fail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.jobs import queue, worker
from forecasthub.jobs.queue import JobState
from forecasthub.store.db import Database
from forecasthub.store.orm import utcnow


class FakeHub:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.failed: list[tuple[str, str, bool]] = []
        self.ran: list[str] = []


class RecordingHandler:
    def __init__(self, behaviour: str = "ok") -> None:
        self.behaviour = behaviour

    def run(self, hub: Any, job: Any, progress: worker.Progress) -> None:
        hub.ran.append(job.id)
        progress.update(stage="working", done=1, total=2)
        if self.behaviour == "user-error":
            raise InvalidInputError("row 3: bad value")
        if self.behaviour == "bug":
            raise KeyError("oops")

    def fail(self, hub: Any, job: Any, message: str, stopped: bool = False) -> None:
        hub.failed.append((job.id, message, stopped))


@pytest.fixture
def hub(database_url: str):  # SQLite and PostgreSQL (tests/conftest.py)
    fake = FakeHub(Database(database_url))
    yield fake
    fake.db.dispose()


def _enqueue(hub: FakeHub, kind: str, max_attempts: int = 2) -> str:
    with hub.db.session() as s:
        return queue.enqueue(s, kind, f"arn:{kind}", {}, max_attempts=max_attempts)


def test_claim_is_exclusive(hub: FakeHub) -> None:
    job_id = _enqueue(hub, "t-ok")
    first = queue.claim(hub.db, "w1")
    assert first is not None and first.id == job_id and first.state == JobState.RUNNING
    assert queue.claim(hub.db, "w2") is None


@pytest.mark.parametrize(("behaviour", "state", "message"), [
    ("ok", JobState.SUCCEEDED, None),
    ("user-error", JobState.FAILED, "row 3: bad value"),
    ("bug", JobState.FAILED, "internal error: KeyError: 'oops'"),
])
def test_run_job_outcomes(hub: FakeHub, behaviour: str, state: JobState, message: str | None) -> None:
    worker.register(f"t-{behaviour}", RecordingHandler(behaviour))
    job_id = _enqueue(hub, f"t-{behaviour}")
    assert worker.run_worker(hub, drain=True) == 1
    row = queue.get_job(hub.db, job_id)
    assert (row.state, row.message) == (state, message)
    assert row.progress["stage"] == "working"
    assert bool(hub.failed) == (state == JobState.FAILED)


def test_expired_lease_is_retried_then_failed(hub: FakeHub) -> None:
    worker.register("t-crash", RecordingHandler())
    job_id = _enqueue(hub, "t-crash", max_attempts=2)
    for attempt in (1, 2):
        claimed = queue.claim(hub.db, f"dead-worker-{attempt}")
        assert claimed is not None and claimed.attempts == attempt
        with hub.db.session() as s:  # the worker died: its lease runs out
            s.get(queue.JobRow, job_id).lease_expires_at = utcnow() - timedelta(seconds=1)
        worker.reap(hub)
    row = queue.get_job(hub.db, job_id)
    assert row.state == JobState.FAILED
    assert "stopped after 2 attempt(s)" in row.message
    assert hub.failed and hub.failed[0][0] == job_id


def test_cancel_pending_job(hub: FakeHub) -> None:
    job_id = _enqueue(hub, "t-ok")
    with hub.db.session() as s:
        assert queue.request_cancel(s, "arn:t-ok")
    assert queue.get_job(hub.db, job_id).state == JobState.CANCELLED
    assert queue.claim(hub.db, "w") is None


def test_progress_estimates_remaining_time() -> None:
    p = worker.Progress("j")
    p.update(done=1, total=4)
    assert p.state["eta_seconds"] >= 0
    p.cancel_requested = True
    with pytest.raises(worker.JobCancelled):
        p.update(done=2)

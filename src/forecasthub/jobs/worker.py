"""Workers: claim jobs, run their handler with a heartbeat thread, record the outcome.

A handler is registered per job kind by the service that owns it. A job whose worker died is
found by its expired lease and retried (``max_attempts``) or failed with a clear message, so no
job stays in progress forever.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from forecasthub.errors import ForecastHubError
from forecasthub.jobs import queue
from forecasthub.jobs.queue import JobState
from forecasthub.store.orm import JobRow

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a handler when StopResource asked the job to stop."""


@dataclass
class Progress:
    """What a handler reports while it works; read by Describe* and progress bars."""

    job_id: str
    started: float = field(default_factory=time.monotonic)
    state: dict[str, Any] = field(default_factory=dict)
    cancel_requested: bool = False
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    error: BaseException | None = None  # why the job failed (read by callers running it in-process)

    def update(self, **values: Any) -> None:
        self.state.update(values)
        done, total = self.state.get("done"), self.state.get("total")
        if done and total:
            elapsed = time.monotonic() - self.started
            self.state["eta_seconds"] = round(elapsed / done * max(total - done, 0), 1)
        for listener in self.listeners:
            listener(dict(self.state))
        if self.cancel_requested:
            raise JobCancelled()


class Handler(Protocol):
    def run(self, ctx: Any, job: JobRow, progress: Progress) -> None: ...

    def fail(self, ctx: Any, job: JobRow, message: str, stopped: bool = False) -> None: ...


HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def lease_seconds(ctx: Any) -> int:
    """The installation's job lease (settings.job_lease_seconds), 60 s by default."""
    settings = getattr(ctx, "settings", None)
    return int(getattr(settings, "job_lease_seconds", queue.LEASE_SECONDS))


def run_job(ctx: Any, job: JobRow, progress: Progress | None = None) -> JobState:
    """Run one claimed job to its end state, heartbeating while it works."""
    handler = HANDLERS.get(job.kind)
    if handler is None:  # a process that never imported the service owning this kind of job
        message = f"no handler for job kind {job.kind!r} in this worker"
        log.error(message)
        queue.finish(ctx.db, job.id, JobState.FAILED, message)
        return JobState.FAILED
    lease = lease_seconds(ctx)
    progress = progress or Progress(job.id)
    progress.job_id = job.id
    wid = job.worker or worker_id()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease / 4):
            if queue.heartbeat(ctx.db, job.id, wid, dict(progress.state), lease_seconds=lease):
                progress.cancel_requested = True

    beater = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{job.id[:8]}")
    beater.start()
    try:
        handler.run(ctx, job, progress)
        state, message = JobState.SUCCEEDED, None
    except JobCancelled:
        state, message = JobState.CANCELLED, "stopped by StopResource"
        handler.fail(ctx, job, message, stopped=True)
    except ForecastHubError as exc:
        state, message, progress.error = JobState.FAILED, exc.message, exc
        handler.fail(ctx, job, message)
    except Exception as exc:  # a bug or a library failure: report it plainly, log the trace
        log.exception("job %s (%s) failed", job.id, job.kind)
        state, message = JobState.FAILED, f"internal error: {type(exc).__name__}: {exc}"
        progress.error = exc
        handler.fail(ctx, job, message)
    finally:
        stop.set()
        beater.join(timeout=5)
    queue.heartbeat(ctx.db, job.id, wid, dict(progress.state))
    queue.finish(ctx.db, job.id, state, message)
    return state


def reap(ctx: Any) -> int:
    """Retry or fail jobs whose worker vanished; returns how many were handled."""
    rows = queue.expired(ctx.db)
    for row in rows:
        if row.attempts < row.max_attempts:
            queue.requeue(ctx.db, row.id, f"worker {row.worker} stopped; retrying")
        else:
            message = (f"the worker running this job stopped after {row.attempts} attempt(s); "
                       "the job was abandoned")
            if row.kind in HANDLERS:
                HANDLERS[row.kind].fail(ctx, row, message)
            queue.finish(ctx.db, row.id, JobState.FAILED, message)
    return len(rows)


def run_worker(ctx: Any, *, drain: bool = False, poll_seconds: float = 1.0,
               stop: threading.Event | None = None) -> int:
    """Claim and run jobs until stopped (or, with ``drain``, until the queue is empty)."""
    ran = 0
    wid = worker_id()
    stop = stop or threading.Event()
    while not stop.is_set():
        reap(ctx)
        job = queue.claim(ctx.db, wid, lease_seconds=lease_seconds(ctx))
        if job is None:
            if drain:
                return ran
            stop.wait(poll_seconds)
            continue
        run_job(ctx, job)
        ran += 1
    return ran

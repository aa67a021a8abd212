"""Running service operations from a pipeline step: the jobs they start run here, to their end,
and a failed job raises :class:`JobFailed` that tells whether trying again could help."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from forecasthub.errors import ForecastHubError, InvalidInputError


class JobFailed(ForecastHubError):
    """A job a step started ended FAILED; ``transient`` says whether a retry could succeed."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def call(hub: Any, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run an operation and, if it starts a job, run the job here to its end.

    JobFailed when the job (run here) failed, classified by its error; a job another worker
    took first is waited for, and its outcome is read by :func:`check`."""
    from forecasthub.jobs import queue, worker
    from forecasthub.jobs.queue import JobState
    from forecasthub.pipelines.steps import is_transient
    from forecasthub.services.operations import OPERATIONS

    response = OPERATIONS[operation](hub, dict(request))
    job_id = response.pop("_JobId", None)
    if job_id:
        job = queue.claim(hub.db, worker.worker_id(), job_id=job_id)
        if job is not None:
            progress = worker.Progress(job.id)
            state = worker.run_job(hub, job, progress)
            if state == JobState.FAILED:
                error = progress.error
                message = error.message if isinstance(error, ForecastHubError) else (
                    f"internal error: {type(error).__name__}: {error}")
                raise JobFailed(f"{job.kind} job failed: {message}",
                                transient=error is None or is_transient(error))
        else:  # a worker took it first: wait for it
            while (row := queue.get_job(hub.db, job_id)) and row.state not in queue.FINAL:
                time.sleep(0.5)
    return response


def check(hub: Any, operation: str, request: dict[str, Any], what: str) -> dict[str, Any]:
    """Describe a resource; an error unless it is ACTIVE (a job failed elsewhere: an internal
    error may pass on a retry, a reported error would not)."""
    from forecasthub.services.operations import OPERATIONS

    desc = OPERATIONS[operation](hub, request)
    if desc["Status"] != "ACTIVE":
        message = desc.get("Message") or "no message"
        text = f"{what} ended {desc['Status']}: {message}"
        if message.startswith("internal error") or "worker running this job stopped" in message:
            raise JobFailed(text, transient=True)
        raise InvalidInputError(text)
    return desc


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "_" + secrets.token_hex(3)


def unique_name(prefix: str) -> str:
    """A resource name that is new (prefix + time + random), within Amazon's 63 characters."""
    return f"{prefix[:40]}_{stamp()}"

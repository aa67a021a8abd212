"""The Python API: a client with boto3's method names over the embedded service.

    >>> import forecasthub
    >>> fh = forecasthub.Client()                      # ./.forecasthub, or FORECASTHUB_HOME
    >>> fh.create_dataset_group(DatasetGroupName="retail", Domain="RETAIL")
    >>> fh.create_dataset_import_job(..., wait=True)   # run the job here and wait for it

Requests and responses are the same dicts boto3's ``forecast`` client uses.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from forecasthub.errors import InvalidInputError
from forecasthub.jobs import queue, worker
from forecasthub.services.context import Hub
from forecasthub.services.operations import OPERATIONS
from forecasthub.settings import Settings, get_settings


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


OPERATION_BY_METHOD = {snake(op): op for op in OPERATIONS}


class Client:
    """boto3-style access to one forecasthub home."""

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.hub = Hub(settings or get_settings(**overrides))

    def call(self, operation: str, request: dict[str, Any] | None = None, *, wait: bool = False,
             on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Run an operation; with ``wait`` the job it starts runs here until it ends."""
        if operation not in OPERATIONS:
            raise InvalidInputError(
                f"unknown operation {operation!r}; available: {', '.join(sorted(OPERATIONS))}"
            )
        response = OPERATIONS[operation](self.hub, dict(request or {}))
        job_id = response.pop("_JobId", None)
        if job_id and wait:
            self.run_job(job_id, on_progress=on_progress)
        return response

    def run_job(self, job_id: str, on_progress: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Claim a pending job and run it in this process (or wait for whoever runs it)."""
        job = queue.claim(self.hub.db, worker.worker_id(), job_id=job_id,
                          lease_seconds=worker.lease_seconds(self.hub))
        if job is not None:
            progress = worker.Progress(job.id)
            if on_progress:
                progress.listeners.append(on_progress)
            worker.run_job(self.hub, job, progress)
            return
        while (row := queue.get_job(self.hub.db, job_id)) and row.state not in queue.FINAL:
            if on_progress:
                on_progress(row.progress or {})
            time.sleep(0.5)

    def run_pending(self) -> int:
        """Run every pending job in this process; returns how many ran."""
        return worker.run_worker(self.hub, drain=True)

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        operation = OPERATION_BY_METHOD.get(name)
        if operation is None:
            raise AttributeError(name)

        def method(wait: bool = False, **request: Any) -> dict[str, Any]:
            return self.call(operation, request, wait=wait)

        method.__name__ = name
        return method

    def close(self) -> None:
        self.hub.close()

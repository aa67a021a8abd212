"""The worker pool embedded in `forecasthub serve`: N threads or processes running queued jobs.

Stopping asks every worker to finish its current job and waits ``grace`` seconds; a job still
running after that is put back in the queue at once (not left to its lease expiring), so the next
worker picks it up.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import socket
import threading
import time
from typing import Any, Literal

from sqlalchemy import select

from forecasthub.jobs import queue
from forecasthub.jobs.queue import JobState
from forecasthub.services.context import Hub
from forecasthub.settings import Settings
from forecasthub.store.orm import JobRow

log = logging.getLogger(__name__)

WorkerMode = Literal["thread", "process"]


def _process_main(settings: Settings, poll_seconds: float) -> None:
    """Entry point of a worker process. SIGTERM (from the pool, or sent to the whole group by
    systemd or docker) means: finish the current job, then stop. Ctrl-C reaches the whole
    process group, so it is ignored here and the parent decides."""
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    import forecasthub.services.operations  # noqa: F401  (registers the job handlers)
    from forecasthub.jobs.worker import run_worker

    hub = Hub(settings)
    try:
        run_worker(hub, stop=stop, poll_seconds=poll_seconds)
    finally:
        hub.close()


class WorkerPool:
    def __init__(self, hub: Hub, size: int, *, mode: WorkerMode = "thread",
                 poll_seconds: float = 1.0) -> None:
        if size < 0:
            raise ValueError("the worker count must be 0 or more")
        self.hub, self.size, self.mode, self.poll_seconds = hub, size, mode, poll_seconds
        self._threads: list[threading.Thread] = []
        self._processes: list[Any] = []
        self._thread_stop = threading.Event()

    def start(self) -> None:
        if self.size == 0:
            return
        self.hub.db  # noqa: B018 - migrate once here, not in N workers at the same time
        if self.mode == "thread":
            from forecasthub.jobs.worker import run_worker

            for i in range(self.size):
                thread = threading.Thread(
                    target=self._run_thread, args=(run_worker,), name=f"forecasthub-worker-{i}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        else:
            ctx = mp.get_context("spawn")  # no forked copies of the server's threads and sockets
            for i in range(self.size):
                proc = ctx.Process(target=_process_main, name=f"forecasthub-worker-{i}",
                                   args=(self.hub.settings, self.poll_seconds), daemon=True)
                proc.start()
                self._processes.append(proc)
        log.info("started %d worker %s(s)", self.size, self.mode)

    def _run_thread(self, run_worker: Any) -> None:
        try:
            run_worker(self.hub, stop=self._thread_stop, poll_seconds=self.poll_seconds)
        except Exception:  # noqa: BLE001 - a broken worker must not die silently
            log.exception("worker thread %s stopped on an error", threading.current_thread().name)

    @property
    def alive(self) -> int:
        return sum(t.is_alive() for t in self._threads) + sum(p.is_alive() for p in self._processes)

    def stop(self, grace: float = 10.0) -> None:
        """Let workers finish their job within ``grace`` seconds; requeue what is left."""
        if not self._threads and not self._processes:
            return
        self._thread_stop.set()
        for proc in self._processes:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: finish the current job, then exit
        deadline = time.monotonic() + grace
        for worker in [*self._threads, *self._processes]:
            worker.join(timeout=max(deadline - time.monotonic(), 0.1))
        host = socket.gethostname()
        leftovers = [f"{host}:{os.getpid()}:{t.ident}:" for t in self._threads if t.is_alive()]
        for proc in self._processes:
            if proc.is_alive():
                proc.kill()  # SIGTERM would only ask it to finish its job, which it did not
                proc.join(timeout=5)
            # a process that is gone holds no job, whatever the queue says: hand those back too
            leftovers.append(f"{host}:{proc.pid}:")
        requeued = self._requeue(leftovers)
        if requeued:
            log.warning("stopped with %d job(s) unfinished; they were put back in the queue",
                        requeued)
        self._threads, self._processes = [], []

    def _requeue(self, worker_prefixes: list[str]) -> int:
        if not worker_prefixes:
            return 0
        with self.hub.db.session() as s:
            rows = s.scalars(select(JobRow).where(JobRow.state == JobState.RUNNING)).all()
            ids = [r.id for r in rows
                   if r.worker and any(f"{r.worker}:".startswith(p) for p in worker_prefixes)]
        for job_id in ids:
            queue.requeue(self.hub.db, job_id, "the server stopped while this job ran; retrying")
        return len(ids)

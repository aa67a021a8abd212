"""Pipeline run records: one row per pass, each step's state kept as it goes.

A run records its owner (``host:pid`` of the process running it) and a heartbeat, refreshed on
every save and by a background thread every job lease / 3 while it runs. A RUNNING run whose
process died is failed by :func:`reap_dead_runs` (called when runs are listed or described, when a
watcher starts and before a retraining run checks that none is going): dead means the owner is
on this host and its pid is gone (or now belongs to a process started after the run), or, for an
owner on another host (or none recorded), no heartbeat for ``STALE_LEASES`` x job lease (3 min
with the default 60 s FORECASTHUB_JOB_LEASE_SECONDS).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil
from sqlalchemy import select

from forecasthub.errors import NotFoundError
from forecasthub.store.orm import PipelineRunRow, utcnow

RUNNING, SUCCEEDED, FAILED, SKIPPED, PENDING = "RUNNING", "SUCCEEDED", "FAILED", "SKIPPED", "PENDING"
STALE_LEASES = 3  # a run on another host with no heartbeat for this many job leases is dead
log = logging.getLogger(__name__)


def _lease(hub: Any) -> float:
    return float(getattr(hub.settings, "job_lease_seconds", 60))


def owner_id() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _iso(value: Any) -> str | None:
    """ISO 8601 with its UTC offset (SQLite hands stored UTC times back without one)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def to_json(row: PipelineRunRow, group_name: str | None = None) -> dict[str, Any]:
    return {"RunId": row.id, "DatasetGroupArn": row.dataset_group_arn,
            "DatasetGroupName": group_name or row.dataset_group_arn.rsplit("/", 1)[-1],
            "Pipeline": row.pipeline or "inference", "Trigger": row.trigger, "Status": row.status, "Steps": row.steps, "Outputs": row.outputs,
            "Message": row.message, "CreationTime": _iso(row.created_at),
            "EndTime": _iso(row.finished_at)}


class RunRecord:
    """Writes a run's progress to the metadata store step by step."""

    def __init__(self, hub: Any, group_arn: str, trigger: str, steps: list[str],
                 pipeline: str = "inference") -> None:
        self.hub, self.id, self.pipeline = hub, uuid.uuid4().hex, pipeline
        self.group_arn, self.status = group_arn, RUNNING
        self.steps = [{"Name": name, "Status": PENDING} for name in steps]
        self.outputs: dict[str, Any] = {}
        self._started: dict[str, float] = {}
        with hub.db.session() as s:
            s.add(PipelineRunRow(id=self.id, dataset_group_arn=group_arn, trigger=trigger,
                                 pipeline=pipeline, status=RUNNING, steps=self.steps, outputs={},
                                 owner=owner_id(), heartbeat_at=utcnow()))
        self._stop = threading.Event()
        threading.Thread(target=self._beat, daemon=True, name=f"run-heartbeat-{self.id[:8]}").start()

    def _beat(self) -> None:
        """Refresh the heartbeat while the run goes (steps can run for hours between saves)."""
        while not self._stop.wait(max(_lease(self.hub) / 3, 1.0)):
            try:
                with self.hub.db.session() as s:
                    row = s.get(PipelineRunRow, self.id)
                    if row is None or row.status != RUNNING:
                        return
                    row.heartbeat_at = utcnow()
            except Exception:  # the store is briefly unreachable: try again at the next beat
                log.debug("pipeline run %s: heartbeat failed", self.id, exc_info=True)

    def _save(self, **fields: Any) -> None:
        with self.hub.db.session() as s:
            row = s.get(PipelineRunRow, self.id)
            row.steps, row.outputs = [dict(x) for x in self.steps], dict(self.outputs)
            row.heartbeat_at = utcnow()
            for k, v in fields.items():
                setattr(row, k, v)

    def step(self, name: str, status: str, **info: Any) -> None:
        entry = next(x for x in self.steps if x["Name"] == name)
        now = utcnow().isoformat()
        if status == RUNNING:
            entry.setdefault("StartTime", now)  # a retry keeps the first start
            self._started.setdefault(name, time.monotonic())
        else:
            entry["EndTime"] = now
            entry.pop("RetryInSeconds", None)
            if name in self._started:
                entry["DurationSeconds"] = round(time.monotonic() - self._started[name], 3)
        entry["Status"] = status
        entry.update({k: v for k, v in info.items() if v is not None})
        self._save()

    def finish(self, status: str, message: str | None = None) -> None:
        for entry in self.steps:
            if entry["Status"] == PENDING:
                entry["Status"] = SKIPPED
        self.status = status
        self._stop.set()
        self._save(status=status, message=message, finished_at=utcnow())

    def save_outputs(self) -> None:
        self._save()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite keeps no zone


def _death(row: PipelineRunRow, stale_after: float, now: datetime) -> str | None:
    """Why the run's process is known to be gone, or None while it may still be running."""
    host, _, pid = (row.owner or "").rpartition(":")
    who = f"pid {pid} on host {host}" if host else "owner unknown"
    if host == socket.gethostname() and pid.isdigit():
        try:
            process = psutil.Process(int(pid))
            started = process.create_time()
            if process.status() == psutil.STATUS_ZOMBIE:
                return who
        except psutil.NoSuchProcess:
            return who
        except psutil.Error:  # e.g. not ours to inspect: it exists
            return None
        # the pid was reused by a process started after the run (a restarted container, say);
        # the slack covers create_time's coarse clock
        return who if started > _aware(row.created_at).timestamp() + 5 else None
    seen = _aware(row.heartbeat_at or row.created_at)
    if now - seen > timedelta(seconds=stale_after):
        return f"{who}; no heartbeat since {seen.isoformat()}"
    return None


def reap_dead_runs(hub: Any, run_id: str | None = None) -> list[str]:
    """Fail RUNNING runs (or just ``run_id``) whose process stopped: the RUNNING step FAILED,
    the later ones SKIPPED. Returns the ids of the runs failed."""
    now, stale_after = utcnow(), STALE_LEASES * _lease(hub)
    failed = []
    with hub.db.session() as s:
        query = select(PipelineRunRow).where(PipelineRunRow.status == RUNNING)
        if run_id is not None:
            query = query.where(PipelineRunRow.id == run_id)
        for row in s.scalars(query).all():
            why = _death(row, stale_after, now)
            if why is None:
                continue
            message = f"interrupted: the process running it stopped ({why})"
            steps = [dict(x) for x in row.steps]
            for entry in steps:
                if entry["Status"] == RUNNING:
                    entry.pop("RetryInSeconds", None)
                    entry.update(Status=FAILED, EndTime=now.isoformat(), Message=message)
                elif entry["Status"] == PENDING:
                    entry["Status"] = SKIPPED
            row.steps, row.status, row.message, row.finished_at = steps, FAILED, message, now
            log.warning("pipeline run %s (%s): FAILED: %s", row.id, row.pipeline, message)
            failed.append(row.id)
    return failed


def list_runs(hub: Any, group: str | None = None, limit: int = 50,
              pipeline: str | None = None) -> list[dict[str, Any]]:
    reap_dead_runs(hub)
    with hub.db.session() as s:
        query = select(PipelineRunRow).order_by(PipelineRunRow.created_at.desc()).limit(limit)
        if pipeline:
            query = query.where(PipelineRunRow.pipeline == pipeline)
        if group:
            from forecasthub.registry.versions import group_row

            query = query.where(PipelineRunRow.dataset_group_arn == group_row(s, hub, group).arn)
        return [to_json(r) for r in s.scalars(query).all()]


def describe_run(hub: Any, run_id: str) -> dict[str, Any]:
    reap_dead_runs(hub, run_id)
    with hub.db.session() as s:
        row = s.get(PipelineRunRow, run_id)
        if row is None:
            raise NotFoundError(f"pipeline run {run_id} not found")
        return to_json(row)

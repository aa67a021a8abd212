"""The job queue in the metadata store: enqueue, claim with a lease, heartbeat, finish, reap.

On PostgreSQL a claim is one ``SELECT ... FOR UPDATE SKIP LOCKED`` of the oldest pending job and
an UPDATE in the same transaction: concurrent workers never wait on each other's row and never
take the same job. On SQLite (one writer at a time) it is a conditional UPDATE
(``... WHERE id = :id AND state = 'PENDING'``) whose row count tells who won.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forecasthub.store.db import Database
from forecasthub.store.orm import JobRow, utcnow


class JobState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


FINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
LEASE_SECONDS = 60


def enqueue(
    session: Session, kind: str, resource_arn: str, payload: dict[str, Any], max_attempts: int = 2
) -> str:
    job_id = uuid.uuid4().hex
    session.add(
        JobRow(
            id=job_id, kind=kind, resource_arn=resource_arn, state=JobState.PENDING,
            payload=payload, max_attempts=max_attempts, progress={},
        )
    )
    return job_id


def claim(db: Database, worker: str, job_id: str | None = None,
          lease_seconds: int = LEASE_SECONDS) -> JobRow | None:
    """Take the oldest pending job (or the given one); None when there is nothing to do."""
    if db.engine.dialect.name == "postgresql":
        return _claim_skip_locked(db, worker, job_id, lease_seconds)
    with db.session() as s:
        query = select(JobRow.id).where(JobRow.state == JobState.PENDING)
        if job_id:
            query = query.where(JobRow.id == job_id)
        candidates = s.scalars(query.order_by(JobRow.created_at).limit(5)).all()
    for candidate in candidates:
        now = utcnow()
        with db.session() as s:
            won = s.execute(
                update(JobRow)
                .where(JobRow.id == candidate, JobRow.state == JobState.PENDING)
                .values(
                    state=JobState.RUNNING, worker=worker, attempts=JobRow.attempts + 1,
                    started_at=now, lease_expires_at=now + timedelta(seconds=lease_seconds),
                )
            ).rowcount
        if won:
            with db.session() as s:
                return s.get(JobRow, candidate)
    return None


def _claim_skip_locked(db: Database, worker: str, job_id: str | None,
                       lease_seconds: int) -> JobRow | None:
    with db.session() as s:
        query = select(JobRow).where(JobRow.state == JobState.PENDING)
        if job_id:
            query = query.where(JobRow.id == job_id)
        row = s.scalars(
            query.order_by(JobRow.created_at).limit(1).with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        now = utcnow()
        row.state, row.worker, row.attempts = JobState.RUNNING, worker, row.attempts + 1
        row.started_at, row.lease_expires_at = now, now + timedelta(seconds=lease_seconds)
    return row  # committed; sessions keep attributes loaded (expire_on_commit=False)


def heartbeat(db: Database, job_id: str, worker: str, progress: dict[str, Any] | None = None,
              lease_seconds: int = LEASE_SECONDS) -> bool:
    """Renew the lease (and store progress). Returns True when cancellation was requested."""
    values: dict[str, Any] = {"lease_expires_at": utcnow() + timedelta(seconds=lease_seconds)}
    if progress is not None:
        values["progress"] = progress
    with db.session() as s:
        s.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.worker == worker, JobRow.state == JobState.RUNNING)
            .values(**values)
        )
        row = s.get(JobRow, job_id)
        return bool(row and row.cancel_requested)


def finish(db: Database, job_id: str, state: JobState, message: str | None = None) -> None:
    with db.session() as s:
        s.execute(
            update(JobRow).where(JobRow.id == job_id)
            .values(state=state, message=message, finished_at=utcnow(), lease_expires_at=None)
        )


def request_cancel(session: Session, resource_arn: str) -> bool:
    """Flag the live job of a resource for cancellation; True when there was one."""
    rows = session.scalars(
        select(JobRow).where(JobRow.resource_arn == resource_arn,
                             JobRow.state.in_([JobState.PENDING, JobState.RUNNING]))
    ).all()
    for row in rows:
        row.cancel_requested = True
        if row.state == JobState.PENDING:
            row.state, row.finished_at = JobState.CANCELLED, utcnow()
    return bool(rows)


def expired(db: Database, now: datetime | None = None) -> list[JobRow]:
    """Running jobs whose worker stopped renewing its lease (it crashed or was killed)."""
    now = now or utcnow()
    with db.session() as s:
        rows = s.scalars(select(JobRow).where(JobRow.state == JobState.RUNNING)).all()
        return [r for r in rows if r.lease_expires_at and _aware(r.lease_expires_at) < now]


def requeue(db: Database, job_id: str, message: str) -> None:
    with db.session() as s:
        s.execute(
            update(JobRow).where(JobRow.id == job_id, JobRow.state == JobState.RUNNING)
            .values(state=JobState.PENDING, worker=None, lease_expires_at=None, message=message)
        )


def get_job(db: Database, job_id: str) -> JobRow | None:
    with db.session() as s:
        return s.get(JobRow, job_id)


def latest_job_for(session: Session, resource_arn: str) -> JobRow | None:
    return session.scalars(
        select(JobRow).where(JobRow.resource_arn == resource_arn)
        .order_by(JobRow.created_at.desc()).limit(1)
    ).first()


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)

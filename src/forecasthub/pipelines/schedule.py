"""Retraining schedules: cron expressions (UTC, via croniter) and their last fire time.

:func:`due_time` is pure: given the cron, the last fire time and ``now`` it returns the scheduled
time to fire for, or None. After downtime that missed one or more scheduled times it returns the
latest one, so a missed schedule fires once, not once per missed time.

:func:`claim_due` keeps the last fire time in the ``pipeline_schedules`` table. A schedule seen
for the first time starts counting from then (it does not fire at once). The update is guarded
by the fire count (``... WHERE fires = :seen``), so a restarted watcher, or two on the same
metadata store, never fire the same scheduled time twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from forecasthub.errors import InvalidInputError
from forecasthub.store.orm import PipelineScheduleRow, utcnow

CRON_HELP = "5 fields: minute hour day-of-month month day-of-week, in UTC, e.g. '0 3 * * 0'"


def check_cron(expression: str) -> str:
    from croniter import croniter

    expression = " ".join(str(expression).split())
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise ValueError(f"{expression!r} is not a cron expression ({CRON_HELP})")
    return expression


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def next_time(cron: str, after: datetime) -> datetime:
    """The first scheduled time strictly after ``after``."""
    from croniter import croniter

    return croniter(cron, _aware(after)).get_next(datetime)


def due_time(cron: str, last_fire: datetime, now: datetime) -> datetime | None:
    """The latest scheduled time in (last_fire, now], or None when none has come yet."""
    from croniter import croniter

    last_fire, now = _aware(last_fire), _aware(now)
    if next_time(cron, last_fire) > now:
        return None
    # get_prev excludes its start time; start a second later so a time equal to `now` counts
    return croniter(cron, now + timedelta(seconds=1)).get_prev(datetime)


def claim_due(hub: Any, group_arn: str, cron: str, now: datetime | None = None) -> datetime | None:
    """The scheduled time to fire for now (recorded as fired), or None. Exactly one caller gets
    a given scheduled time, across restarts and concurrent watchers."""
    try:
        cron = check_cron(cron)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    now = _aware(now or utcnow())
    with hub.db.session() as s:
        known = s.get(PipelineScheduleRow, group_arn) is not None
    if not known:
        try:
            with hub.db.session() as s:
                s.add(PipelineScheduleRow(dataset_group_arn=group_arn, cron=cron, last_fire_at=now,
                                          fires=0, created_at=now, modified_at=now))
        except IntegrityError:  # another watcher registered it first
            pass
        return None
    with hub.db.session() as s:
        row = s.get(PipelineScheduleRow, group_arn)
        if row.cron != cron:  # the YAML changed: the new expression counts from the last fire
            row.cron, row.modified_at = cron, now
        due = due_time(cron, row.last_fire_at, now)
        if due is None:
            return None
        seen = row.fires
        result = s.execute(update(PipelineScheduleRow)
                           .where(PipelineScheduleRow.dataset_group_arn == group_arn,
                                  PipelineScheduleRow.fires == seen)
                           .values(last_fire_at=due, fires=seen + 1, modified_at=now)
                           .execution_options(synchronize_session=False))
        return due if result.rowcount == 1 else None


def record_run(hub: Any, group_arn: str, run_id: str) -> None:
    with hub.db.session() as s:
        row = s.get(PipelineScheduleRow, group_arn)
        if row is not None:
            row.last_run_id = run_id


def describe(hub: Any, group_arn: str) -> dict[str, Any] | None:
    with hub.db.session() as s:
        row = s.get(PipelineScheduleRow, group_arn)
        if row is None:
            return None
        last = _aware(row.last_fire_at)
        return {"Cron": row.cron, "LastFireTime": last.isoformat(), "Fires": row.fires,
                "NextFireTime": next_time(row.cron, last).isoformat(), "LastRunId": row.last_run_id}

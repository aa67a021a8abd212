"""Pipeline run records: one row per pass, each step's state kept as it goes."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select

from forecasthub.errors import NotFoundError
from forecasthub.store.orm import PipelineRunRow, utcnow

RUNNING, SUCCEEDED, FAILED, SKIPPED, PENDING = "RUNNING", "SUCCEEDED", "FAILED", "SKIPPED", "PENDING"


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


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
                                 pipeline=pipeline, status=RUNNING, steps=self.steps, outputs={}))

    def _save(self, **fields: Any) -> None:
        with self.hub.db.session() as s:
            row = s.get(PipelineRunRow, self.id)
            row.steps, row.outputs = [dict(x) for x in self.steps], dict(self.outputs)
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
        self._save(status=status, message=message, finished_at=utcnow())

    def save_outputs(self) -> None:
        self._save()


def list_runs(hub: Any, group: str | None = None, limit: int = 50,
              pipeline: str | None = None) -> list[dict[str, Any]]:
    with hub.db.session() as s:
        query = select(PipelineRunRow).order_by(PipelineRunRow.created_at.desc()).limit(limit)
        if pipeline:
            query = query.where(PipelineRunRow.pipeline == pipeline)
        if group:
            from forecasthub.registry.versions import group_row

            query = query.where(PipelineRunRow.dataset_group_arn == group_row(s, hub, group).arn)
        return [to_json(r) for r in s.scalars(query).all()]


def describe_run(hub: Any, run_id: str) -> dict[str, Any]:
    with hub.db.session() as s:
        row = s.get(PipelineRunRow, run_id)
        if row is None:
            raise NotFoundError(f"pipeline run {run_id} not found")
        return to_json(row)

"""SQLAlchemy rows of the metadata store. Portable SQL only (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ResourceMixin:
    """Columns every Amazon Forecast resource has."""

    arn: Mapped[str] = mapped_column(String(300), primary_key=True)
    name: Mapped[str] = mapped_column(String(63), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DatasetGroupRow(ResourceMixin, Base):
    __tablename__ = "dataset_groups"
    __table_args__ = (UniqueConstraint("name"),)
    domain: Mapped[str] = mapped_column(String(32))
    dataset_arns: Mapped[list[Any]] = mapped_column(JSON, default=list)


class DatasetRow(ResourceMixin, Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("name"),)
    domain: Mapped[str] = mapped_column(String(32))
    dataset_type: Mapped[str] = mapped_column(String(32))
    data_frequency: Mapped[str | None] = mapped_column(String(8), default=None)
    schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    encryption_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current_version: Mapped[str | None] = mapped_column(String(300), default=None)
    version_summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DatasetImportJobRow(ResourceMixin, Base):
    __tablename__ = "dataset_import_jobs"
    __table_args__ = (UniqueConstraint("dataset_arn", "name"),)
    dataset_arn: Mapped[str] = mapped_column(String(300), index=True)
    data_source: Mapped[dict[str, Any]] = mapped_column(JSON)
    timestamp_format: Mapped[str | None] = mapped_column(String(256), default=None)
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    use_geolocation_for_time_zone: Mapped[bool] = mapped_column(default=False)
    geolocation_format: Mapped[str | None] = mapped_column(String(32), default=None)
    format: Mapped[str] = mapped_column(String(16), default="CSV")
    import_mode: Mapped[str] = mapped_column(String(16), default="FULL")
    version_key: Mapped[str | None] = mapped_column(String(300), default=None)
    field_statistics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data_size_gb: Mapped[float | None] = mapped_column(Float, default=None)


class JobRow(Base):
    """A unit of long work claimed by a worker with a lease and a heartbeat."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    resource_arn: Mapped[str] = mapped_column(String(300), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=2)
    worker: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PredictorRow(ResourceMixin, Base):
    """An (auto) predictor: its request, trained artifacts and accuracy."""

    __tablename__ = "predictors"
    dataset_group_arn: Mapped[str] = mapped_column(String(300), index=True)
    is_auto: Mapped[bool] = mapped_column(default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dataset_import_job_arns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    artifact_key: Mapped[str | None] = mapped_column(String(300), default=None)
    accuracy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reference_predictor_arn: Mapped[str | None] = mapped_column(String(300), default=None)


class ForecastRow(ResourceMixin, Base):
    __tablename__ = "forecasts"
    __table_args__ = (UniqueConstraint("name"),)
    predictor_arn: Mapped[str] = mapped_column(String(300), index=True)
    dataset_group_arn: Mapped[str] = mapped_column(String(300), index=True)
    forecast_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    time_series_selector: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    artifact_key: Mapped[str | None] = mapped_column(String(300), default=None)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExportJobRow(ResourceMixin, Base):
    """Forecast export and predictor backtest export jobs (``kind`` tells which)."""

    __tablename__ = "export_jobs"
    kind: Mapped[str] = mapped_column(String(32), index=True)
    source_arn: Mapped[str] = mapped_column(String(300), index=True)
    destination: Mapped[dict[str, Any]] = mapped_column(JSON)
    format: Mapped[str] = mapped_column(String(16), default="CSV")
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)


class AccessKeyRow(Base):
    """An API access key (AWS-style id + secret) for the HTTP APIs.

    The secret is stored as given, not hashed: SigV4 signatures are HMACs keyed by a key derived
    from the secret, so the server needs the secret itself to verify one. Protect the metadata
    database accordingly (file permissions, database credentials).
    """

    __tablename__ = "access_keys"
    access_key_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    secret_access_key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="Active", index=True)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


# -- model registry and pipelines (issue #5) --------------------------------------------------
from sqlalchemy import BigInteger


class ModelVersionRow(Base):
    """A predictor registered as a version of its dataset group's model, with approval status."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("dataset_group_arn", "version"), UniqueConstraint("predictor_arn"),
                      # at most one deployed version per dataset group (migration 0006)
                      Index("uq_model_versions_deployed", "dataset_group_arn", unique=True,
                            sqlite_where=text("deployed"), postgresql_where=text("deployed")))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dataset_group_arn: Mapped[str] = mapped_column(String(300), index=True)
    version: Mapped[int] = mapped_column(Integer)
    predictor_arn: Mapped[str] = mapped_column(String(300))
    predictor_name: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(32), index=True)  # PendingManualApproval|Approved|Rejected
    metric_name: Mapped[str] = mapped_column(String(64))
    metric_value: Mapped[float | None] = mapped_column(Float, default=None)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dataset_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deployed: Mapped[bool] = mapped_column(default=False)
    deployed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelDeploymentRow(Base):
    """One deploy or rollback of a dataset group's model: the history rollbacks walk back."""

    __tablename__ = "model_deployments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_group_arn: Mapped[str] = mapped_column(String(300), index=True)
    model_version_id: Mapped[str] = mapped_column(String(40))
    previous_version_id: Mapped[str | None] = mapped_column(String(40), default=None)
    action: Mapped[str] = mapped_column(String(16))  # deploy | rollback
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelApprovalRuleRow(Base):
    """Approve a new version when its metric is no worse than the deployed one's by more than
    ``max_regression`` (a fraction: 0.05 = 5 % worse at most); optionally deploy it too."""

    __tablename__ = "model_approval_rules"
    dataset_group_arn: Mapped[str] = mapped_column(String(300), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64))
    max_regression: Mapped[float] = mapped_column(Float, default=0.0)
    auto_deploy: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PipelineRunRow(Base):
    """One automated pass: import -> forecast -> export -> SQL catalog, with each step's state."""

    __tablename__ = "pipeline_runs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dataset_group_arn: Mapped[str] = mapped_column(String(300), index=True)
    trigger: Mapped[str] = mapped_column(Text)
    pipeline: Mapped[str] = mapped_column(String(16), default="inference",
                                          server_default="inference")  # | retraining (0006)
    status: Mapped[str] = mapped_column(String(16), index=True)  # RUNNING | SUCCEEDED | FAILED
    steps: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # the process running it, host:pid, and its last sign of life (0008)
    owner: Mapped[str | None] = mapped_column(String(300), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class WatchLedgerRow(Base):
    """A landed file the watcher has taken (path + size + mtime): each is processed once."""

    __tablename__ = "watch_ledger"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of path|size|mtime_ns
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[str] = mapped_column(String(32))
    dataset_group: Mapped[str] = mapped_column(String(63), index=True)
    run_id: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- monitoring (migration 0005) ---------------------------------------------------------------
class MonitorRow(ResourceMixin, Base):
    """A predictor monitor (CreateMonitor / CreateAutoPredictor MonitorConfig); at most one per
    predictor. ``status`` is ACTIVE or ACTIVE_STOPPED (StopResource / ResumeResource)."""

    __tablename__ = "monitors"
    __table_args__ = (UniqueConstraint("name"), UniqueConstraint("resource_arn"))
    resource_arn: Mapped[str] = mapped_column(String(300))  # the monitored predictor
    dataset_group_arn: Mapped[str] = mapped_column(String(300), index=True)
    last_evaluation_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_evaluation_state: Mapped[str | None] = mapped_column(String(16), default=None)


class MonitorEvaluationRow(Base):
    """One evaluation of one earlier forecast against the actuals that now cover its dates.

    ``dedup_key`` (sha256 of monitor, forecast and covered window) makes re-runs idempotent, also
    when two processes evaluate at once. Per-series metrics live in the object store
    (``item_key``); ``metrics`` holds the overall values (AverageWeightedQuantileLoss, WAPE, RMSE,
    MASE, MAPE, wQL[q] ...)."""

    __tablename__ = "monitor_evaluations"
    __table_args__ = (UniqueConstraint("dedup_key"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(64))
    monitor_arn: Mapped[str] = mapped_column(String(300), index=True)
    resource_arn: Mapped[str] = mapped_column(String(300))  # the monitored predictor
    predictor_arn: Mapped[str] = mapped_column(String(300), index=True)  # the forecast's predictor
    forecast_arn: Mapped[str] = mapped_column(String(300), index=True)
    dataset_group_arn: Mapped[str] = mapped_column(String(300), index=True)
    dataset_import_job_arn: Mapped[str | None] = mapped_column(String(300), default=None)
    data_version: Mapped[str | None] = mapped_column(String(300), default=None)
    state: Mapped[str] = mapped_column(String(16), index=True)  # SUCCESS | FAILURE
    window_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    window_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    num_items: Mapped[int | None] = mapped_column(Integer, default=None)
    num_points: Mapped[int | None] = mapped_column(Integer, default=None)
    item_key: Mapped[str | None] = mapped_column(String(300), default=None)
    predictor_event: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


# --- pipelines: schedules, step attempts (migration 0006) --------------------------------------
# (step attempts live in pipeline_runs.steps: each step's Attempts and Errors)
class PipelineScheduleRow(Base):
    """A dataset group's retraining schedule: when it last fired. ``fires`` counts the fires and
    guards the update (``... WHERE fires = :seen``), so two watchers never fire the same time."""

    __tablename__ = "pipeline_schedules"
    dataset_group_arn: Mapped[str] = mapped_column(String(300), primary_key=True)
    cron: Mapped[str] = mapped_column(String(120))
    last_fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fires: Mapped[int] = mapped_column(Integer, default=0)
    last_run_id: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)



# --- hyperparameter tuning jobs (migration 0007) -----------------------------------------------
class TuningJobRow(Base):
    """A hyperparameter tuning job (SageMaker's CreateHyperParameterTuningJob semantics)."""

    __tablename__ = "tuning_jobs"
    arn: Mapped[str] = mapped_column(String(300), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # InProgress|Completed|Failed|Stopping|Stopped
    algorithm: Mapped[str] = mapped_column(String(64))
    dataset_group_arn: Mapped[str] = mapped_column(String(300), index=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    best_trial_name: Mapped[str | None] = mapped_column(String(63), default=None)
    best_predictor_arn: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class TuningTrialRow(Base):
    """One trial (SageMaker: a training job) of a tuning job: parameters, objective, metrics."""

    __tablename__ = "tuning_trials"
    __table_args__ = (UniqueConstraint("tuning_job_arn", "number"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tuning_job_arn: Mapped[str] = mapped_column(String(300), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16))  # InProgress|Completed|Failed|Stopped
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # typed tuned values
    objective_value: Mapped[float | None] = mapped_column(Float, default=None)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    seconds: Mapped[float | None] = mapped_column(Float, default=None)

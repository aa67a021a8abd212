"""The pipelines YAML (``forecasthub watch -c watch.yaml``), validated with typed settings.

Unknown keys are refused, and every error names the file and the key (``watch.yaml:
groups.shop.retrain.schedule: ...``). docs/automation.md has a full example; in short::

    poll_seconds: 10
    settle_seconds: 30
    groups:
      shop:
        landing: /data/landing/shop          # or s3://bucket/prefix
        on_file: inference                   # or retrain
        retries: 2
        backoff_seconds: 5
        notify: {webhook: "https://hooks.example.com/fh", on: [FAILED]}
        retrain:
          schedule: "0 3 * * 0"              # cron, UTC
          on_drift: {metric: WAPE, threshold: 0.2}
          predictor: {ForecastHorizon: 4, ForecastFrequency: W}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecasthub.errors import InvalidInputError

RUN_STATUSES = ("SUCCEEDED", "FAILED")
# fields the retraining pipeline sets itself in a CreateAutoPredictor request
RESERVED_PREDICTOR_KEYS = ("PredictorName", "ReferencePredictorArn", "DataConfig")


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DriftSettings(_Settings):
    """Retrain when the monitor says the metric drifted past ``threshold`` (see
    :func:`forecasthub.monitoring.drift_status`)."""

    metric: str = "WAPE"
    threshold: float = Field(ge=0)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        from forecasthub.registry.versions import METRICS

        if value not in METRICS and not (value.startswith("wQL[") and value.endswith("]")):
            raise ValueError(f"must be one of {', '.join(METRICS)} or wQL[<quantile>]")
        return value


class RetrainSettings(_Settings):
    schedule: str | None = None  # cron (5 fields, UTC)
    on_drift: DriftSettings | None = None
    predictor: dict[str, Any] | None = None  # CreateAutoPredictor fields, when nothing is deployed

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        from forecasthub.pipelines.schedule import check_cron

        return None if value is None else check_cron(value)

    @field_validator("predictor")
    @classmethod
    def _predictor(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            reserved = sorted(set(value) & set(RESERVED_PREDICTOR_KEYS))
            if reserved:
                verb = "is" if len(reserved) == 1 else "are"
                raise ValueError(f"{', '.join(reserved)} {verb} set by the pipeline; leave "
                                 f"{'it' if len(reserved) == 1 else 'them'} out")
        return value


class NotifySettings(_Settings):
    webhook: str | None = None  # POST the run record here
    on: list[Literal["SUCCEEDED", "FAILED"]] = Field(default_factory=lambda: list(RUN_STATUSES))
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    retries: int = Field(2, ge=0, le=5)

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, value: Any) -> Any:
        # YAML 1.1 (PyYAML) reads an unquoted `on:` key as the boolean true
        if isinstance(value, dict) and True in value and "on" not in value:
            value = {("on" if key is True else key): item for key, item in value.items()}
        return value

    @field_validator("webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class GroupConfig(_Settings):
    """One ``groups:`` entry: what to do with a dataset group's landed files and when to retrain."""

    dataset_group: str = ""  # the key under ``groups:``
    landing: str | None = None  # folder (inside FORECASTHUB_IMPORT_ROOTS) or s3://bucket/prefix
    pattern: str = "*.csv"
    require_success_marker: bool = False  # take a folder's files once its _SUCCESS exists
    on_file: Literal["inference", "retrain"] = "inference"  # what a landed file runs
    dataset: str | None = None  # default: the group's TARGET_TIME_SERIES dataset
    format: Literal["CSV", "PARQUET"] | None = None  # default: from the file extension
    import_mode: Literal["INCREMENTAL", "FULL"] = "INCREMENTAL"
    timestamp_format: str | None = None
    time_zone: str | None = None
    export: str | None = None  # forecast export destination (folder or s3://); none: no export
    export_format: Literal["CSV", "PARQUET"] = "CSV"
    retries: int = Field(2, ge=0, le=10)  # extra attempts of a step that failed transiently
    backoff_seconds: float = Field(5.0, ge=0, le=3600)  # first wait; doubles per attempt
    max_backoff_seconds: float = Field(300.0, ge=0, le=86400)  # cap of the wait
    notify: NotifySettings | None = None
    retrain: RetrainSettings | None = None

    @model_validator(mode="after")
    def _needs_something_to_do(self) -> GroupConfig:
        if not self.landing and self.retrain is None:
            raise ValueError("landing (a folder or s3:// prefix) is required, unless the group "
                             "only has a retrain: block")
        if self.on_file == "retrain" and not self.landing:
            raise ValueError("on_file: retrain needs a landing location")
        return self


class WatchConfig(_Settings):
    poll_seconds: float = Field(10.0, gt=0)
    settle_seconds: float = Field(30.0, ge=0)  # a file must keep its size this long
    groups: list[GroupConfig]
    source: str = ""  # the file it came from (for messages)

    def group(self, name: str) -> GroupConfig | None:
        return next((g for g in self.groups if g.dataset_group == name), None)


class _WatchFile(_Settings):
    poll_seconds: float = Field(10.0, gt=0)
    settle_seconds: float = Field(30.0, ge=0)
    groups: dict[str, GroupConfig]

    @field_validator("groups", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            raise ValueError("must map dataset group names to their settings")
        out = {}
        for name, options in value.items():
            options = {} if options is None else options
            if isinstance(options, dict):
                if "dataset_group" in options:
                    raise ValueError(f"{name}: the group's name is its key; remove dataset_group")
                options = {**options, "dataset_group": str(name)}
            out[str(name)] = options
        return out


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where an unknown one was found."""
    named = [str(part) for part in loc]
    model: type[BaseModel] = _WatchFile
    if len(named) >= 2 and named[0] == "groups":
        model = GroupConfig
        nested = {"retrain": RetrainSettings, "notify": NotifySettings, "on_drift": DriftSettings}
        for part in named[2:]:
            model = nested.get(part, model)
    return [k for k in model.model_fields if k != "dataset_group"]


def _explain(exc: ValidationError, source: str) -> InvalidInputError:
    lines = []
    for error in exc.errors():
        loc = _location(error["loc"])
        if error["type"] == "extra_forbidden":
            parent, _, key = loc.rpartition(".")
            allowed = ", ".join(_allowed_keys(error["loc"][:-1]))
            lines.append(f"{parent or '(top level)'}: unknown key {key!r} (allowed: {allowed})")
        elif error["type"] == "missing":
            lines.append(f"{loc}: required")
        else:
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{loc}: {message}")
    return InvalidInputError(f"{source}: " + "; ".join(lines))


def parse_config(data: Any, source: str = "watch config") -> WatchConfig:
    """The YAML's content as a :class:`WatchConfig`; InvalidInputError naming the file and key."""
    if not isinstance(data, dict):
        raise InvalidInputError(f"{source}: expected a mapping with `groups:`")
    if "groups" not in data:
        raise InvalidInputError(f"{source}: groups: is required (dataset group names -> settings)")
    try:
        parsed = _WatchFile.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, source) from None
    return WatchConfig(poll_seconds=parsed.poll_seconds, settle_seconds=parsed.settle_seconds,
                       groups=list(parsed.groups.values()), source=source)


def load_config(path: str | Path) -> WatchConfig:
    import yaml

    try:
        text = Path(path).read_text()
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InvalidInputError(f"cannot read watch config {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"watch config {path} is not valid YAML: {exc}") from None
    return parse_config(data, str(path))


def default_group(name: str) -> GroupConfig:
    """Settings for a group no YAML describes (a retraining pass started by hand)."""
    return GroupConfig(dataset_group=name, retrain=RetrainSettings())

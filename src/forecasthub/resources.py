"""Amazon Forecast's resource vocabulary: names, ARNs, statuses and enums, defined once."""

from __future__ import annotations

import re
from enum import StrEnum

from forecasthub.errors import InvalidInputError, LimitExceededError

NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,62}$")
ARN_RE = re.compile(r"^arn:([a-z\d-]+):forecast:([^:]*):([^:]*):(.+)$")

DOMAINS = (
    "RETAIL", "CUSTOM", "INVENTORY_PLANNING", "EC2_CAPACITY", "WORK_FORCE", "WEB_TRAFFIC", "METRICS",
)
DATASET_TYPES = ("TARGET_TIME_SERIES", "RELATED_TIME_SERIES", "ITEM_METADATA")
FORMATS = ("CSV", "PARQUET")
IMPORT_MODES = ("FULL", "INCREMENTAL")


class Status(StrEnum):
    ACTIVE = "ACTIVE"
    CREATE_PENDING = "CREATE_PENDING"
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_FAILED = "CREATE_FAILED"
    CREATE_STOPPING = "CREATE_STOPPING"
    CREATE_STOPPED = "CREATE_STOPPED"
    DELETE_PENDING = "DELETE_PENDING"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_FAILED = "DELETE_FAILED"
    UPDATE_PENDING = "UPDATE_PENDING"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_FAILED = "UPDATE_FAILED"


# Allowed transitions of a job-backed resource (import job, predictor, forecast, export job).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.CREATE_PENDING: frozenset(
        {Status.CREATE_IN_PROGRESS, Status.CREATE_FAILED, Status.CREATE_STOPPED, Status.ACTIVE}
    ),
    Status.CREATE_IN_PROGRESS: frozenset(
        {Status.ACTIVE, Status.CREATE_FAILED, Status.CREATE_STOPPING, Status.CREATE_PENDING}
    ),
    Status.CREATE_STOPPING: frozenset({Status.CREATE_STOPPED, Status.CREATE_FAILED, Status.ACTIVE}),
    Status.ACTIVE: frozenset({Status.DELETE_PENDING, Status.UPDATE_PENDING, Status.UPDATE_IN_PROGRESS}),
    Status.UPDATE_PENDING: frozenset({Status.UPDATE_IN_PROGRESS, Status.ACTIVE, Status.UPDATE_FAILED}),
    Status.UPDATE_IN_PROGRESS: frozenset({Status.ACTIVE, Status.UPDATE_FAILED}),
    Status.UPDATE_FAILED: frozenset({Status.UPDATE_PENDING, Status.UPDATE_IN_PROGRESS, Status.ACTIVE}),
    Status.CREATE_FAILED: frozenset({Status.DELETE_PENDING}),
    Status.CREATE_STOPPED: frozenset({Status.DELETE_PENDING}),
    Status.DELETE_PENDING: frozenset({Status.DELETE_IN_PROGRESS, Status.DELETE_FAILED}),
    Status.DELETE_IN_PROGRESS: frozenset({Status.DELETE_FAILED}),
    Status.DELETE_FAILED: frozenset({Status.DELETE_PENDING}),
}
DELETABLE = frozenset({Status.ACTIVE, Status.CREATE_FAILED, Status.CREATE_STOPPED, Status.UPDATE_FAILED})
TERMINAL = frozenset({Status.ACTIVE, Status.CREATE_FAILED, Status.CREATE_STOPPED})


def can_transition(current: str, new: str) -> bool:
    return current == new or Status(new) in TRANSITIONS.get(Status(current), frozenset())


def validate_name(name: object, field: str) -> str:
    """Amazon Forecast's resource name rule, anchored: letters, digits, underscores, 1-63."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InvalidInputError(
            f"{field} {name!r} is not a valid name: use 1-63 letters, digits or underscores, "
            "starting with a letter"
        )
    return name


def validate_enum(value: object, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidInputError(f"{field} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def make_arn(region: str, account: str, resource_type: str, *path: str) -> str:
    return f"arn:aws:forecast:{region}:{account}:{resource_type}/{'/'.join(path)}"


def parse_arn(arn: object, field: str, expected_type: str | None = None) -> tuple[str, list[str]]:
    """Split an ARN into (resource type, path parts); InvalidInputError when malformed."""
    if not isinstance(arn, str) or len(arn) > 300:
        raise InvalidInputError(f"{field} must be an ARN string")
    match = ARN_RE.match(arn)
    if not match or "/" not in match.group(4):
        raise InvalidInputError(f"{field} {arn!r} is not a valid forecast ARN")
    resource_type, _, rest = match.group(4).partition("/")
    if expected_type and resource_type != expected_type:
        raise InvalidInputError(f"{field} {arn!r} is not a {expected_type} ARN")
    return resource_type, rest.split("/")


def validate_tags(tags: object) -> dict[str, str]:
    """Tags as a request gives them ([{Key, Value}]) -> dict, with Amazon's rules."""
    if tags is None:
        return {}
    if not isinstance(tags, list) or len(tags) > 200:
        raise InvalidInputError("Tags must be a list of at most 200 {Key, Value} objects")
    out: dict[str, str] = {}
    tag_re = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)
    for tag in tags:
        key, value = (tag or {}).get("Key"), (tag or {}).get("Value", "")
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not tag_re.match(key):
            raise InvalidInputError(f"invalid tag key {key!r}")
        if key.lower().startswith("aws:"):
            raise InvalidInputError(f"tag key {key!r} may not start with 'aws:'")
        if not isinstance(value, str) or len(value) > 256 or not tag_re.match(value):
            raise InvalidInputError(f"invalid value for tag {key!r}")
        out[key] = value
    if len(out) > 50:
        raise LimitExceededError("a resource can have at most 50 tags")
    return out


def tags_to_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]

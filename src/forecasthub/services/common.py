"""Small helpers shared by service operations: request access, times, pagination, filters."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from forecasthub.errors import InvalidInputError, InvalidNextTokenError

Request = dict[str, Any]


def param(req: Request, name: str, default: Any = None) -> Any:
    """A request member; JSON null counts as absent (Step Functions sends nulls)."""
    value = req.get(name)
    return default if value is None else value


def required(req: Request, name: str) -> Any:
    value = req.get(name)
    if value is None or value == "":
        raise InvalidInputError(f"{name} is required")
    return value


def epoch(value: datetime | None) -> float | None:
    """Timestamps go out as epoch seconds, like the AWS JSON protocol."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return round(value.timestamp(), 3)


def paginate(items: Sequence[dict[str, Any]], req: Request, key: str) -> dict[str, Any]:
    """Slice a list by MaxResults (1-100) and an opaque NextToken."""
    max_results = param(req, "MaxResults", 100)
    if not isinstance(max_results, int) or not 1 <= max_results <= 100:
        raise InvalidInputError("MaxResults must be an integer from 1 to 100")
    start = 0
    token = param(req, "NextToken")
    if token is not None:
        try:
            start = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidNextTokenError("NextToken is invalid or expired") from exc
    page = list(items[start : start + max_results])
    out: dict[str, Any] = {key: page}
    if start + max_results < len(items):
        raw = json.dumps({"offset": start + max_results}).encode()
        out["NextToken"] = base64.urlsafe_b64encode(raw).decode()
    return out


def apply_filters(
    rows: Sequence[Any], req: Request, fields: dict[str, Callable[[Any], str]]
) -> list[Any]:
    """Amazon's list Filters: [{Key, Value, Condition IS|IS_NOT}], keys from ``fields``."""
    filters = param(req, "Filters", [])
    if not isinstance(filters, list):
        raise InvalidInputError("Filters must be a list")
    out = list(rows)
    for f in filters:
        key, value, cond = f.get("Key"), f.get("Value"), f.get("Condition")
        if key not in fields:
            raise InvalidInputError(f"filter key {key!r} is not valid here; use {', '.join(fields)}")
        if cond not in ("IS", "IS_NOT"):
            raise InvalidInputError("filter Condition must be IS or IS_NOT")
        get = fields[key]
        out = [r for r in out if (get(r) == value) == (cond == "IS")]
    return out

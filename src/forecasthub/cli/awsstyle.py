"""Commands named and shaped like `aws forecast`, generated from botocore's service model.

`CreateDatasetGroup` becomes `create-dataset-group`, member `DatasetGroupName` becomes
`--dataset-group-name`; structures, lists and maps take JSON or `file://path.json`, as the AWS
CLI does; the output is the operation's JSON response.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import click

from forecasthub.errors import InvalidInputError


def kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


@cache
def service_model(service: str = "forecast") -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def input_members(operation: str) -> tuple[dict[str, Any], list[str]]:
    """(member name -> botocore shape, required names) of an operation's input."""
    for service in ("forecast", "forecastquery"):
        model = service_model(service)
        if operation in model.operation_names:
            shape = model.operation_model(operation).input_shape
            if shape is None:
                return {}, []
            return dict(shape.members), list(shape.required_members)
    return {}, []


def parse_value(raw: str, shape: Any, option: str) -> Any:
    """Turn a command-line string into the member's type."""
    kind = shape.type_name
    if raw.startswith("file://"):
        path = Path(raw[len("file://"):]).expanduser()
        try:
            raw = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InvalidInputError(f"{option}: cannot read {path}: {exc.strerror}") from exc
        if kind == "string":
            return raw.strip()
    if kind == "string":
        return raw
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError as exc:
            raise InvalidInputError(f"{option} must be an integer, got {raw!r}") from exc
    if kind in ("double", "float"):
        try:
            return float(raw)
        except ValueError as exc:
            raise InvalidInputError(f"{option} must be a number, got {raw!r}") from exc
    if kind == "list" and not raw.lstrip().startswith("["):
        return [part for part in re.split(r"[\s,]+", raw.strip()) if part]
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{option} must be JSON (or file://path.json): {exc.msg} "
                                f"at character {exc.pos}") from exc


def build_request(operation: str, options: dict[str, Any]) -> dict[str, Any]:
    members, _ = input_members(operation)
    request: dict[str, Any] = {}
    for member, shape in members.items():
        value = options.get(kebab(member).replace("-", "_"))
        if value is None:
            continue
        if shape.type_name == "boolean":
            request[member] = bool(value)
        else:
            request[member] = parse_value(value, shape, f"--{kebab(member)}")
    return request


def make_options(operation: str) -> list[click.Option]:
    members, required = input_members(operation)
    options = []
    for member, shape in members.items():
        flag = f"--{kebab(member)}"
        doc = re.sub(r"<[^>]+>", "", shape.documentation or "").strip().split(". ")[0][:200]
        if shape.type_name == "boolean":
            options.append(click.Option([f"{flag}/--no-{kebab(member)}"], default=None, help=doc))
        else:
            options.append(click.Option([flag], required=member in required, help=doc,
                                        metavar=shape.type_name.upper()))
    return options

"""The one path from an HTTP request to a service operation, shared by both HTTP APIs.

Requests reach the same service functions as the CLI and the Python client, so names, paths
(import roots) and every other rule are checked there; nothing here reads or writes state.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from forecasthub.errors import InvalidInputError
from forecasthub.services.context import Hub
from forecasthub.services.operations import OPERATIONS

# SageMaker's operations that forecasthub implements (hyperparameter tuning jobs)
SAGEMAKER_OPERATIONS = frozenset({
    "CreateHyperParameterTuningJob", "DescribeHyperParameterTuningJob",
    "ListHyperParameterTuningJobs", "ListTrainingJobsForHyperParameterTuningJob",
    "StopHyperParameterTuningJob",
})


@cache
def _model_operations(service: str) -> frozenset[str]:
    if service == "sagemaker":  # botocore's sagemaker model is large; these are all we have
        return SAGEMAKER_OPERATIONS
    import botocore.session

    return frozenset(botocore.session.get_session().get_service_model(service).operation_names)


def service_operations(service: str) -> frozenset[str]:
    """The implemented operations of boto3's ``service`` client (forecast, forecastquery or
    sagemaker), by botocore's service model."""
    return _model_operations(service).intersection(OPERATIONS)


class BadRequestBody(InvalidInputError):
    """The body is not a JSON object (AWS calls this a SerializationException)."""

    aws_type = "SerializationException"


def parse_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestBody(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequestBody("the request body must be a JSON object")
    return data


def drop_nulls(value: Any) -> Any:
    """JSON nulls count as absent at every depth (Step Functions sends explicit nulls)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def call_operation(hub: Hub, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run an operation for an HTTP caller: members starting with ``_`` are private both ways."""
    if operation not in OPERATIONS:
        raise InvalidInputError(f"unknown operation {operation!r}")
    private = sorted(k for k in request if k.startswith("_"))
    if private:
        raise InvalidInputError(f"unknown request members: {', '.join(private)}")
    response = OPERATIONS[operation](hub, drop_nulls(request))
    return {k: v for k, v in response.items() if not k.startswith("_")}

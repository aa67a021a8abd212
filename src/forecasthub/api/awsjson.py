"""The AWS JSON 1.1 protocol on ``POST /``, so boto3's ``forecast``, ``forecastquery`` and
``sagemaker`` clients work with ``endpoint_url=``.

The operation comes from ``X-Amz-Target``: ``AmazonForecast.<Op>``, ``AmazonForecastRuntime.<Op>``
or ``SageMaker.<Op>``, each answering only the operations of that client's botocore model
(SageMaker: the hyperparameter tuning jobs). Errors are ``{"__type": <ExceptionName>, "message":
...}``, which botocore turns into ``client.exceptions.<ExceptionName>``; SageMaker's calls get
SageMaker's names (``ResourceNotFound``, ``ResourceInUse``, ``ValidationException``).

A SigV4 signature must be for the target's service: ``forecast`` for ``AmazonForecast.`` and
``AmazonForecastRuntime.``, ``sagemaker`` for ``SageMaker.`` (else IncompleteSignatureException).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from forecasthub.api.auth import AuthError, AuthPolicy, Incoming
from forecasthub.api.dispatch import call_operation, parse_body, service_operations
from forecasthub.api.limits import AWS_JSON
from forecasthub.errors import ForecastHubError
from forecasthub.services.context import Hub

log = logging.getLogger(__name__)

# X-Amz-Target prefix -> boto3 client (botocore service model)
TARGET_PREFIXES = {"AmazonForecast": "forecast", "AmazonForecastRuntime": "forecastquery",
                   "SageMaker": "sagemaker"}
# X-Amz-Target prefix -> the SigV4 signing name its requests must carry
SIGNING_NAMES = {"AmazonForecast": "forecast", "AmazonForecastRuntime": "forecast",
                 "SageMaker": "sagemaker"}
# our error names -> SageMaker's (its model's ResourceNotFound, ResourceInUse ...)
SAGEMAKER_ERRORS = {"ResourceNotFoundException": "ResourceNotFound",
                    "ResourceAlreadyExistsException": "ResourceInUse",
                    "ResourceInUseException": "ResourceInUse",
                    "LimitExceededException": "ResourceLimitExceeded",
                    "InvalidInputException": "ValidationException"}
AUTH_STATUS = 403

router = APIRouter()


def resolve_target(target: str | None) -> str | None:
    """The operation an ``X-Amz-Target`` names, or None when this server does not have it."""
    prefix, _, op = (target or "").partition(".")
    service = TARGET_PREFIXES.get(prefix)
    return op if service and op in service_operations(service) else None


def aws_response(status: int, body: dict[str, Any], request_id: str) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status_code=status,
                    media_type=AWS_JSON, headers={"x-amzn-RequestId": request_id})


def aws_error(status: int, aws_type: str, message: str, request_id: str) -> Response:
    return aws_response(status, {"__type": aws_type, "message": message}, request_id)


def incoming(request: Request, body: bytes) -> Incoming:
    scope = request.scope
    return Incoming(
        method=request.method,
        raw_path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
        body=body,
        client_host=request.client.host if request.client else None,
    )


@router.post("/", include_in_schema=False)
async def aws_json(request: Request) -> Response:
    request_id = str(uuid.uuid4())
    hub: Hub = request.app.state.hub
    policy: AuthPolicy = request.app.state.auth
    body = await request.body()
    target = request.headers.get("x-amz-target")
    service = SIGNING_NAMES.get((target or "").partition(".")[0])  # X-Amz-Target is signed
    try:
        await run_in_threadpool(policy.authenticate, incoming(request, body), allow_bearer=False,
                                service=service)
    except AuthError as exc:
        return aws_error(AUTH_STATUS, exc.aws_type, exc.message, request_id)

    operation = resolve_target(target)
    if operation is None:
        return aws_error(400, "UnknownOperationException",
                         f"unknown or unsupported operation {target!r}" if target
                         else "the X-Amz-Target header is required", request_id)
    try:
        result = await run_in_threadpool(call_operation, hub, operation, parse_body(body))
    except ForecastHubError as exc:
        aws_type = exc.aws_type
        if target and target.startswith("SageMaker."):
            aws_type = SAGEMAKER_ERRORS.get(aws_type, aws_type)
        return aws_error(400, aws_type, exc.message, request_id)
    except Exception:  # a bug: the client gets no trace, the log gets all of it
        log.exception("%s failed (request %s)", operation, request_id)
        return aws_error(500, "InternalFailure", f"internal error (request {request_id})",
                         request_id)
    return aws_response(200, result, request_id)

"""The native REST API under ``/api/v1``: every operation as ``POST /api/v1/<Operation>`` with the
same request and response members as boto3, plus GET conveniences for lists, lookups and jobs.

Authentication: ``Authorization: Bearer <AccessKeyId>:<SecretAccessKey>`` or SigV4.
"""

from __future__ import annotations

import html
import logging
import re
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from forecasthub.api.auth import AuthPolicy, Principal
from forecasthub.api.awsjson import incoming
from forecasthub.api.dispatch import call_operation
from forecasthub.errors import InvalidInputError
from forecasthub.resources import parse_arn, validate_name
from forecasthub.services.context import Hub
from forecasthub.services.operations import OPERATIONS
from forecasthub.store.orm import JobRow

log = logging.getLogger(__name__)

PREFIX = "/api/v1"

# GET /api/v1/<path> -> List operation (only those the services implement are routed)
LISTS = {
    "dataset-groups": "ListDatasetGroups",
    "datasets": "ListDatasets",
    "dataset-import-jobs": "ListDatasetImportJobs",
    "predictors": "ListPredictors",
    "forecasts": "ListForecasts",
    "forecast-export-jobs": "ListForecastExportJobs",
    "predictor-backtest-export-jobs": "ListPredictorBacktestExportJobs",
    "explainabilities": "ListExplainabilities",
    "monitors": "ListMonitors",
    "what-if-analyses": "ListWhatIfAnalyses",
    "hyperparameter-tuning-jobs": "ListHyperParameterTuningJobs",
}
# resource type of an ARN -> (Describe operation, its ARN member)
DESCRIBE = {
    "dataset-group": ("DescribeDatasetGroup", "DatasetGroupArn"),
    "dataset": ("DescribeDataset", "DatasetArn"),
    "dataset-import-job": ("DescribeDatasetImportJob", "DatasetImportJobArn"),
    "predictor": ("DescribeAutoPredictor", "PredictorArn"),
    "forecast": ("DescribeForecast", "ForecastArn"),
    "forecast-export-job": ("DescribeForecastExportJob", "ForecastExportJobArn"),
    "predictor-backtest-export-job": ("DescribePredictorBacktestExportJob",
                                      "PredictorBacktestExportJobArn"),
    "explainability": ("DescribeExplainability", "ExplainabilityArn"),
    "monitor": ("DescribeMonitor", "MonitorArn"),
    "what-if-analysis": ("DescribeWhatIfAnalysis", "WhatIfAnalysisArn"),
}
# GET /api/v1/<path>/{name} for resources whose ARN is made from their name alone
BY_NAME = {"dataset-groups": "dataset-group", "datasets": "dataset", "forecasts": "forecast"}


async def authenticated(request: Request) -> Principal:
    """Every route but health depends on this; AuthError is answered by the app's handler."""
    policy: AuthPolicy = request.app.state.auth
    body = await request.body()
    return await run_in_threadpool(policy.authenticate, incoming(request, body), allow_bearer=True)


Auth = Annotated[Principal, Depends(authenticated)]


async def authenticated_sagemaker(request: Request) -> Principal:
    """As :func:`authenticated`, but a SigV4 signature must be for service ``sagemaker``."""
    policy: AuthPolicy = request.app.state.auth
    body = await request.body()
    return await run_in_threadpool(policy.authenticate, incoming(request, body), allow_bearer=True,
                                   service="sagemaker")


SageMakerAuth = Annotated[Principal, Depends(authenticated_sagemaker)]


def hub_of(request: Request) -> Hub:
    return request.app.state.hub


def run(request: Request, operation: str, payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse(call_operation(hub_of(request), operation, payload))


def family(operation: str) -> str:
    """The OpenAPI tag of an operation: its resource family."""
    for needle, tag in (("Tuning", "hyperparameter tuning"),
                        ("ImportJob", "dataset import jobs"), ("DatasetGroup", "dataset groups"),
                        ("Dataset", "datasets"), ("ExportJob", "exports"), ("Export", "exports"),
                        ("Predictor", "predictors"), ("AccuracyMetrics", "predictors"),
                        ("WhatIf", "what-if"), ("Explainabilit", "explainability"),
                        ("Monitor", "monitors"), ("Forecast", "forecasts"), ("Tag", "tags")):
        if needle in operation:
            return tag
    return "resources"


@lru_cache(maxsize=1)
def _service_models() -> tuple[Any, Any]:
    import botocore.session

    session = botocore.session.get_session()
    return session.get_service_model("forecast"), session.get_service_model("forecastquery")


def describe_operation(operation: str) -> str:
    """Amazon's documentation of an operation as plain text (for /docs)."""
    for model in _service_models():
        if operation in model.operation_names:
            text = model.operation_model(operation).documentation or ""
            text = html.unescape(re.sub(r"<[^>]+>", " ", text))
            return re.sub(r"\s+", " ", text).strip()
    return ""


def build_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    @router.get("/health", tags=["service"], summary="Liveness check (no authentication)")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/operations", tags=["service"], summary="The operations this server implements")
    def operations(_: Auth) -> dict[str, list[str]]:
        return {"Operations": sorted(OPERATIONS)}

    for operation in sorted(OPERATIONS):
        _add_operation(router, operation)

    for path, operation in LISTS.items():
        if operation in OPERATIONS:
            _add_list(router, path, operation)

    for path, resource_type in BY_NAME.items():
        _add_by_name(router, path, resource_type)

    @router.get("/describe", tags=["resources"], summary="Describe any resource by its ARN")
    def describe(request: Request, _: Auth, arn: Annotated[str, Query(max_length=300)]) -> JSONResponse:
        resource_type, _parts = parse_arn(arn, "arn")
        operation, member = DESCRIBE.get(resource_type, (None, None))
        if operation is None or operation not in OPERATIONS:
            raise InvalidInputError(f"resources of type {resource_type!r} cannot be described here")
        if resource_type == "predictor" and not _is_auto_predictor(request, arn):
            operation = "DescribePredictor"
        return run(request, operation, {member: arn})

    @router.get("/jobs", tags=["jobs"], summary="Recent jobs (imports, training, forecasts, exports)")
    def jobs(request: Request, _: Auth,
             limit: Annotated[int, Query(ge=1, le=500)] = 50,
             state: Annotated[str | None, Query(pattern="^[A-Z]+$")] = None,
             resource_arn: Annotated[str | None, Query(max_length=300)] = None) -> dict[str, Any]:
        with hub_of(request).db.session() as s:
            query = select(JobRow).order_by(JobRow.created_at.desc()).limit(limit)
            if state:
                query = query.where(JobRow.state == state)
            if resource_arn:
                query = query.where(JobRow.resource_arn == resource_arn)
            rows = s.scalars(query).all()
            return {"Jobs": [_job(r) for r in rows]}

    return router


def _add_operation(router: APIRouter, operation: str) -> None:
    def endpoint(request: Request, _: Auth,
                 body: Annotated[dict[str, Any] | None, Body()] = None) -> JSONResponse:
        return run(request, operation, body or {})

    endpoint.__name__ = operation
    router.add_api_route(f"/{operation}", endpoint, methods=["POST"], tags=[family(operation)],
                         summary=operation, description=describe_operation(operation),
                         operation_id=operation, response_model=None)


def _takes_filters(operation: str) -> bool:
    model = _service_models()[0]
    return (operation in model.operation_names
            and "Filters" in model.operation_model(operation).input_shape.members)


def _add_list(router: APIRouter, path: str, operation: str) -> None:
    filterable = _takes_filters(operation)

    def endpoint(
        request: Request, _: Auth,
        MaxResults: Annotated[int | None, Query(ge=1, le=100)] = None,  # noqa: N803 - AWS names
        NextToken: Annotated[str | None, Query(min_length=1, max_length=3000)] = None,  # noqa: N803
        filter: Annotated[list[str] | None, Query(  # noqa: A002
            description="Key:Value (Condition IS), repeatable; e.g. Status:ACTIVE")] = None,
    ) -> JSONResponse:
        payload: dict[str, Any] = {"MaxResults": MaxResults, "NextToken": NextToken}
        if filter and not filterable:
            raise InvalidInputError(f"{operation} takes no filters")
        if filter:
            filters = []
            for item in filter:
                key, sep, value = item.partition(":")
                if not sep or not key:
                    raise InvalidInputError(f"filter {item!r} must look like Key:Value")
                filters.append({"Key": key, "Value": value, "Condition": "IS"})
            payload["Filters"] = filters
        return run(request, operation, payload)

    endpoint.__name__ = f"get_{operation}"
    router.add_api_route(f"/{path}", endpoint, methods=["GET"], tags=[family(operation)],
                         summary=f"{operation} (GET)", operation_id=f"get_{operation}",
                         response_model=None)


def _add_by_name(router: APIRouter, path: str, resource_type: str) -> None:
    operation, member = DESCRIBE[resource_type]

    def endpoint(request: Request, _: Auth, name: str) -> JSONResponse:
        validate_name(name, "name")
        return run(request, operation, {member: hub_of(request).arn(resource_type, name)})

    endpoint.__name__ = f"get_{resource_type}_by_name"
    router.add_api_route(f"/{path}/{{name}}", endpoint, methods=["GET"], tags=[family(operation)],
                         summary=f"{operation} by name", operation_id=f"get_{resource_type}_by_name",
                         response_model=None)


def _is_auto_predictor(request: Request, arn: str) -> bool:
    from forecasthub.store.orm import PredictorRow

    with hub_of(request).db.session() as s:
        row = s.get(PredictorRow, arn)
        return row is None or row.is_auto  # unknown: let DescribeAutoPredictor say not found


def _job(row: JobRow) -> dict[str, Any]:
    from forecasthub.services.common import epoch

    return {"Id": row.id, "Kind": row.kind, "ResourceArn": row.resource_arn, "State": row.state,
            "Attempts": row.attempts, "Progress": row.progress or {}, "Message": row.message,
            "CreationTime": epoch(row.created_at), "StartTime": epoch(row.started_at),
            "EndTime": epoch(row.finished_at)}


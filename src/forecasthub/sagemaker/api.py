"""``POST /invocations`` (SageMaker's endpoint path) and ``POST /api/v1/sagemaker/invocations``.

* ``Content-Type: application/json``: DeepAR's request ``{"instances": [...], "configuration":
  {...}}`` -> ``{"predictions": [...]}``;
* ``Content-Type: application/jsonlines`` (also ``application/x-jsonlines``,
  ``application/jsonl``, ``application/x-ndjson``): one instance per line -> one prediction per
  line, in order (batch transform's format); the configuration comes from the query parameter
  ``configuration`` (JSON), else the server's ``DEEPAR_INFERENCE_CONFIG``, else the defaults.

Which predictor answers: query parameter ``predictor`` (name or ARN) or header
``X-Forecasthub-Predictor``; else the model deployed (or pinned) for ``dataset_group``
(:func:`forecasthub.registry.resolve_model`). Authentication is the REST API's (a SigV4 request
may be signed for ``forecast`` or ``sagemaker``). Bad input is a
4xx ``{"code", "message"}`` naming the instance (or line) and field.

``POST /endpoints/{EndpointName}/invocations`` is SageMaker Runtime's InvokeEndpoint (boto3's
``sagemaker-runtime`` client): the same bodies and answers, the endpoint being a predictor name,
else a dataset group name (its deployed or pinned model). Errors are sagemaker-runtime's:
``ValidationError`` (400: bad input, unknown endpoint), ``ModelError`` (424: the model failed),
``InternalFailure`` (500). A SigV4 signature there must be for service ``sagemaker``.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from forecasthub.api.rest import PREFIX, Auth, SageMakerAuth, hub_of
from forecasthub.errors import ForecastHubError, InvalidInputError, ModelError, NotFoundError
from forecasthub.sagemaker.inference import InferenceConfig

JSON_LINES = ("application/jsonlines", "application/x-jsonlines", "application/jsonl",
              "application/x-ndjson")
PATHS = ("/invocations", f"{PREFIX}/sagemaker/invocations")

log = logging.getLogger(__name__)


def _answer(hub: Any, predictor: str | None, dataset_group: str | None, body: bytes,
            content_type: str, configuration: str | None) -> Response:
    from forecasthub.sagemaker.inference import (
        dumps,
        engine_for,
        invoke,
        predict_stream,
        resolve_predictor,
    )
    from forecasthub.sagemaker.jsonlines import iter_lines_text, parse_lines

    arn = resolve_predictor(hub, predictor, dataset_group)
    if content_type in JSON_LINES:
        config = InferenceConfig.parse(configuration, "configuration") if configuration \
            else InferenceConfig.from_env()
        instances = list(parse_lines(iter_lines_text(body, source="request body"),
                                     source="request body"))
        if not instances:
            raise InvalidInputError("the request body has no instances (no non-blank line)")
        engine = engine_for(hub, arn)
        lines = [dumps(p) for p in predict_stream(engine, instances, config)]
        return Response("\n".join(lines) + "\n", media_type="application/jsonlines")
    if content_type not in ("", "application/json"):
        raise InvalidInputError(f"unsupported Content-Type {content_type!r}: send "
                                "application/json or application/jsonlines")
    if configuration:
        raise InvalidInputError("with a JSON body, give the configuration in the body's "
                                '"configuration" member, not as a query parameter')
    try:
        payload = json.loads(body) if body.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"the request body is not valid JSON: {exc}") from None
    return JSONResponse(invoke(engine_for(hub, arn), payload))


def endpoint_predictor(hub: Any, name: str) -> str:
    """An EndpointName's predictor ARN: the predictor of that name, else the model deployed (or
    pinned) for the dataset group of that name."""
    from forecasthub.registry import resolve_model
    from forecasthub.store.orm import DatasetGroupRow, PredictorRow

    arn = hub.arn("predictor", name)
    with hub.db.session() as s:
        if s.get(PredictorRow, arn) is not None:
            return arn
        if s.get(DatasetGroupRow, hub.arn("dataset-group", name)) is None:
            raise NotFoundError(f"Endpoint {name} not found: no predictor or dataset group is "
                                "named so")
    return str(resolve_model(hub, name)["PredictorArn"])


def runtime_error(code: str, status: int, message: str) -> JSONResponse:
    """sagemaker-runtime's error: botocore reads the code from X-Amzn-ErrorType."""
    return JSONResponse({"code": code, "message": message}, status_code=status,
                        headers={"X-Amzn-ErrorType": code})


def _invoke_endpoint(hub: Any, name: str, body: bytes, content_type: str) -> Response:
    try:
        return _answer(hub, endpoint_predictor(hub, name), None, body, content_type, None)
    except ModelError as exc:
        return runtime_error("ModelError", 424, exc.message)
    except ForecastHubError as exc:
        if exc.http_status >= 500:
            return runtime_error("InternalFailure", 500, exc.message)
        return runtime_error("ValidationError", 400, exc.message)
    except Exception:  # a bug: the client gets no trace, the log gets all of it
        log.exception("InvokeEndpoint %s failed", name)
        return runtime_error("InternalFailure", 500, "internal error")


def build_router() -> APIRouter:
    router = APIRouter(tags=["sagemaker"])

    async def invocations(
        request: Request, _: Auth,
        predictor: Annotated[str | None, Query(max_length=300,
                                               description="Predictor name or ARN")] = None,
        dataset_group: Annotated[str | None, Query(
            max_length=300, description="Use the model deployed for this dataset group")] = None,
        configuration: Annotated[str | None, Query(
            max_length=10_000, description="JSON configuration (JSON Lines bodies)")] = None,
        x_forecasthub_predictor: Annotated[str | None, Header(max_length=300)] = None,
    ) -> Response:
        body = await request.body()
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        return await run_in_threadpool(_answer, hub_of(request),
                                       predictor or x_forecasthub_predictor, dataset_group, body,
                                       content_type, configuration)

    for path in PATHS:
        router.add_api_route(path, invocations, methods=["POST"], response_model=None,
                             summary="SageMaker DeepAR inference (instances -> predictions)",
                             operation_id="invocations" if path == PATHS[0]
                             else "sagemaker_invocations")

    @router.post("/endpoints/{endpoint_name}/invocations", response_model=None,
                 summary="SageMaker Runtime's InvokeEndpoint (boto3's sagemaker-runtime client)")
    async def invoke_endpoint(request: Request, endpoint_name: str, _: SageMakerAuth) -> Response:
        body = await request.body()
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        return await run_in_threadpool(_invoke_endpoint, hub_of(request), endpoint_name, body,
                                       content_type)

    return router

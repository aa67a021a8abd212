"""``POST /invocations`` (SageMaker's endpoint path) and ``POST /api/v1/sagemaker/invocations``.

* ``Content-Type: application/json``: DeepAR's request ``{"instances": [...], "configuration":
  {...}}`` -> ``{"predictions": [...]}``;
* ``Content-Type: application/jsonlines`` (also ``application/x-jsonlines``,
  ``application/jsonl``, ``application/x-ndjson``): one instance per line -> one prediction per
  line, in order (batch transform's format); the configuration comes from the query parameter
  ``configuration`` (JSON), else the server's ``DEEPAR_INFERENCE_CONFIG``, else the defaults.

Which predictor answers: query parameter ``predictor`` (name or ARN) or header
``X-Forecasthub-Predictor``; else the model deployed (or pinned) for ``dataset_group``
(:func:`forecasthub.registry.resolve_model`). Authentication is the REST API's. Bad input is a
4xx ``{"code", "message"}`` naming the instance (or line) and field.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from forecasthub.api.rest import PREFIX, Auth, hub_of
from forecasthub.errors import InvalidInputError
from forecasthub.sagemaker.inference import InferenceConfig

JSON_LINES = ("application/jsonlines", "application/x-jsonlines", "application/jsonl",
              "application/x-ndjson")
PATHS = ("/invocations", f"{PREFIX}/sagemaker/invocations")


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
    return router

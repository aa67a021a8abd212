"""The HTTP application: the REST API (``/api/v1``, docs at ``/docs``) and Amazon Forecast's AWS
JSON protocol (``POST /``), over the same service operations as the CLI.

    uvicorn --factory forecasthub.api.app:create_app      # or: forecasthub serve
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from forecasthub import __version__ as VERSION  # noqa: N812
from forecasthub.api import automation, awsjson, dashboard, keys, rest
from forecasthub.api.auth import AuthError, AuthPolicy, is_loopback
from forecasthub.api.limits import DEFAULT_MAX_BODY, BodyLimitMiddleware, is_aws_request
from forecasthub.api.workers import WorkerMode, WorkerPool
from forecasthub.errors import ForecastHubError
from forecasthub.sagemaker import api as sagemaker_api
from forecasthub.services.context import Hub
from forecasthub.settings import Settings, get_settings
from forecasthub.web import routes as web_routes

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, host: str = "127.0.0.1", workers: int = 0,
               worker_mode: WorkerMode = "thread", poll_seconds: float = 1.0,
               max_body_bytes: int = DEFAULT_MAX_BODY, shutdown_grace: float = 10.0) -> FastAPI:
    """Build the app for one forecasthub home.

    Args:
        settings: the installation; default from the environment (``FORECASTHUB_*``).
        host: the address the server binds to. Without any access key, unauthenticated requests
            are accepted only when this is a loopback address (and the request is local).
        workers: job workers to run inside the server (0: jobs wait for `forecasthub worker`).
        worker_mode: ``thread`` or ``process`` workers.
        poll_seconds: how often an idle worker looks for jobs.
        max_body_bytes: larger request bodies get 413.
        shutdown_grace: seconds workers get to finish their job on shutdown before it is requeued.
    """
    hub = Hub(settings or get_settings())
    pool = WorkerPool(hub, workers, mode=worker_mode, poll_seconds=poll_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.db  # noqa: B018 - migrate before the first request
        if not keys.any_access_key(hub):
            if is_loopback(host):
                log.warning("no access key exists: unauthenticated requests from this machine are "
                            "accepted; run `forecasthub create-access-key` to require credentials")
                app.state.auth.warned()
            else:
                log.error("no access key exists and the server listens on %s: every request will "
                          "be refused; run `forecasthub create-access-key`", host)
        pool.start()
        try:
            yield
        finally:
            pool.stop(grace=shutdown_grace)
            hub.close()

    app = FastAPI(
        title="forecasthub",
        version=VERSION,
        summary="Self-hosted probabilistic forecasting with Amazon Forecast's API",
        description=(
            "Every operation is `POST /api/v1/<Operation>` with the request and response members "
            "of Amazon Forecast (boto3's `forecast` client). boto3 itself can talk to this server "
            "with `endpoint_url=` (AWS JSON 1.1 on `POST /`). Authenticate with "
            "`Authorization: Bearer <AccessKeyId>:<SecretAccessKey>` or SigV4."
        ),
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.hub = hub
    app.state.auth = AuthPolicy(hub, loopback_bind=is_loopback(host))
    app.state.workers = pool
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.include_router(awsjson.router)
    app.include_router(rest.build_router())
    app.include_router(automation.build_router())
    app.include_router(sagemaker_api.build_router())  # POST /invocations (SageMaker DeepAR)
    app.include_router(dashboard.router)
    app.include_router(web_routes.router)  # GET / (the dashboard); POST / stays AWS JSON
    _add_error_handlers(app)
    return app


def _error(request: Request, status: int, code: str, message: str,
           headers: dict[str, str] | None = None) -> Response:
    """An error in the format of the API the request was for."""
    if is_aws_request(request.scope):
        return awsjson.aws_error(status, code, message, "-")
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ForecastHubError)
    async def service_error(request: Request, exc: ForecastHubError) -> Response:
        return _error(request, exc.http_status, exc.aws_type, exc.message)

    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError) -> Response:
        return _error(request, 401, exc.aws_type, exc.message,
                      headers={"WWW-Authenticate": 'Bearer realm="forecasthub"'})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg')}"
            for e in exc.errors()
        )
        content_type = request.headers.get("content-type", "")
        if "json" not in content_type and any(tuple(e.get("loc", ())) == ("body",)
                                              for e in exc.errors()):
            # curl -d sends application/x-www-form-urlencoded unless told otherwise
            problems += (f" (the body is read as JSON only with the header Content-Type: "
                         f"application/json; this request sent {content_type or 'none'!r})")
        return _error(request, 400, "InvalidInputException", problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes: dict[int, str] = {404: "NotFound", 405: "MethodNotAllowed", 413: "RequestEntityTooLarge",
                                 415: "UnsupportedMediaType"}
        return _error(request, exc.status_code, codes.get(exc.status_code, "HttpError"),
                      str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path,
                  exc_info=(type(exc), exc, exc.__traceback__))
        return _error(request, 500, "InternalError", "internal error")

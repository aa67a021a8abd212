"""REST routes for results and automation, under ``/api/v1``:

- ``POST /sql`` ``{"query": "SELECT ...", "format": "json"|"csv", "max_rows": 1000, "timeout": 30}``:
  read-only SQL over the catalog (see :mod:`forecasthub.sql.query`);
- ``GET /sql/tables``: the catalog's tables;
- model registry: ``GET /model-versions``, ``POST /model-versions`` ``{"PredictorArn"}``,
  ``GET /model-versions/{group}/{version}``, ``POST /model-versions/{group}/{version}/approve``,
  ``.../reject``, ``.../deploy``, ``POST /model-versions/{group}/rollback``,
  ``GET /model-versions/{group}/deployed``, ``GET /model-versions/{group}/history``,
  ``GET|PUT|DELETE /model-approval-rules/{group}``;
- pipelines: ``GET /pipeline-runs`` (``?dataset_group=&pipeline=inference|retraining&limit=``),
  ``GET /pipeline-runs/{run_id}``, ``POST /pipeline-runs/retrain`` ``{"DatasetGroupName"}``:
  start a retraining run in a background thread (202 with the RUNNING run record; 409 while
  one runs for the group). The group's settings come from the YAML of ``serve --watch`` when
  it names the group, else the defaults.

Every route needs the same authentication as the rest of ``/api/v1``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from forecasthub.api.rest import PREFIX, Auth, hub_of


class SqlRequest(BaseModel):
    query: str = Field(max_length=100_000)
    format: str = Field("json", pattern="^(json|csv)$")
    max_rows: int = Field(1000, ge=1, le=100_000)
    timeout: float = Field(30.0, gt=0, le=300)


class RuleRequest(BaseModel):
    Metric: str = Field(max_length=64)
    MaxRegression: float = 0.0
    AutoDeploy: bool = False


class StatusRequest(BaseModel):
    Message: str | None = Field(None, max_length=2000)


class RetrainRequest(BaseModel):
    DatasetGroupName: str = Field(min_length=1, max_length=300)


def build_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    @router.post("/sql", tags=["sql"], summary="Read-only SQL over results", response_model=None)
    async def sql(request: Request, _: Auth, body: SqlRequest) -> Response:
        from forecasthub.sql import run_query

        result = await run_in_threadpool(run_query, hub_of(request), body.query,
                                         max_rows=body.max_rows, timeout_s=body.timeout)
        if body.format == "csv":
            return PlainTextResponse(result.to_csv(), media_type="text/csv",
                                     headers={"X-Truncated": str(result.truncated).lower()})
        return JSONResponse(result.to_json())

    @router.get("/sql/tables", tags=["sql"], summary="The SQL catalog's tables")
    def tables(request: Request, _: Auth) -> dict[str, Any]:
        from forecasthub.sql import describe_catalog

        return {"Tables": [{"Name": k, "Description": v}
                           for k, v in describe_catalog(hub_of(request)).items()]}

    @router.get("/model-versions", tags=["model registry"], summary="List model versions")
    def list_versions(request: Request, _: Auth,
                      dataset_group: Annotated[str | None, Query(max_length=300)] = None,
                      status: Annotated[str | None, Query(max_length=32)] = None) -> dict[str, Any]:
        from forecasthub import registry

        return registry.list_versions(hub_of(request), dataset_group, status)

    @router.post("/model-versions", tags=["model registry"], summary="Register a predictor")
    def register(request: Request, _: Auth,
                 PredictorArn: Annotated[str, Body(embed=True, max_length=300)]) -> dict[str, Any]:
        from forecasthub import registry

        return registry.register_predictor(hub_of(request), PredictorArn)

    @router.get("/model-versions/{group}/deployed", tags=["model registry"],
                summary="The model a group's forecasts use (pinned or deployed)")
    def deployed(request: Request, _: Auth, group: str) -> dict[str, Any]:
        from forecasthub import registry

        return registry.resolve_model(hub_of(request), group)

    @router.get("/model-versions/{group}/history", tags=["model registry"], summary="Deployments")
    def history(request: Request, _: Auth, group: str) -> dict[str, Any]:
        from forecasthub import registry

        return {"Deployments": registry.history(hub_of(request), group)}

    @router.post("/model-versions/{group}/rollback", tags=["model registry"],
                 summary="Redeploy the previously deployed version")
    def rollback(request: Request, _: Auth, group: str) -> dict[str, Any]:
        from forecasthub import registry

        return registry.rollback(hub_of(request), group)

    @router.get("/model-versions/{group}/{version}", tags=["model registry"],
                summary="Describe a model version")
    def describe(request: Request, _: Auth, group: str, version: int) -> dict[str, Any]:
        from forecasthub import registry

        return registry.describe_version(hub_of(request), group, version)

    @router.post("/model-versions/{group}/{version}/approve", tags=["model registry"])
    def approve(request: Request, _: Auth, group: str, version: int,
                body: StatusRequest | None = None) -> dict[str, Any]:
        from forecasthub import registry

        return registry.set_status(hub_of(request), group, version, registry.APPROVED,
                                   body.Message if body else None)

    @router.post("/model-versions/{group}/{version}/reject", tags=["model registry"])
    def reject(request: Request, _: Auth, group: str, version: int,
               body: StatusRequest | None = None) -> dict[str, Any]:
        from forecasthub import registry

        return registry.set_status(hub_of(request), group, version, registry.REJECTED,
                                   body.Message if body else None)

    @router.post("/model-versions/{group}/{version}/deploy", tags=["model registry"])
    def deploy(request: Request, _: Auth, group: str, version: int) -> dict[str, Any]:
        from forecasthub import registry

        return registry.deploy(hub_of(request), group, version)

    @router.get("/model-approval-rules/{group}", tags=["model registry"])
    def get_rule(request: Request, _: Auth, group: str) -> dict[str, Any]:
        from forecasthub.registry.versions import get_rule

        return get_rule(hub_of(request), group) or {}

    @router.put("/model-approval-rules/{group}", tags=["model registry"])
    def put_rule(request: Request, _: Auth, group: str, body: RuleRequest) -> dict[str, Any]:
        from forecasthub.registry.versions import set_rule

        return set_rule(hub_of(request), group, body.Metric, body.MaxRegression, body.AutoDeploy)

    @router.delete("/model-approval-rules/{group}", tags=["model registry"])
    def delete_rule(request: Request, _: Auth, group: str) -> dict[str, Any]:
        from forecasthub.registry.versions import delete_rule

        delete_rule(hub_of(request), group)
        return {}

    @router.get("/pipeline-runs", tags=["pipelines"], summary="Recent pipeline runs")
    def pipeline_runs(request: Request, _: Auth,
                      dataset_group: Annotated[str | None, Query(max_length=300)] = None,
                      pipeline: Annotated[str | None, Query(pattern="^(inference|retraining)$")] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
        from forecasthub.pipelines.runs import list_runs

        return {"Runs": list_runs(hub_of(request), dataset_group, limit, pipeline)}

    @router.post("/pipeline-runs/retrain", tags=["pipelines"], status_code=202,
                 summary="Start a retraining run (in the background)")
    def retrain(request: Request, _: Auth, body: RetrainRequest) -> dict[str, Any]:
        from forecasthub.pipelines.config import default_group
        from forecasthub.pipelines.retrain import start_in_background

        config = getattr(request.app.state, "watch_config", None)
        cfg = (config.group(body.DatasetGroupName) if config is not None else None) or \
            default_group(body.DatasetGroupName)
        return start_in_background(hub_of(request), cfg, "manual (POST /api/v1/pipeline-runs/retrain)")

    @router.get("/pipeline-runs/{run_id}", tags=["pipelines"], summary="One pipeline run")
    def pipeline_run(request: Request, _: Auth, run_id: str) -> dict[str, Any]:
        from forecasthub.pipelines.runs import describe_run

        return describe_run(hub_of(request), run_id)

    return router


router = build_router()

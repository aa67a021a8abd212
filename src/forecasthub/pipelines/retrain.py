"""The retraining pipeline, recorded as a pipeline run (``Pipeline: retraining``):

    import      the landed file, when a file triggered the run (``on_file: retrain``); else SKIPPED
    predictor   CreateAutoPredictor with ReferencePredictorArn = the group's deployed (or pinned)
                predictor: Amazon's retrain (same settings, latest data). With nothing deployed,
                the YAML's ``retrain.predictor`` block (CreateAutoPredictor fields) is used.
    evaluation  the new predictor's backtest SUMMARY metrics next to the deployed version's
    registration the new model version (registered by the training hook; found or registered)
    approval    the group's approval rule decides (it ran at registration): Approved, or left
                PendingManualApproval with the reason; without a rule the version stays pending
    deployment  deployed when approved and the rule says auto_deploy; else SKIPPED with why

Steps retry like the inference pipeline's; the run ends with the log line and webhook.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from forecasthub.errors import InvalidInputError, NotFoundError, ResourceInUseError
from forecasthub.pipelines.config import GroupConfig
from forecasthub.pipelines.inference import group_arn_of, import_file
from forecasthub.pipelines.notify import concluding
from forecasthub.pipelines.ops import call, check, unique_name
from forecasthub.pipelines.runs import FAILED, RUNNING, RunRecord
from forecasthub.pipelines.steps import RetryPolicy, Skip, Steps

log = logging.getLogger(__name__)
STEPS = ["import", "predictor", "evaluation", "registration", "approval", "deployment"]
PIPELINE = "retraining"


def start_record(hub: Any, cfg: GroupConfig, trigger: str, exclusive: bool = True) -> RunRecord:
    """A new retraining run record; with ``exclusive``, ResourceInUseError while another
    retraining run is RUNNING for the group (runs whose process died are failed first)."""
    from sqlalchemy import select

    from forecasthub.pipelines.runs import reap_dead_runs
    from forecasthub.store.orm import PipelineRunRow

    group_arn = group_arn_of(hub, cfg.dataset_group)
    reap_dead_runs(hub)  # a run whose process died does not hold the group
    with hub.db.session() as s:
        busy = s.scalars(select(PipelineRunRow.id).where(
            PipelineRunRow.dataset_group_arn == group_arn, PipelineRunRow.pipeline == PIPELINE,
            PipelineRunRow.status == RUNNING)).first()
    if busy is not None and exclusive:
        raise ResourceInUseError(f"a retraining run ({busy}) is already running for dataset group "
                                 f"{cfg.dataset_group!r}")
    return RunRecord(hub, group_arn, trigger, STEPS, pipeline=PIPELINE)


def run_retraining(hub: Any, cfg: GroupConfig, trigger: str, source: str | None = None,
                   run: RunRecord | None = None, sleep: Callable[[float], Any] = time.sleep
                   ) -> dict[str, Any]:
    """One retraining run (``source``: the landed file that triggered it, if any); returns the
    run record. Never raises for a step: a failed step fails the run. ResourceInUseError when
    another retraining run is going for the group (unless a file triggered this one: landed
    files are never dropped)."""
    from forecasthub.pipelines.runs import describe_run

    run = run or start_record(hub, cfg, trigger, exclusive=source is None)
    steps = Steps(run, RetryPolicy.of(cfg), sleep)
    with concluding(run, cfg):
        baseline = _baseline(hub, cfg.dataset_group)
        if baseline:
            run.outputs["BaselinePredictorArn"] = baseline["PredictorArn"]
            run.outputs["BaselineVersion"] = baseline["Version"]
        if source:
            info = steps.run("import", lambda: import_file(hub, cfg, source))
            run.outputs["DatasetImportJobArn"] = info["Arn"]
        else:
            steps.skip("import", f"triggered by {trigger!r}, not by a landed file: retraining on "
                                 "the data already imported")

        info = steps.run("predictor", lambda: _train(hub, cfg, baseline))
        predictor = info["Arn"]
        run.outputs["PredictorArn"] = predictor

        info = steps.run("evaluation", lambda: _evaluate(hub, cfg, predictor, baseline))
        run.outputs["Evaluation"] = {k: info.get(k) for k in (
            "Metric", "NewValue", "DeployedValue", "DeployedVersion", "RelativeChange")}

        info = steps.run("registration", lambda: _register(hub, predictor))
        run.outputs["ModelVersion"] = version = info["Version"]

        info = steps.run("approval", lambda: _approval(hub, cfg.dataset_group, version))
        run.outputs["ApprovalStatus"] = info.get("Decision") or _status(hub, cfg, version)

        info = steps.run("deployment", lambda: _deployment(hub, cfg.dataset_group, version))
        run.outputs["Deployed"] = bool(info.get("DeployedVersion") == version)
    return describe_run(hub, run.id)


def start_in_background(hub: Any, cfg: GroupConfig, trigger: str) -> dict[str, Any]:
    """Create the run record now and run it in a thread; returns the (RUNNING) record."""
    from forecasthub.pipelines.runs import describe_run

    record = start_record(hub, cfg, trigger)

    def work() -> None:
        try:
            run_retraining(hub, cfg, trigger, run=record)
        except Exception:  # keep the thread's failure visible in the record
            log.exception("retraining run %s failed", record.id)
            record.finish(FAILED, "internal error (see the server log)")

    threading.Thread(target=work, name=f"retrain-{record.id[:8]}", daemon=True).start()
    return describe_run(hub, record.id)


# steps --------------------------------------------------------------------------------------
def _baseline(hub: Any, group: str) -> dict[str, Any] | None:
    """The model forecasts use now (pinned or deployed) with its registered metrics, or None."""
    from forecasthub.registry.versions import describe_version, resolve_model

    try:
        model = resolve_model(hub, group)
    except NotFoundError:
        return None
    metrics: dict[str, Any] = {}
    if model["Version"] is not None:
        metrics = describe_version(hub, group, model["Version"])["Metrics"] or {}
    return {**model, "Metrics": metrics}


def _train(hub: Any, cfg: GroupConfig, baseline: dict[str, Any] | None) -> dict[str, Any]:
    name = unique_name(f"{cfg.dataset_group}_retrain")
    if baseline is not None:
        request: dict[str, Any] = {"PredictorName": name,
                                   "ReferencePredictorArn": baseline["PredictorArn"]}
        how = f"retrained from the {baseline['Source']} predictor"
    else:
        block = cfg.retrain.predictor if cfg.retrain is not None else None
        if not block:
            raise InvalidInputError(
                f"dataset group {cfg.dataset_group!r} has no deployed or pinned model to retrain "
                f"and its settings have no retrain.predictor block (CreateAutoPredictor fields) "
                "to train a first one")
        request = {**block, "PredictorName": name,
                   "DataConfig": {"DatasetGroupArn": group_arn_of(hub, cfg.dataset_group)}}
        how = "trained from the retrain.predictor settings (nothing deployed yet)"
    arn = call(hub, "CreateAutoPredictor", request)["PredictorArn"]
    check(hub, "DescribeAutoPredictor", {"PredictorArn": arn}, "predictor")
    return {"Arn": arn, "ReferencePredictorArn": request.get("ReferencePredictorArn"), "How": how}


def _evaluate(hub: Any, cfg: GroupConfig, predictor: str, baseline: dict[str, Any] | None
              ) -> dict[str, Any]:
    from forecasthub.registry.versions import get_rule, summary_metrics
    from forecasthub.services.operations import OPERATIONS

    accuracy = OPERATIONS["GetAccuracyMetrics"](hub, {"PredictorArn": predictor})
    new = summary_metrics(accuracy)
    rule = get_rule(hub, cfg.dataset_group)
    drift = cfg.retrain.on_drift if cfg.retrain is not None else None
    metric = (rule or {}).get("Metric") or (drift.metric if drift else None) or \
        accuracy.get("OptimizationMetric") or "AverageWeightedQuantileLoss"
    old = (baseline or {}).get("Metrics") or {}
    value, base = new.get(metric), old.get(metric)
    out: dict[str, Any] = {"Metric": metric, "NewValue": value, "DeployedValue": base,
                           "DeployedVersion": (baseline or {}).get("Version"),
                           "NewMetrics": new, "DeployedMetrics": old or None}
    if value is not None and base not in (None, 0):
        out["RelativeChange"] = round((value - base) / abs(base), 6)  # > 0: worse
    return out


def _register(hub: Any, predictor: str) -> dict[str, Any]:
    from forecasthub.registry.versions import register_predictor

    version = register_predictor(hub, predictor)  # idempotent: the hook registered it already
    return {"Version": version["Version"], "ModelVersionId": version["ModelVersionId"],
            "StatusAtRegistration": version["Status"]}


def _status(hub: Any, cfg: GroupConfig, version: int) -> str:
    from forecasthub.registry.versions import describe_version

    return describe_version(hub, cfg.dataset_group, version)["Status"]


def _approval(hub: Any, group: str, version: int) -> dict[str, Any]:
    from forecasthub.registry.versions import describe_version, get_rule

    v = describe_version(hub, group, version)
    rule = get_rule(hub, group)
    if rule is None:
        raise Skip(f"dataset group {group!r} has no approval rule: version {version} stays "
                   f"{v['Status']} (approve it by hand, or set a rule)", Decision=v["Status"])
    return {"Decision": v["Status"], "Reason": v["Message"], "Rule": {
        "Metric": rule["Metric"], "MaxRegression": rule["MaxRegression"],
        "AutoDeploy": rule["AutoDeploy"]}}


def _deployment(hub: Any, group: str, version: int) -> dict[str, Any]:
    from forecasthub.registry import versions as registry

    v = registry.describe_version(hub, group, version)
    rule = registry.get_rule(hub, group)
    pinned = registry.pins(hub).get(group)
    note = (f"; forecasts keep using predictor {pinned!r}, pinned by {registry.PINS_ENV}"
            if pinned else "")
    if v["Deployed"]:
        return {"DeployedVersion": version, "By": "approval rule (auto_deploy)",
                **({"Note": note[2:]} if note else {})}
    if v["Status"] != registry.APPROVED:
        why = v["Message"] or (f"dataset group {group!r} has no approval rule" if rule is None
                               else "no reason recorded")
        raise Skip(f"version {version} is {v['Status']}, not Approved: {why}")
    if rule is None or not rule["AutoDeploy"]:
        raise Skip(f"version {version} is Approved but the approval rule does not auto-deploy; "
                   f"deploy it with `forecasthub model-versions deploy {group} {version}`" + note)
    registry.deploy(hub, group, version)
    return {"DeployedVersion": version, "By": "retraining pipeline (rule auto_deploy)",
            **({"Note": note[2:]} if note else {})}

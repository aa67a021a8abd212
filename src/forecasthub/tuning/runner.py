"""Run a tuning job: trials proposed by an Optuna study, fitted and scored on the validation
window, each recorded in ``tuning_trials``; then the best one becomes a predictor.

* Proposals: ``study.ask()`` / ``study.tell()`` on an in-memory study, up to
  ``MaxParallelTrainingJobs`` trials at once in a thread pool (TPE's constant liar keeps
  parallel proposals apart).
* Resume: a job that runs again after its worker stopped (the queue's retry) rebuilds the
  study from the recorded trials (``study.add_trial``) and goes on with the remaining budget;
  a trial that was running when the worker stopped is recorded Failed ("interrupted").
* Stop: StopHyperParameterTuningJob marks the job Stopping; no new trial starts after that,
  running trials finish and are recorded, and the job ends Stopped (no predictor is trained).
* A failing trial is recorded Failed with its reason and the search goes on; the job fails
  only when no trial completed.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from forecasthub.errors import ForecastHubError, ModelError
from forecasthub.store.orm import TuningJobRow, TuningTrialRow, utcnow
from forecasthub.tuning.config import TuningConfig

log = logging.getLogger(__name__)

IN_PROGRESS, COMPLETED, FAILED, STOPPING, STOPPED = (
    "InProgress", "Completed", "Failed", "Stopping", "Stopped")
JOB_FINAL = frozenset({COMPLETED, FAILED, STOPPED})


@dataclass
class TrialOutcome:
    metrics: dict[str, Any]
    value: float | None
    error: str | None
    started_at: datetime
    ended_at: datetime
    seconds: float


def run_trial(config: TuningConfig, params: dict[str, Any], data: Any) -> TrialOutcome:
    """Fit static + tuned hyperparameters on the training part, score the validation window."""
    from forecasthub.tuning.hyperparameters import build_model
    from forecasthub.tuning.validation import evaluate, finite

    started, t0 = utcnow(), time.monotonic()
    metrics: dict[str, Any] = {}
    value, error = None, None
    try:
        model = build_model(config.algorithm, {**config.static, **params}, data.train, data.ctx)
        metrics = evaluate(model, data)
        value = metrics.get(config.metric)
        if not finite(value):
            value = None
            error = (f"the objective metric {config.metric_name} is undefined on the validation "
                     "window (zero denominator)")
    except ForecastHubError as exc:
        error = exc.message
    except Exception as exc:  # noqa: BLE001 - a library failure fails this trial, not the job
        error = f"{type(exc).__name__}: {exc}"
    return TrialOutcome(metrics, value, error, started, utcnow(), time.monotonic() - t0)


def predictor_request(config: TuningConfig, name: str,
                      params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The legacy CreatePredictor request of the best trial (also validates the job's data
    settings at creation, with ``params`` = the static hyperparameters)."""
    from forecasthub.tuning.hyperparameters import as_string

    d = config.data
    feat: dict[str, Any] = {"ForecastFrequency": d.frequency}
    if d.dimensions:
        feat["ForecastDimensions"] = list(d.dimensions)
    req: dict[str, Any] = {
        "PredictorName": name, "AlgorithmArn": config.algorithm_arn,
        "ForecastHorizon": d.horizon, "ForecastTypes": list(d.forecast_types),
        "InputDataConfig": {"DatasetGroupArn": d.dataset_group_arn},
        "FeaturizationConfig": feat,
        "EvaluationParameters": {"NumberOfBacktestWindows": 1,
                                 **({"BackTestWindowOffset": d.backtest_offset}
                                    if d.backtest_offset else {})},
        "OptimizationMetric": config.metric if config.metric in (
            "AverageWeightedQuantileLoss", "WAPE", "RMSE", "MAPE", "MASE")
        else "AverageWeightedQuantileLoss",
    }
    if params:
        req["TrainingParameters"] = {k: as_string(v) for k, v in params.items()}
    return req


def best_trial(trials: list[TuningTrialRow]) -> TuningTrialRow | None:
    """The completed trial with the lowest objective (the earliest on ties)."""
    done = [t for t in trials if t.status == COMPLETED and t.objective_value is not None]
    return min(done, key=lambda t: (t.objective_value, t.number)) if done else None


class TuningRun:
    def __init__(self, hub: Any, arn: str, progress: Any, job: Any = None) -> None:
        self.hub, self.arn, self.progress, self.job = hub, arn, progress, job

    # ---- store ---------------------------------------------------------------------------
    def _job(self, s: Any) -> TuningJobRow:
        row = s.get(TuningJobRow, self.arn)
        if row is None:
            raise ModelError(f"tuning job {self.arn} no longer exists")
        return row

    def _trials(self, s: Any) -> list[TuningTrialRow]:
        return list(s.scalars(select(TuningTrialRow).where(TuningTrialRow.tuning_job_arn == self.arn)
                              .order_by(TuningTrialRow.number)).all())

    def stop_requested(self) -> bool:
        with self.hub.db.session() as s:
            return self._job(s).status == STOPPING

    # ---- run -----------------------------------------------------------------------------
    def run(self) -> None:
        from forecasthub.jobs.worker import JobCancelled
        from forecasthub.tuning import search

        with self.hub.db.session() as s:
            job = self._job(s)
            if job.status in JOB_FINAL:  # a retried job whose work is done
                return
            config = TuningConfig.from_json(job.config)
            job.modified_at = utcnow()
            for t in self._trials(s):
                if t.status == IN_PROGRESS:
                    t.status, t.ended_at = FAILED, utcnow()
                    t.failure_reason = "interrupted: the worker running this trial stopped"
            history = [(t.number, dict(t.parameters), t.objective_value if t.status == COMPLETED
                        else None) for t in self._trials(s)]
        self.config = config
        self.progress.update(stage="loading data", done=len(history), total=config.max_trials)
        data = self._validation_data(config)
        study = search.make_study(config.strategy, config.seed, config.name, config.max_trials)
        for _number, params, value in history:
            try:
                search.replay(study, config.ranges, params, value)
            except Exception as exc:  # noqa: BLE001 - an unreadable record is left out of the model
                log.warning("tuning %s: cannot replay a recorded trial: %s", config.name, exc)
        launched = len(history)
        next_number = max((n for n, _, _ in history), default=0) + 1
        deadline = (time.monotonic() + config.max_runtime_s) if config.max_runtime_s else None
        stopped = self.stop_requested()
        running: dict[Future[TrialOutcome], tuple[Any, str]] = {}
        self._report()
        with ThreadPoolExecutor(max_workers=config.max_parallel,
                                thread_name_prefix=f"trial-{config.name}") as pool:
            while True:
                stopped = stopped or self.stop_requested()
                while (not stopped and launched < config.max_trials
                       and len(running) < config.max_parallel
                       and (deadline is None or time.monotonic() < deadline)):
                    trial = study.ask()
                    params = {r.name: search.suggest(trial, r)[0] for r in config.ranges}
                    trial_id = self._start_trial(next_number, params)
                    running[pool.submit(run_trial, config, params, data)] = (trial, trial_id)
                    launched += 1
                    next_number += 1
                if not running:
                    break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    trial, trial_id = running.pop(future)
                    outcome = future.result()
                    self._finish_trial(trial_id, outcome)
                    if outcome.value is None:
                        from optuna.trial import TrialState

                        study.tell(trial, state=TrialState.FAIL)
                    else:
                        study.tell(trial, outcome.value)
                try:
                    self._report()
                except JobCancelled:
                    stopped = True
                    self._mark_stopping()
        if stopped:
            raise JobCancelled()
        self._complete()

    def _validation_data(self, config: TuningConfig) -> Any:
        from forecasthub.forecasting.config import PredictorConfig
        from forecasthub.forecasting.panel import load_panel
        from forecasthub.forecasting.training import model_context
        from forecasthub.services.import_jobs import load_group_data
        from forecasthub.tuning.validation import prepare

        d = config.data
        pconfig = PredictorConfig(dataset_group_arn=d.dataset_group_arn, horizon=d.horizon,
                                  frequency=d.frequency, forecast_types=list(d.forecast_types),
                                  dimensions=list(d.dimensions), algorithm=config.algorithm,
                                  is_auto=False)
        datasets, _versions = load_group_data(self.hub, d.dataset_group_arn)
        panel = load_panel(datasets, pconfig)
        return prepare(panel, model_context(pconfig, panel), d.backtest_offset)

    def _start_trial(self, number: int, params: dict[str, Any]) -> str:
        trial_id = uuid.uuid4().hex
        name = f"{self.config.name}-{number:03d}-{trial_id[:8]}"
        now = utcnow()
        with self.hub.db.session() as s:
            s.add(TuningTrialRow(id=trial_id, tuning_job_arn=self.arn, number=number, name=name,
                                 status=IN_PROGRESS, parameters=params, metrics={},
                                 created_at=now, started_at=now))
        return trial_id

    def _finish_trial(self, trial_id: str, outcome: TrialOutcome) -> None:
        with self.hub.db.session() as s:
            row = s.get(TuningTrialRow, trial_id)
            row.status = COMPLETED if outcome.value is not None else FAILED
            row.objective_value = outcome.value
            row.metrics = outcome.metrics
            row.failure_reason = None if outcome.error is None else outcome.error[:1024]
            row.started_at, row.ended_at = outcome.started_at, outcome.ended_at
            row.seconds = round(outcome.seconds, 3)
            best = best_trial(self._trials(s))
            job = self._job(s)
            job.best_trial_name = best.name if best else None
            job.modified_at = utcnow()

    def _report(self) -> None:
        with self.hub.db.session() as s:
            trials = self._trials(s)
            best = best_trial(trials)
            done = sum(t.status in (COMPLETED, FAILED) for t in trials)
            best_value = best.objective_value if best else None
        stage = f"trials {done}/{self.config.max_trials}"
        if best_value is not None:
            stage += f", best {self.config.metric_name} {best_value:.5g}"
        self.progress.update(stage=stage, done=done, total=self.config.max_trials,
                             best_objective=best_value, best_trial=best.name if best else None)
        if self.job is not None and self.job.worker:  # Describe shows progress at once
            from forecasthub.jobs import queue, worker

            if queue.heartbeat(self.hub.db, self.job.id, self.job.worker, dict(self.progress.state),
                               lease_seconds=worker.lease_seconds(self.hub)):
                self.progress.cancel_requested = True

    def _mark_stopping(self) -> None:
        with self.hub.db.session() as s:
            job = self._job(s)
            if job.status == IN_PROGRESS:
                job.status, job.modified_at = STOPPING, utcnow()

    def _complete(self) -> None:
        from forecasthub.services.predictors import create_predictor
        from forecasthub.tuning.hyperparameters import model_kwargs

        with self.hub.db.session() as s:
            trials = self._trials(s)
            best = best_trial(trials)
            if best is None:
                reasons = sorted({t.failure_reason or "" for t in trials} - {""})
                raise ModelError(f"all {len(trials)} trial(s) failed; "
                                 + "; ".join(reasons[:3])[:900])
            params = {**self.config.static, **best.parameters}
        predictor_name = self.config.predictor_name
        model_kwargs(self.config.algorithm, params)  # a last check that every name maps
        response = create_predictor(self.hub, predictor_request(self.config, predictor_name, params))
        predictor_arn, job_id = response["PredictorArn"], response.get("_JobId")
        with self.hub.db.session() as s:
            job = self._job(s)
            job.best_trial_name, job.best_predictor_arn = best.name, predictor_arn
            job.status, job.ended_at, job.modified_at = COMPLETED, utcnow(), utcnow()
        self.progress.update(stage=f"training the best trial as predictor {predictor_name}")
        if job_id:
            _run_predictor_job(self.hub, job_id)


def _run_predictor_job(hub: Any, job_id: str) -> None:
    """Train the best predictor here (its own job, heartbeat and model-version hook), unless
    another worker took it already."""
    from forecasthub.jobs import queue, worker

    job = queue.claim(hub.db, worker.worker_id(), job_id=job_id,
                      lease_seconds=worker.lease_seconds(hub))
    if job is not None:
        worker.run_job(hub, job, worker.Progress(job.id))

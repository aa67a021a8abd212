"""Running a pipeline's steps: retries with capped exponential backoff, each attempt recorded.

A step that fails transiently is tried again, up to ``retries`` more times, waiting
``backoff_seconds`` x 2^(attempt-1) (at most ``max_backoff_seconds``) in between. Transient:
internal errors and forecasthub errors that are not about the input (storage, model, a busy
resource, a job that failed for such a reason). Bad input (InvalidInputError and its DataError,
a missing resource) fails at once: the same input would fail again.

Every step records ``Attempts`` and, when any failed, ``Errors`` (one entry per failed attempt),
its start and end time and ``DurationSeconds``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forecasthub.errors import (
    AlreadyExistsError,
    ForecastHubError,
    InvalidInputError,
    InvalidNextTokenError,
    NotFoundError,
)
from forecasthub.pipelines.runs import FAILED, RUNNING, SKIPPED, SUCCEEDED, RunRecord

log = logging.getLogger(__name__)
PERMANENT = (InvalidInputError, NotFoundError, AlreadyExistsError, InvalidNextTokenError)


def is_transient(exc: BaseException) -> bool:
    """Could the same step succeed if tried again?"""
    flag = getattr(exc, "transient", None)
    if isinstance(flag, bool):
        return flag
    if isinstance(exc, ForecastHubError):
        return not isinstance(exc, PERMANENT)
    return True  # an internal error (a library or the environment): worth one more try


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ForecastHubError):
        return exc.message
    return f"internal error: {type(exc).__name__}: {exc}"


@dataclass
class RetryPolicy:
    retries: int = 2
    backoff_seconds: float = 5.0
    max_backoff_seconds: float = 300.0

    @classmethod
    def of(cls, cfg: Any) -> RetryPolicy:
        return cls(cfg.retries, cfg.backoff_seconds, cfg.max_backoff_seconds)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds)


class Skip(Exception):
    """Raised by a step function: the step is SKIPPED, with this reason."""

    def __init__(self, reason: str, **info: Any) -> None:
        super().__init__(reason)
        self.reason, self.info = reason, info


class StepFailed(Exception):
    """A step failed for good; the run fails with ``step: message``."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step, self.message = step, message


class Steps:
    """Runs a run's steps one by one with the group's retry policy."""

    def __init__(self, run: RunRecord, policy: RetryPolicy,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self.run_record, self.policy, self.sleep = run, policy, sleep

    def skip(self, name: str, reason: str, **info: Any) -> None:
        self.run_record.step(name, SKIPPED, Message=reason, **info)

    def run(self, name: str, fn: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        """Run ``fn`` as step ``name``; its dict goes into the step record. Raises StepFailed."""
        record = self.run_record
        record.step(name, RUNNING)
        errors: list[dict[str, Any]] = []
        attempt = 0
        while True:
            attempt += 1
            try:
                info = fn() or {}
            except Skip as skip:
                record.step(name, SKIPPED, Message=skip.reason, Attempts=attempt,
                            Errors=errors or None, **skip.info)
                return {}
            except Exception as exc:
                transient = is_transient(exc)
                message = describe_error(exc)
                if not isinstance(exc, ForecastHubError):
                    log.exception("pipeline run %s: step %s failed", record.id, name)
                errors.append({"Attempt": attempt, "Message": message, "Transient": transient})
                if not transient or attempt > self.policy.retries:
                    record.step(name, FAILED, Message=message, Attempts=attempt, Errors=errors)
                    raise StepFailed(name, message) from exc
                wait = self.policy.delay(attempt)
                log.warning("pipeline run %s: step %s failed (attempt %d), retrying in %.3g s: %s",
                            record.id, name, attempt, wait, message)
                record.step(name, RUNNING, Attempts=attempt, Errors=errors, RetryInSeconds=wait)
                self.sleep(wait)
                continue
            record.step(name, SUCCEEDED, Attempts=attempt, Errors=errors or None, **info)
            return info

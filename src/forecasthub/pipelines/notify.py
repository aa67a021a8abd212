"""The end of a run: one log line always, and the run record POSTed to a webhook when configured.

A webhook that fails (connection error, timeout, 5xx) is tried ``retries`` more times (0.5 s,
1 s, ... apart); a 4xx answer is not retried. The outcome goes into the run's outputs
(``Notification``); a failing webhook never fails the run.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from forecasthub.pipelines.runs import FAILED, SUCCEEDED
from forecasthub.pipelines.steps import StepFailed, describe_error

log = logging.getLogger("forecasthub.pipelines")
USER_AGENT = "forecasthub-pipelines"


def log_line(run: dict[str, Any]) -> str:
    """The one line logged per run."""
    failed = next((s["Name"] for s in run.get("Steps", []) if s.get("Status") == "FAILED"), None)
    line = (f"pipeline run {run['RunId']} ({run.get('Pipeline', 'inference')}, group "
            f"{run['DatasetGroupName']}, trigger {run['Trigger']!r}): {run['Status']}")
    message = run.get("Message")
    if failed and not (message or "").startswith(f"{failed}: "):
        line += f" at step {failed}"
    if message:
        line += f": {message}"
    return line


def _shown(url: str) -> str:
    """The URL without credentials or query (it may hold a token), for records and logs."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{host}{port}{parsed.path}"


def post_json(url: str, payload: dict[str, Any], timeout: float, retries: int,
              sleep: Callable[[float], Any] = time.sleep) -> dict[str, Any]:
    """POST ``payload`` as JSON; returns {"Delivered", "Attempts", "HttpStatus", "Errors"}."""
    body = json.dumps(payload, default=str).encode()
    errors: list[str] = []
    status: int | None = None
    attempt = 0
    for attempt in range(1, retries + 2):
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # http(s) only (validated)
                status = response.status
            return {"Delivered": True, "Attempts": attempt, "HttpStatus": status,
                    **({"Errors": errors} if errors else {})}
        except urllib.error.HTTPError as exc:
            status = exc.code
            errors.append(f"HTTP {exc.code} {exc.reason}")
            if exc.code < 500 and exc.code != 429:
                break  # the receiver refuses this request: sending it again will not help
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            errors.append(f"{type(exc).__name__}: {reason}")
        if attempt <= retries:
            sleep(0.5 * 2 ** (attempt - 1))
    return {"Delivered": False, "Attempts": attempt, "HttpStatus": status, "Errors": errors}


def announce(run: dict[str, Any], settings: Any | None,
             sleep: Callable[[float], Any] = time.sleep) -> dict[str, Any] | None:
    """Log the run's line; POST it to the webhook when one is set for this outcome. Returns the
    notification record for the run's outputs (None when no webhook applies)."""
    line = log_line(run)
    (log.warning if run["Status"] == "FAILED" else log.info)(line)
    if settings is None or not settings.webhook:
        return None
    shown = _shown(settings.webhook)
    if run["Status"] not in settings.on:
        return {"Webhook": shown, "Sent": False,
                "Reason": f"the webhook is for {', '.join(settings.on)} runs only"}
    outcome = post_json(settings.webhook, run, settings.timeout_seconds, settings.retries, sleep)
    if not outcome["Delivered"]:
        log.warning("pipeline run %s: webhook %s failed after %d attempt(s): %s", run["RunId"],
                    shown, outcome["Attempts"], "; ".join(outcome["Errors"]))
    return {"Webhook": shown, "Sent": True, **outcome}


def finish_and_announce(run: Any, cfg: Any, status: str, message: str | None = None) -> None:
    """Finish the run record, then log it and notify (the outcome is saved in its outputs)."""
    from forecasthub.pipelines.runs import describe_run

    run.finish(status, message)
    try:
        outcome = announce(describe_run(run.hub, run.id), getattr(cfg, "notify", None))
    except Exception as exc:  # never fail a run for its notification
        log.exception("pipeline run %s: notification failed", run.id)
        outcome = {"Sent": False, "Errors": [f"internal error: {type(exc).__name__}: {exc}"]}
    if outcome is not None:
        run.outputs["Notification"] = outcome
        run.save_outputs()


@contextmanager
def concluding(run: Any, cfg: Any) -> Iterator[None]:
    """Run a pipeline's steps, then finish and announce the run: SUCCEEDED, or FAILED with the
    failing step's message (or, outside any step, the error, logged in full)."""
    try:
        yield
        finish_and_announce(run, cfg, SUCCEEDED)
    except StepFailed as exc:
        finish_and_announce(run, cfg, FAILED, str(exc))
    except Exception as exc:  # outside any step (a bug or a bad setting): fail the run visibly
        log.exception("pipeline run %s failed", run.id)
        finish_and_announce(run, cfg, FAILED, describe_error(exc))

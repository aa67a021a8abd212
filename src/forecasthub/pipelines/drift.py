"""The drift check after an inference run: ask the monitor whether the group's accuracy drifted.

Uses :func:`forecasthub.monitoring.drift_status` (imported when needed); without the monitoring
package the check is SKIPPED. A drifted result makes the watcher start a retraining run with the
trigger ``drift: <Reason>``.
"""

from __future__ import annotations

from typing import Any

from forecasthub.pipelines.steps import Skip


def drift_status_function() -> Any:
    """forecasthub.monitoring.drift_status, or Skip when the monitoring package is not there."""
    try:
        from forecasthub.monitoring import drift_status
    except ImportError as exc:
        raise Skip(f"drift check skipped: forecasthub.monitoring.drift_status is not available "
                   f"({exc})") from None
    return drift_status


def check(hub: Any, group: str, metric: str, threshold: float) -> dict[str, Any]:
    """The step's record: the monitor's answer (Drifted, Metric, Realised, Baseline, Ratio,
    MonitorArn, EvaluationTime, Reason)."""
    status = drift_status_function()(hub, group, metric=metric, threshold=threshold)
    keys = ("Drifted", "Metric", "Realised", "Baseline", "Ratio", "MonitorArn", "EvaluationTime",
            "Reason")
    out = {k: status.get(k) for k in keys}
    out["Drifted"] = bool(out["Drifted"])
    out["Threshold"] = threshold
    return out

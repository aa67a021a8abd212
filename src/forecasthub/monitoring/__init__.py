"""Predictor monitoring: realised accuracy of forecasts once actuals arrive, and a drift check.

    >>> from forecasthub.monitoring import drift_status, evaluate_actuals
    >>> evaluate_actuals(hub, "shop")            # new evaluations (ListMonitorEvaluations items)
    >>> drift_status(hub, "shop", "WAPE", 0.2)   # {"Drifted": ..., "Realised": ..., ...}

See :mod:`.realised` (the metrics), :mod:`.evaluate` (when and what is evaluated) and
:mod:`.drift`. The API operations (CreateMonitor ...) are :mod:`forecasthub.services.monitors`.
"""

from forecasthub.monitoring.drift import drift_status
from forecasthub.monitoring.evaluate import evaluate_actuals, on_forecast_created

__all__ = ["drift_status", "evaluate_actuals", "on_forecast_created"]

"""`forecasthub monitor evaluate GROUP` and `forecasthub monitor drift GROUP`.

The monitor operations themselves (create-monitor, describe-monitor, list-monitor-evaluations,
...) are generated from the operations table. Registered by ``register(cli)`` (cli/main.py).
"""

from __future__ import annotations

import click

from forecasthub.errors import ForecastHubError


def register(cli: click.Group) -> None:
    from forecasthub.cli.main import client, exit_with_error, print_json

    @cli.group("monitor")
    def monitor() -> None:
        """Predictor monitoring: evaluate forecasts against new actuals, check drift."""

    @monitor.command("evaluate")
    @click.argument("target")
    def evaluate(target: str) -> None:
        """Evaluate earlier forecasts of TARGET's monitored predictors against the actuals now
        imported (TARGET: a dataset group name or ARN, or a monitor ARN). Prints the new
        evaluations (none when nothing new is covered)."""
        from forecasthub.monitoring import evaluate_actuals

        try:
            print_json({"PredictorMonitorEvaluations": evaluate_actuals(client().hub, target)})
        except ForecastHubError as exc:
            exit_with_error(exc)

    @monitor.command("drift")
    @click.argument("dataset_group")
    @click.option("--metric", default="WAPE", show_default=True,
                  help="AverageWeightedQuantileLoss, WAPE, RMSE, MASE or MAPE.")
    @click.option("--threshold", default=0.2, show_default=True, type=float,
                  help="Drifted when realised > backtest x (1 + threshold).")
    @click.option("--exit-code", is_flag=True, help="Exit with status 3 when drifted (for scripts).")
    def drift(dataset_group: str, metric: str, threshold: float, exit_code: bool) -> None:
        """Compare the latest realised accuracy of the group's model with its backtest."""
        from forecasthub.monitoring import drift_status

        try:
            status = drift_status(client().hub, dataset_group, metric, threshold)
        except ForecastHubError as exc:
            exit_with_error(exc)
            return
        print_json(status)
        if exit_code and status["Drifted"]:
            raise SystemExit(3)

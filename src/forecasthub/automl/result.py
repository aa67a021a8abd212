"""What an AutoML (or single-algorithm) run hands back to the service layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasthub.automl.backtest import MODEL, WINDOW
from forecasthub.automl.fallback import FallbackRecord
from forecasthub.automl.windows import BacktestWindow
from forecasthub.metrics import MAPE, MASE, RMSE, WAPE, WQL, wql_column
from forecasthub.models.base import Forecaster

ENSEMBLE = "Ensemble"
SUMMARY = "SUMMARY"


@dataclass
class AutoMLResult:
    """Fitted predictor, its forecast, backtest metrics and forecasts, fallbacks.

    ``metrics``: one row per (model, window) with ``EvaluationType`` COMPUTED, plus one SUMMARY
    row per model (mean over windows); columns model, window, EvaluationType,
    TestWindowStart, TestWindowEnd, ItemCount, wQL[q]..., AverageWeightedQuantileLoss, WAPE,
    RMSE, MAPE, MASE. ``item_metrics``: the same per (model, window, item_id), window
    ``SUMMARY`` = the item's mean over windows.
    ``backtest_forecasts``: item_id, timestamp, target, mean, p.., window, window_start,
    window_end, model (the ensemble's rows have model ``Ensemble``).
    """

    predictor: Forecaster
    model_name: str  # "Ensemble" or the single algorithm's name
    forecast: pd.DataFrame | None
    windows: list[BacktestWindow]
    quantiles: tuple[float, ...]
    optimization_metric: str
    metrics: pd.DataFrame
    item_metrics: pd.DataFrame
    backtest_forecasts: pd.DataFrame
    weights: dict[str, float] = field(default_factory=dict)
    series_weights: pd.DataFrame | None = None
    shrinkage: float = 0.0
    spread: dict[float, float] | None = None  # ensemble quantile spread factors, if kept
    fallbacks: list[FallbackRecord] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    # items with metadata but no history and the model(s) serving them (automl.coldstart)
    cold_start: dict[str, Any] | None = None

    def leaderboard(self) -> pd.DataFrame:
        """SUMMARY metrics per model, best first on the optimization metric."""
        summary = self.metrics[self.metrics["EvaluationType"] == SUMMARY]
        return summary.sort_values(self.optimization_metric).reset_index(drop=True)

    def test_windows(self, model: str | None = None) -> list[dict[str, Any]]:
        """Amazon's ``TestWindows`` list for ``model`` (default: the predictor): SUMMARY first,
        then one COMPUTED entry per window, every field populated."""
        model = model or self.model_name
        rows = self.metrics[self.metrics[MODEL] == model]
        out = []
        for _, row in rows.sort_values(WINDOW, key=lambda s: s.astype(str)).iterrows():
            entry: dict[str, Any] = {"EvaluationType": row["EvaluationType"],
                                     "Metrics": self._window_metrics(row)}
            if row["EvaluationType"] != SUMMARY:
                entry.update(TestWindowStart=row["TestWindowStart"],
                             TestWindowEnd=row["TestWindowEnd"],
                             ItemCount=int(row["ItemCount"]))
            out.append(entry)
        out.sort(key=lambda e: e["EvaluationType"] != SUMMARY)
        return out

    def _window_metrics(self, row: pd.Series) -> dict[str, Any]:
        def num(key: str) -> float | None:
            value = row.get(key)
            return None if value is None or pd.isna(value) else float(value)

        return {
            "RMSE": num(RMSE),
            "WeightedQuantileLosses": [
                {"Quantile": q, "LossValue": num(wql_column(q))}
                for q in sorted(self.quantiles, reverse=True)
            ],
            "ErrorMetrics": [{"ForecastType": "mean", "WAPE": num(WAPE), "RMSE": num(RMSE),
                              "MASE": num(MASE), "MAPE": num(MAPE)}],
            "AverageWeightedQuantileLoss": num(WQL),
        }


"""AutoML: rolling-origin backtests, metrics, greedy weighted ensembles, fallbacks."""

from forecasthub.automl.config import AutoMLConfig, Progress
from forecasthub.automl.ensemble import WeightedEnsemble
from forecasthub.automl.fallback import FallbackForecaster, FallbackRecord
from forecasthub.automl.result import AutoMLResult
from forecasthub.automl.run import run_automl, run_single_algorithm
from forecasthub.automl.windows import BacktestWindow, backtest_windows

__all__ = [
    "AutoMLConfig",
    "AutoMLResult",
    "BacktestWindow",
    "FallbackForecaster",
    "FallbackRecord",
    "Progress",
    "WeightedEnsemble",
    "backtest_windows",
    "run_automl",
    "run_single_algorithm",
]

"""Accuracy benchmark on M4 Hourly (414 series, horizon 48, season 24).

Runs forecasthub's AutoML and, in the same process, plain statsforecast SeasonalNaive,
AutoTheta, AutoETS (``--skip-slow`` leaves it out, ~5 min) and a default mlforecast LightGBM
(lags 1-24, 48, 168, hour/day-of-week, per-series scaling, conformal intervals); prints mean
wQL (0.1/0.5/0.9), WAPE, MASE (season 24), sMAPE and seconds for each.

    .venv/bin/python benchmarks/accuracy_m4_hourly.py [--skip-slow] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from forecasthub.automl import AutoMLConfig, run_automl
from forecasthub.columns import ITEM_ID, TARGET, TIMESTAMP
from forecasthub.metrics import mase_scale, score
from forecasthub.models.base import ModelContext
from forecasthub.models.frames import from_intervals, levels_for, to_nixtla

DATA = Path("/work/shared/data/m4")
HORIZON, SEASON = 48, 24
QUANTILES = (0.1, 0.5, 0.9)
END = pd.Timestamp("2020-01-01 00:00")  # every training part ends here; tests follow


def _long(path: Path, start: pd.Timestamp | None) -> pd.DataFrame:
    """Wide M4 file (id, then values padded with empty cells) -> long frame, hourly index."""
    wide = pd.read_csv(path, index_col=0)
    parts = []
    for item, row in wide.iterrows():
        values = row.dropna().to_numpy(dtype=float)
        first = start if start is not None else END - pd.Timedelta(hours=len(values) - 1)
        stamps = pd.date_range(first, periods=len(values), freq="h")
        parts.append(pd.DataFrame({ITEM_ID: str(item), TIMESTAMP: stamps, TARGET: values}))
    return pd.concat(parts, ignore_index=True)


def load_m4_hourly(data_dir: Path = DATA) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): all series' training parts end together, so forecasts start together."""
    train = _long(data_dir / "Hourly-train.csv.gz", None)
    test = _long(data_dir / "Hourly-test.csv.gz", END + pd.Timedelta(hours=1))
    return train, test


def statsforecast_baseline(model_name: str, n_jobs: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def run(train: pd.DataFrame) -> pd.DataFrame:
        from statsforecast import StatsForecast
        from statsforecast import models as sfm

        model = getattr(sfm, model_name)(season_length=SEASON)
        sf = StatsForecast(models=[model], freq="h", n_jobs=n_jobs)
        fcst = sf.forecast(df=to_nixtla(train), h=HORIZON, level=levels_for(QUANTILES))
        return from_intervals(fcst, model.alias, QUANTILES)

    return run


def mlforecast_lightgbm(n_jobs: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def run(train: pd.DataFrame) -> pd.DataFrame:
        from lightgbm import LGBMRegressor
        from mlforecast import MLForecast
        from mlforecast.target_transforms import LocalStandardScaler
        from mlforecast.utils import PredictionIntervals

        mlf = MLForecast(models={"LightGBM": LGBMRegressor(verbosity=-1, n_jobs=n_jobs)},
                         freq="h", lags=list(range(1, 25)) + [48, 168],
                         date_features=["hour", "dayofweek"],
                         target_transforms=[LocalStandardScaler()])
        mlf.fit(to_nixtla(train), static_features=[],
                prediction_intervals=PredictionIntervals(n_windows=2, h=HORIZON))
        fcst = mlf.predict(HORIZON, level=levels_for(QUANTILES))
        return from_intervals(fcst, "LightGBM", QUANTILES)

    return run


def automl(
    n_jobs: int, time_limit: float, n_windows: int
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def run(train: pd.DataFrame) -> pd.DataFrame:
        ctx = ModelContext(freq="h", season_length=SEASON, horizon=HORIZON, quantiles=QUANTILES)
        config = AutoMLConfig(n_windows=n_windows, time_limit_s=time_limit, n_jobs=n_jobs)
        result = run_automl(train, ctx, config=config)
        board = result.leaderboard()[["model", "AverageWeightedQuantileLoss", "WAPE", "MASE"]]
        print(f"  backtest leaderboard:\n{board.to_string(index=False)}")
        print(f"  weights {result.weights}, shrinkage {result.shrinkage}, "
              f"skipped {result.skipped}, fallbacks {len(result.fallbacks)}")
        assert result.forecast is not None
        return result.forecast

    return run


def evaluate(name: str, run: Callable[[pd.DataFrame], pd.DataFrame], train: pd.DataFrame,
             test: pd.DataFrame, scale: pd.Series) -> dict[str, object]:
    started = time.perf_counter()
    fcst = run(train)
    seconds = time.perf_counter() - started
    joined = test.merge(fcst, on=[ITEM_ID, TIMESTAMP], how="inner")
    if len(joined) != len(test):
        raise SystemExit(f"{name}: forecast covers {len(joined)} of {len(test)} test points")
    row = score(joined, QUANTILES, scale=scale, smape=True).iloc[0]
    out = {"model": name, "mean wQL": row["AverageWeightedQuantileLoss"],
           **{f"wQL[{q:g}]": row[f"wQL[{q:g}]"] for q in QUANTILES},
           "WAPE": row["WAPE"], "MASE": row["MASE"], "sMAPE": row["sMAPE"], "seconds": seconds}
    print(f"{name:16s} mean wQL {out['mean wQL']:.4f}  WAPE {out['WAPE']:.4f}  "
          f"MASE {out['MASE']:.3f}  sMAPE {out['sMAPE']:.4f}  {seconds:6.1f}s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-slow", action="store_true", help="leave out AutoETS (~5 min)")
    parser.add_argument("--only-automl", action="store_true", help="run our AutoML only")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=80.0)
    parser.add_argument("--windows", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    train, test = load_m4_hourly()
    scale = mase_scale(train, SEASON)
    runs: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
        "forecasthub": automl(args.n_jobs, args.time_limit, args.windows)}
    if not args.only_automl:
        runs["SeasonalNaive"] = statsforecast_baseline("SeasonalNaive", args.n_jobs)
        runs["AutoTheta"] = statsforecast_baseline("AutoTheta", args.n_jobs)
        runs["LightGBM"] = mlforecast_lightgbm(args.n_jobs)
        if not args.skip_slow:
            runs["AutoETS"] = statsforecast_baseline("AutoETS", args.n_jobs)
    rows = [evaluate(name, run, train, test, scale) for name, run in runs.items()]
    print()
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()

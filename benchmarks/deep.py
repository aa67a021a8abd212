"""DeepAR and TFT (GluonTS, PyTorch, CPU) against ETS, Prophet and the AutoML ensemble:
accuracy and seconds.

Datasets: M4 Hourly (414 series, horizon 48; loader of ``accuracy_m4_hourly``) and the Amazon
Forecast electricity sample (3 clients, hourly; the last 24 hours are the test).

    .venv/bin/python benchmarks/deep.py --dataset m4 --models DeepAR,SeasonalNaive
    .venv/bin/python benchmarks/deep.py --dataset electricity --models DeepAR,TFT,ETS,AutoML
    .venv/bin/python benchmarks/deep.py --device gpu ...   # on a machine with a GPU
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy_m4_hourly import load_m4_hourly

from forecasthub.automl import AutoMLConfig, run_automl
from forecasthub.columns import ITEM_ID, TARGET, TIMESTAMP
from forecasthub.metrics import mase_scale, score
from forecasthub.models import create_model
from forecasthub.models.base import ModelContext

ELECTRICITY = Path("/work/shared/data/amazon-forecast-samples/electricity/item-demand-time.csv")
QUANTILES = (0.1, 0.5, 0.9)


def load_electricity(horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(ELECTRICITY, header=None, names=[TIMESTAMP, TARGET, ITEM_ID],
                      parse_dates=[TIMESTAMP])
    raw = raw.sort_values([ITEM_ID, TIMESTAMP]).reset_index(drop=True)
    back = raw.groupby(ITEM_ID).cumcount(ascending=False)
    return raw[back >= horizon].reset_index(drop=True), raw[back < horizon].reset_index(drop=True)


def runner(name: str, ctx: ModelContext, args: argparse.Namespace
           ) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def run(train: pd.DataFrame) -> pd.DataFrame:
        if name == "AutoML":
            config = AutoMLConfig(n_windows=args.windows, time_limit_s=args.time_limit,
                                  n_jobs=args.n_jobs)
            result = run_automl(train, ctx, config=config)
            print(f"  AutoML weights {result.weights}")
            assert result.forecast is not None
            return result.forecast
        params: dict = {}
        if name in ("DeepAR", "TFT"):
            params = {"epochs": args.epochs, "num_batches_per_epoch": args.batches,
                      "n_jobs": args.n_jobs, "device": args.device}
        model = create_model(name, **params).fit(train, ctx)
        if name in ("DeepAR", "TFT"):
            print(f"  {name} epochs run {model.epochs_run}, "
                  f"best val loss {model.best_val_loss}")
        return model.predict()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=("m4", "electricity"), default="electricity")
    parser.add_argument("--models", default="DeepAR,ETS,AutoML")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.dataset == "m4":
        train, test = load_m4_hourly()
        ctx = ModelContext(freq="h", season_length=24, horizon=48, quantiles=QUANTILES)
    else:
        train, test = load_electricity(24)
        ctx = ModelContext(freq="h", season_length=24, horizon=24, quantiles=QUANTILES)
    scale = mase_scale(train, ctx.season_length)
    rows = []
    for name in args.models.split(","):
        started = time.perf_counter()
        fcst = runner(name, ctx, args)(train)
        seconds = time.perf_counter() - started
        joined = test.merge(fcst, on=[ITEM_ID, TIMESTAMP], how="inner")
        if len(joined) != len(test):
            raise SystemExit(f"{name}: forecast covers {len(joined)} of {len(test)} test points")
        row = score(joined, QUANTILES, scale=scale, smape=True).iloc[0]
        rows.append({"model": name, "mean wQL": row["AverageWeightedQuantileLoss"],
                     "WAPE": row["WAPE"], "MASE": row["MASE"], "sMAPE": row["sMAPE"],
                     "seconds": seconds})
        print(f"{name:14s} mean wQL {rows[-1]['mean wQL']:.4f}  WAPE {row['WAPE']:.4f}  "
              f"MASE {row['MASE']:.3f}  {seconds:6.1f}s", flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()

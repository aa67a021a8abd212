"""Scale benchmark: N weekly series through import -> AutoML predictor -> forecast -> export.

    python benchmarks/scale.py                 # 100,000 series x 150 weeks (issue #3 targets)
    python benchmarks/scale.py --series 20000  # smaller
    python benchmarks/scale.py --subset 0      # skip the overhead comparison
    python benchmarks/scale.py --executor ray  # local-model fits on the Ray cluster at RAY_ADDRESS

Prints each stage's seconds and the process's peak RSS during that stage, then, on a subset
(default 10,000 series), the predictor stage against calling the same libraries directly with
the same models and settings (statsforecast for the local models, mlforecast + LightGBM with the
adapter's own lags, transforms and date features, the same backtest windows and refits): that
ratio is forecasthub's overhead, not the models'.

Targets on this 2-core machine: whole run < 30 min and < 8 GiB; overhead ratio <= 1.3.
"""

from __future__ import annotations

import argparse
import os
import warnings
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


class PeakRSS:
    """Samples this process's RSS every 50 ms; `peak` is the max since `reset()`."""

    def __init__(self) -> None:
        self.proc, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def reset(self) -> None:
        self.peak = self.proc.memory_info().rss


def stage(name: str, rss: PeakRSS, fn, results: list) -> object:  # type: ignore[no-untyped-def]
    rss.reset()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    results.append((name, seconds, rss.peak / 2**30))
    print(f"  {name:<28} {seconds:9.1f} s   peak RSS {rss.peak / 2**30:6.2f} GiB", flush=True)
    return out


def run_flow(n_series: int, n_weeks: int, horizon: int, folder: Path, rss: PeakRSS) -> dict:
    from forecasthub.client import Client
    from forecasthub.data.synthetic import generate_weekly_panel

    results: list = []
    print(f"{n_series:,} weekly series x {n_weeks} weeks, horizon {horizon}", flush=True)
    csv = folder / "tts.csv"

    def generate() -> None:  # the frame lives only inside this stage
        panel = generate_weekly_panel(n_series, n_weeks, seed=0, item_id_dtype="object")
        panel.target.to_csv(csv, index=False, date_format="%Y-%m-%d")

    stage("generate + write csv", rss, generate, results)
    fh = Client(home=folder / "home", import_roots=[str(folder)])
    group = fh.create_dataset_group(DatasetGroupName="scale", Domain="RETAIL")["DatasetGroupArn"]
    schema = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                             {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                             {"AttributeName": "demand", "AttributeType": "float"}]}
    ds = fh.create_dataset(DatasetName="scale_tts", Domain="RETAIL", DatasetType="TARGET_TIME_SERIES",
                           DataFrequency="W", Schema=schema)["DatasetArn"]
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[ds])

    def check(desc: dict) -> dict:
        if desc["Status"] != "ACTIVE":
            raise SystemExit(f"failed: {desc.get('Message')}")
        return desc

    stage("import", rss, lambda: check(fh.describe_dataset_import_job(
        DatasetImportJobArn=fh.create_dataset_import_job(
            DatasetImportJobName="i", DatasetArn=ds, DataSource={"S3Config": {"Path": str(csv)}},
            TimestampFormat="yyyy-MM-dd", wait=True)["DatasetImportJobArn"])), results)
    predictor = stage("predictor (AutoML)", rss, lambda: fh.create_auto_predictor(
        PredictorName="p", ForecastHorizon=horizon, ForecastFrequency="W",
        DataConfig={"DatasetGroupArn": group}, wait=True)["PredictorArn"], results)
    check(fh.describe_auto_predictor(PredictorArn=predictor))
    forecast = stage("forecast", rss, lambda: fh.create_forecast(
        ForecastName="f", PredictorArn=predictor, wait=True)["ForecastArn"], results)
    check(fh.describe_forecast(ForecastArn=forecast))
    stage("export (CSV)", rss, lambda: check(fh.describe_forecast_export_job(
        ForecastExportJobArn=fh.create_forecast_export_job(
            ForecastExportJobName="e", ForecastArn=forecast,
            Destination={"S3Config": {"Path": str(folder / "export")}},
            wait=True)["ForecastExportJobArn"])), results)
    from forecasthub.store.orm import PredictorRow

    with fh.hub.db.session() as s:
        summary = s.get(PredictorRow, predictor).summary
    total = sum(r[1] for r in results)
    print(f"  {'total':<28} {total:9.1f} s   peak RSS {max(r[2] for r in results):6.2f} GiB")
    print(f"  AutoML chose {summary['weights']} (fallbacks: {summary['fallback_count']}, "
          f"skipped: {summary['skipped']})")
    return {"results": results, "summary": summary, "seconds": total}


def direct(train, ctx, n_windows: int, candidates: list[str]) -> float:  # type: ignore[no-untyped-def]
    """The same models through statsforecast / mlforecast directly, same windows and refits."""
    from forecasthub.automl.candidates import DataProfile, lightgbm_for
    from forecasthub.automl.windows import backtest_windows
    from forecasthub.columns import ITEM_ID, TARGET, TIMESTAMP

    windows = backtest_windows(train[TIMESTAMP].max(), ctx.freq, ctx.horizon, n_windows, None)
    cutoffs = [w.start for w in windows] + [None]
    nixtla = train.rename(columns={ITEM_ID: "unique_id", TIMESTAMP: "ds", TARGET: "y"})
    t0 = time.perf_counter()
    for cutoff in cutoffs:
        part = nixtla if cutoff is None else nixtla[nixtla["ds"] < cutoff]
        for name in candidates:
            if name == "LightGBM":
                model = lightgbm_for(DataProfile.of(train), ctx, n_jobs=1)
                own = part.rename(columns={"unique_id": ITEM_ID, "ds": TIMESTAMP, "y": TARGET})
                if model.max_rows_per_series:
                    own = own.groupby(ITEM_ID, sort=False).tail(model.max_rows_per_series)
                mlf = model._fit_mlf(own, ctx)  # the adapter's own MLForecast settings
                mlf.predict(ctx.horizon)
                last = own.groupby(ITEM_ID, sort=False).tail(ctx.horizon).index  # calibration fit
                calib = model._fit_mlf(own.drop(index=last), ctx)
                calib.predict(ctx.horizon)
            else:  # the adapter's own statsforecast model, intervals and history limit
                from statsforecast import StatsForecast
                from statsforecast import models as sfm
                from statsforecast.utils import ConformalIntervals

                from forecasthub.models.frames import levels_for
                from forecasthub.models.registry import create_model

                adapter = create_model(name)
                if hasattr(adapter, "_model"):
                    n = adapter._windows()
                    model = adapter._model(ctx, ConformalIntervals(h=ctx.horizon, n_windows=n)
                                           if n else None)
                else:  # SeasonalNaive / Naive are numpy ports of statsforecast's: use the original
                    model = sfm.SeasonalNaive(ctx.season_length)
                limit = adapter.history_limit(ctx)
                data = part.groupby("unique_id", sort=False).tail(limit) if limit else part
                StatsForecast(models=[model], freq=ctx.freq, fallback_model=sfm.Naive()).forecast(
                    df=data, h=ctx.horizon, level=levels_for(ctx.quantiles))
    return time.perf_counter() - t0


def overhead(n_series: int, n_weeks: int, horizon: int, rss: PeakRSS) -> None:
    from forecasthub.automl.config import AutoMLConfig
    from forecasthub.automl.run import run_automl
    from forecasthub.data.synthetic import generate_weekly_panel
    from forecasthub.models.base import ModelContext

    print(f"\noverhead on {n_series:,} series (predictor stage, ours vs the libraries directly)")
    with tempfile.TemporaryDirectory() as tmp:
        flow = run_flow(n_series, n_weeks, horizon, Path(tmp), rss)
    ours = next(r[1] for r in flow["results"] if r[0].startswith("predictor"))
    chosen = sorted(flow["summary"]["weights"]) or ["SeasonalNaive"]
    panel = generate_weekly_panel(n_series, n_weeks, seed=0, item_id_dtype="object")
    train = panel.target.rename(columns={"demand": "target"})
    train = train.assign(target=train["target"].astype(float))
    ctx = ModelContext(freq="W-FRI", season_length=52, horizon=horizon)
    windows = flow["summary"].get("windows") or 3
    # candidates AutoML backtested (all of them, not only the ensemble members) are the work it did
    timings = flow["summary"]["timings"]
    backtested = sorted({k.split(":", 1)[1] for k in timings if k.startswith("backtest:")})
    base = direct(train, ctx, windows, backtested or chosen)
    _ = run_automl, AutoMLConfig
    print(f"  ours {ours:.1f} s, direct {base:.1f} s, ratio {ours / base:.2f} "
          f"(candidates {backtested}, {windows} windows + refit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=150)
    parser.add_argument("--horizon", type=int, default=13)
    parser.add_argument("--subset", type=int, default=10_000, help="0 skips the overhead part")
    parser.add_argument("--executor", choices=["local", "ray"], default=None,
                        help="sets FORECASTHUB_EXECUTOR (ray: cluster at RAY_ADDRESS)")
    parser.add_argument("--workers", type=int, default=None,
                        help="sets FORECASTHUB_EXECUTOR_WORKERS (local process pool size)")
    args = parser.parse_args()
    if args.executor:
        os.environ["FORECASTHUB_EXECUTOR"] = args.executor
    if args.workers:
        os.environ["FORECASTHUB_EXECUTOR_WORKERS"] = str(args.workers)
    os.environ.setdefault("FORECASTHUB_NO_AUTOSTART", "1")
    warnings.filterwarnings("ignore")
    rss = PeakRSS()
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
          f"executor {os.environ.get('FORECASTHUB_EXECUTOR', 'local')}"
          f" {os.environ.get('RAY_ADDRESS', '')}".rstrip())
    with tempfile.TemporaryDirectory() as tmp:
        run_flow(args.series, args.weeks, args.horizon, Path(tmp), rss)
    if args.subset:
        overhead(args.subset, args.weeks, args.horizon, rss)


if __name__ == "__main__":
    main()

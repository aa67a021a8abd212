"""API load benchmark: 50 concurrent clients on the Amazon Forecast protocol for 60 s.

    python benchmarks/api_load.py                      # forecast of 100,000 series
    python benchmarks/api_load.py --series 10000 --seconds 20

Set-up (not timed as load): N weekly series are imported and forecast with a cheap single
algorithm (SeasonalNaive by ARN) so the big forecast exists; then `forecasthub serve` starts on
127.0.0.1 with one worker process, and while the clients run Describe*/List*/QueryForecast, an
import job and a predictor job are submitted through the same API so the worker is busy.
Prints requests/s, p50/p99 latency per operation and errors.
Targets here: zero errors, QueryForecast p99 < 50 ms, Describe/List p99 < 30 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

TARGET = "AmazonForecast"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(home: Path, data: Path, n_series: int) -> dict:
    from forecasthub.client import Client
    from forecasthub.data.synthetic import generate_weekly_panel

    t0 = time.perf_counter()
    panel = generate_weekly_panel(n_series, 60, seed=0, item_id_dtype="object")
    csv = data / "tts.csv"
    panel.target.to_csv(csv, index=False, date_format="%Y-%m-%d")
    items = panel.target["item_id"].unique().tolist()
    fh = Client(home=home, import_roots=[str(data)])
    group = fh.create_dataset_group(DatasetGroupName="load", Domain="RETAIL")["DatasetGroupArn"]
    schema = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                             {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                             {"AttributeName": "demand", "AttributeType": "float"}]}
    ds = fh.create_dataset(DatasetName="load_tts", Domain="RETAIL", DatasetType="TARGET_TIME_SERIES",
                           DataFrequency="W", Schema=schema)["DatasetArn"]
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[ds])
    job = fh.create_dataset_import_job(DatasetImportJobName="first", DatasetArn=ds,
                                       DataSource={"S3Config": {"Path": str(csv)}},
                                       TimestampFormat="yyyy-MM-dd", wait=True)
    predictor = fh.create_predictor(
        PredictorName="naive", AlgorithmArn="arn:aws:forecast:::algorithm/SeasonalNaive",
        ForecastHorizon=8, InputDataConfig={"DatasetGroupArn": group},
        FeaturizationConfig={"ForecastFrequency": "W"}, wait=True)["PredictorArn"]
    forecast = fh.create_forecast(ForecastName="big", PredictorArn=predictor, wait=True)["ForecastArn"]
    status = fh.describe_forecast(ForecastArn=forecast)["Status"]
    if status != "ACTIVE":
        raise SystemExit(f"set-up failed: forecast {status}")
    fh.close()
    print(f"set-up: {n_series:,} series imported, predicted and forecast in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    return {"group": group, "dataset": ds, "import": job["DatasetImportJobArn"],
            "predictor": predictor, "forecast": forecast, "items": items, "csv": str(csv)}


async def client_loop(http, url: str, ids: dict, deadline: float, stats: dict) -> None:  # type: ignore[no-untyped-def]
    ops = [
        ("DescribeDatasetGroup", lambda: {"DatasetGroupArn": ids["group"]}),
        ("ListDatasetGroups", lambda: {}),
        ("DescribePredictor", lambda: {"PredictorArn": ids["predictor"]}),
        ("ListForecasts", lambda: {"MaxResults": 20}),
        ("DescribeDatasetImportJob", lambda: {"DatasetImportJobArn": ids["import"]}),
        ("QueryForecast", lambda: {"ForecastArn": ids["forecast"],
                                   "Filters": {"item_id": random.choice(ids["items"])}}),
        ("QueryForecast", lambda: {"ForecastArn": ids["forecast"],
                                   "Filters": {"item_id": random.choice(ids["items"])}}),
    ]
    while time.perf_counter() < deadline:
        op, body = random.choice(ops)
        prefix = "AmazonForecastRuntime" if op == "QueryForecast" else TARGET
        t0 = time.perf_counter()
        try:
            r = await http.post(url, content=json.dumps(body()), headers={
                "X-Amz-Target": f"{prefix}.{op}", "Content-Type": "application/x-amz-json-1.1"})
            ok = r.status_code == 200
        except Exception:  # a refused or dropped connection is an error to count
            ok = False
        stats[op].append(time.perf_counter() - t0)
        if not ok:
            stats["errors"].append(op)


async def background_jobs(http, url: str, ids: dict) -> None:  # type: ignore[no-untyped-def]
    """An import and a predictor job through the API while the load runs."""
    async def call(op: str, body: dict) -> dict:
        r = await http.post(url, content=json.dumps(body), headers={
            "X-Amz-Target": f"{TARGET}.{op}", "Content-Type": "application/x-amz-json-1.1"})
        return r.json()

    await call("CreateDatasetImportJob", {
        "DatasetImportJobName": "during_load", "DatasetArn": ids["dataset"],
        "DataSource": {"S3Config": {"Path": ids["csv"]}}, "TimestampFormat": "yyyy-MM-dd"})
    await asyncio.sleep(2)
    await call("CreatePredictor", {
        "PredictorName": "during_load", "AlgorithmArn": "arn:aws:forecast:::algorithm/SeasonalNaive",
        "ForecastHorizon": 8, "InputDataConfig": {"DatasetGroupArn": ids["group"]},
        "FeaturizationConfig": {"ForecastFrequency": "W"}})


async def load(url: str, ids: dict, clients: int, seconds: float) -> dict:
    import httpx

    stats: dict = defaultdict(list)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(background_jobs(http, url, ids),
                             *(client_loop(http, url, ids, deadline, stats) for _ in range(clients)))
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        home, data = Path(tmp) / "home", Path(tmp) / "data"
        data.mkdir()
        ids = setup(home, data, args.series)
        port = free_port()
        env = {**os.environ, "FORECASTHUB_HOME": str(home), "FORECASTHUB_IMPORT_ROOTS": str(data)}
        server = subprocess.Popen([sys.executable, "-m", "forecasthub.cli.main", "serve", "--port",
                                   str(port), "--workers", "1", "--log-level", "warning"], env=env)
        try:
            import httpx

            url = f"http://127.0.0.1:{port}/"
            for _ in range(100):
                try:
                    if httpx.get(f"{url}api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            t0 = time.perf_counter()
            stats = asyncio.run(load(url, ids, args.clients, args.seconds))
            elapsed = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(timeout=30)
    errors = stats.pop("errors", [])
    total = sum(len(v) for v in stats.values())
    print(f"{args.clients} clients, {elapsed:.0f} s, forecast of {args.series:,} series, "
          f"{os.cpu_count()} cores (client and server share them)")
    print(f"  {total / elapsed:,.0f} requests/s, {len(errors)} errors")
    for op, lat in sorted(stats.items()):
        ms = np.array(lat) * 1000
        print(f"  {op:<26} n={len(ms):6d}  p50 {np.percentile(ms, 50):6.1f} ms  "
              f"p99 {np.percentile(ms, 99):6.1f} ms")


if __name__ == "__main__":
    main()

"""Import benchmark: our CSV import against a bare pyarrow CSV read + Parquet write.

Generates a target-time-series CSV (default 10,000 series x 1,000 days = 10 million rows:
item_id, timestamp, value; no header, Amazon's default timestamp format) in a temporary folder,
then times, each in a fresh subprocess so peak RSS is measured separately:

  (a) floor: pyarrow.csv.read_csv + pyarrow.parquet.write_table
  (b) ours:  read_import_files + write_canonical + field_statistics + import_summary

and prints rows/s of both, the ratio (b)/(a) and the peak RSS of (b). Targets: ratio <= 1.5,
peak RSS < 3 GiB.

    python benchmarks/import_bench.py [--series 10000] [--days 1000] [--repeat 3] [--shuffle]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

RSS_LIMIT_GIB = 3.0
RATIO_LIMIT = 1.5


def generate(path: str, series: int, days: int, shuffle: bool) -> int:
    """Write the benchmark CSV; return its row count."""
    import numpy as np
    import polars as pl

    ids = pl.DataFrame({"item_id": [f"item_{i:05d}" for i in range(series)]})
    dates = pl.DataFrame({"timestamp": pl.datetime_range(
        pl.datetime(2020, 1, 1), pl.datetime(2020, 1, 1) + pl.duration(days=days - 1), "1d",
        eager=True)})
    frame = ids.join(dates, how="cross")
    rng = np.random.default_rng(0)
    frame = frame.with_columns(value=pl.Series(np.round(rng.gamma(2.0, 10.0, frame.height), 3)))
    if shuffle:
        frame = frame.sample(fraction=1.0, shuffle=True, seed=0)
    frame.write_csv(path, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S")
    return frame.height


def run_floor(csv_path: str, out: str) -> dict[str, float]:
    """(a) bare pyarrow read + Parquet write."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    start = time.perf_counter()
    table = pacsv.read_csv(
        csv_path, read_options=pacsv.ReadOptions(column_names=["item_id", "timestamp", "value"])
    )
    pq.write_table(table, out)
    return {"seconds": time.perf_counter() - start, "rows": table.num_rows}


def run_ours(csv_path: str, out: str) -> dict[str, float]:
    """(b) our import: read + validate + sort + write + statistics."""
    from forecasthub.data.importer import read_import_files, write_canonical
    from forecasthub.data.schema import Schema
    from forecasthub.data.statistics import field_statistics, import_summary

    schema = Schema.from_attributes(
        [("item_id", "string"), ("timestamp", "timestamp"), ("value", "float")]
    )
    start = time.perf_counter()
    frame = read_import_files([csv_path], schema, "TARGET_TIME_SERIES", domain="WEB_TRAFFIC")
    write_canonical(frame, out, schema)
    field_statistics(frame, schema)
    import_summary(frame, schema, "TARGET_TIME_SERIES", domain="WEB_TRAFFIC",
                   input_bytes=os.path.getsize(csv_path))
    return {"seconds": time.perf_counter() - start, "rows": frame.height}


def _child(which: str, csv_path: str, out: str) -> None:
    import resource

    result = (run_floor if which == "floor" else run_ours)(csv_path, out)
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps(result))


def measure(which: str, csv_path: str, out: str) -> dict[str, float]:
    """Run one side in a fresh interpreter; return its timing and peak RSS."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", which, csv_path, out],
        check=True, capture_output=True, text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1_000)
    parser.add_argument("--rows", type=int, default=None,
                        help="total rows (overrides --days: rows // series days per series)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per side")
    parser.add_argument("--shuffle", action="store_true", help="rows in random order")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    days = max(1, args.rows // args.series) if args.rows else args.days
    with tempfile.TemporaryDirectory(prefix="import_bench_") as tmp:
        csv_path = os.path.join(tmp, "tts.csv")
        t = time.perf_counter()
        rows = generate(csv_path, args.series, days, args.shuffle)
        size = os.path.getsize(csv_path)
        print(f"generated {rows:,} rows ({size / 1e6:,.0f} MB) in {time.perf_counter() - t:.1f}s")
        floor, ours = [], []
        for _ in range(args.repeat):  # interleaved, so machine load hits both sides alike
            floor.append(measure("floor", csv_path, os.path.join(tmp, "floor.parquet")))
            ours.append(measure("ours", csv_path, os.path.join(tmp, "ours.parquet")))
        best_floor = min(r["seconds"] for r in floor)
        best_ours = min(r["seconds"] for r in ours)
        rss = max(r["peak_rss_gib"] for r in ours)
        ratio = best_ours / best_floor
        print(f"(a) pyarrow read+write : {best_floor:6.2f}s  {rows / best_floor:12,.0f} rows/s  "
              f"peak RSS {max(r['peak_rss_gib'] for r in floor):.2f} GiB")
        print(f"(b) forecasthub import : {best_ours:6.2f}s  {rows / best_ours:12,.0f} rows/s  "
              f"peak RSS {rss:.2f} GiB")
        print(f"ratio (b)/(a) = {ratio:.2f} (target <= {RATIO_LIMIT}); "
              f"peak RSS {rss:.2f} GiB (target < {RSS_LIMIT_GIB})")
        print("all runs (s): floor", [round(r["seconds"], 2) for r in floor],
              "ours", [round(r["seconds"], 2) for r in ours])
        ok = ratio <= RATIO_LIMIT and rss < RSS_LIMIT_GIB
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

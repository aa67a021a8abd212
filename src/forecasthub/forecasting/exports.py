"""Write forecasts and backtests as Amazon Forecast's export files (CSV or Parquet parts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from forecasthub.storage.layout import BACKTEST_ACCURACY, BACKTEST_VALUES


DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def write_parts(frame: pl.LazyFrame, folder: Path, prefix: str, fmt: str, part_rows: int,
                date_columns: tuple[str, ...] = ("date",)) -> list[Path]:
    """`<prefix>_part<N>.csv|parquet`, each with a header, written to a temp name then renamed."""
    folder.mkdir(parents=True, exist_ok=True)
    schema = frame.collect_schema()
    if fmt == "CSV":
        frame = frame.with_columns(
            pl.col(c).dt.strftime(DATE_FORMAT) for c in date_columns if c in schema
        )
    data = frame.collect()
    files = []
    for n, start in enumerate(range(0, max(data.height, 1), part_rows)):
        part = data.slice(start, part_rows)
        path = folder / f"{prefix}_part{n}.{'csv' if fmt == 'CSV' else 'parquet'}"
        tmp = path.with_name(f".{path.name}.tmp")
        if fmt == "CSV":
            part.write_csv(tmp)
        else:
            part.write_parquet(tmp)
        tmp.replace(path)
        files.append(path)
    return files


def export_forecast(source: Any, folder: Path, prefix: str, fmt: str, part_rows: int) -> list[Path]:
    """``source``: a lazy frame, or a local path / URL polars can scan."""
    frame = source if isinstance(source, pl.LazyFrame) else pl.scan_parquet(source)
    return write_parts(frame, folder, prefix, fmt, part_rows)


def export_backtest(hub: Any, artifact_key: str, folder: Path, prefix: str, fmt: str) -> list[Path]:
    """Two sub-folders, as Amazon Forecast writes them: forecasted-values/ and
    accuracy-metrics-values/."""
    files = []
    for name, sub in ((BACKTEST_VALUES, "forecasted-values"),
                      (BACKTEST_ACCURACY, "accuracy-metrics-values")):
        frame = hub.store.scan_parquet(f"{artifact_key}/{name}")  # local file or s3 object
        dates = tuple(c for c in frame.collect_schema() if c in
                      ("timestamp", "backtestwindow_start_time", "backtestwindow_end_time"))
        files += write_parts(frame, folder / sub, prefix, fmt, 1_000_000, dates)
    return files

"""Load M4 Hourly (wide CSV, padded rows) as long frames with an hourly index.

Every series' training part ends at the same hour, so all forecasts start together.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA = Path("/work/shared/data/m4")
END = pd.Timestamp("2020-01-01 00:00")


def _long(path: Path, starts: dict[str, pd.Timestamp] | None) -> pd.DataFrame:
    wide = pd.read_csv(path, index_col=0)
    parts = []
    for item, row in wide.iterrows():
        values = row.dropna().to_numpy(dtype=float)
        n = len(values)
        start = starts[item] if starts else END - pd.Timedelta(hours=n - 1)
        stamps = pd.date_range(start, periods=n, freq="h")
        parts.append(pd.DataFrame({"item_id": str(item), "timestamp": stamps, "target": values}))
    return pd.concat(parts, ignore_index=True)


def load_m4_hourly(data_dir: Path = DATA) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) long frames: item_id, timestamp, target; test continues each series."""
    train = _long(data_dir / "Hourly-train.csv.gz", None)
    starts = {k: END + pd.Timedelta(hours=1) for k in train["item_id"].unique()}
    test = _long(data_dir / "Hourly-test.csv.gz", starts)
    return train, test


__all__ = ["load_m4_hourly"]

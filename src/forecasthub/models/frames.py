"""Shared conversions between our frames and the libraries' frames, and forecast-frame checks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError, ModelError

# Nixtla libraries' column names.
UID, DS, Y = "unique_id", "ds", "y"


def check_train(train: pd.DataFrame) -> None:
    """Raise InvalidInputError when the training frame breaks the contract's basics."""
    missing = [c for c in (ITEM_ID, TIMESTAMP, TARGET) if c not in train.columns]
    if missing:
        raise InvalidInputError(f"Training frame lacks column(s) {missing}")
    if train.empty:
        raise InvalidInputError("Training frame is empty")


def to_nixtla(train: pd.DataFrame) -> pd.DataFrame:
    """``item_id, timestamp, target`` -> ``unique_id, ds, y`` (other columns kept)."""
    out = train.rename(columns={ITEM_ID: UID, TIMESTAMP: DS, TARGET: Y})
    out[UID] = out[UID].astype(str)
    return out


def forecast_columns(quantiles: Sequence[float]) -> list[str]:
    """Column order of a forecast frame."""
    return [ITEM_ID, TIMESTAMP, MEAN, *(quantile_column(q) for q in quantiles)]


def level_of(q: float) -> int | float:
    """Central interval level whose bound is quantile ``q``: 0.1 and 0.9 -> 80."""
    level = round(abs(1.0 - 2.0 * q) * 100, 6)
    return int(level) if float(level).is_integer() else level


def levels_for(quantiles: Sequence[float]) -> list[int | float]:
    """Levels needed to read every quantile other than the median from intervals."""
    return sorted({level_of(q) for q in quantiles if abs(q - 0.5) > 1e-9})


def from_intervals(
    fcst: pd.DataFrame, alias: str, quantiles: Sequence[float], mean: str | None = None
) -> pd.DataFrame:
    """Nixtla output (``alias``, ``alias-lo-80``, ``alias-hi-80``) -> our forecast frame.

    Symmetric intervals: the median is the point forecast, which is also the mean.
    """
    out = pd.DataFrame(
        {ITEM_ID: fcst[UID].astype(str).to_numpy(), TIMESTAMP: fcst[DS].to_numpy()}
    )
    out[MEAN] = fcst[mean or alias].to_numpy(dtype=float)
    for q in quantiles:
        if abs(q - 0.5) < 1e-9:
            values = fcst[alias]
        else:
            side = "lo" if q < 0.5 else "hi"
            values = fcst[f"{alias}-{side}-{level_of(q)}"]
        out[quantile_column(q)] = values.to_numpy(dtype=float)
    return finalize(out, quantiles)


def finalize(frame: pd.DataFrame, quantiles: Sequence[float]) -> pd.DataFrame:
    """Order columns and rows, make quantiles non-decreasing in q (row-wise sort)."""
    qcols = [quantile_column(q) for q in sorted(quantiles)]
    if qcols:
        values = frame[qcols].to_numpy(dtype=float)
        frame[qcols] = np.sort(values, axis=1)
    frame[ITEM_ID] = frame[ITEM_ID].astype(str)
    cols = forecast_columns(sorted(quantiles))
    return frame[cols].sort_values([ITEM_ID, TIMESTAMP], kind="stable").reset_index(drop=True)


def future_timestamps(last: pd.Series, freq: str, horizon: int) -> pd.DataFrame:
    """``item_id, timestamp`` for the ``horizon`` steps after each item's last timestamp."""
    offset = pd.tseries.frequencies.to_offset(freq)
    items = np.repeat(last.index.astype(str).to_numpy(), horizon)
    ends, which = np.unique(last.to_numpy(), return_inverse=True)  # usually one shared end
    grid = np.stack([pd.date_range(ts, periods=horizon + 1, freq=offset)[1:].to_numpy()
                     for ts in ends]) if len(ends) else np.empty((0, horizon), "M8[ns]")
    return pd.DataFrame({ITEM_ID: items, TIMESTAMP: grid[which].ravel()})


def select_items(frame: pd.DataFrame, items: Sequence[str] | None) -> pd.DataFrame:
    """Rows of the requested items (all when None); ModelError names unknown ones."""
    if items is None:
        return frame
    wanted = pd.Index([str(i) for i in items])
    known = pd.Index(frame[ITEM_ID].unique())
    unknown = wanted.difference(known)
    if len(unknown):
        raise ModelError(
            f"No forecast for {len(unknown)} item(s) not seen in training, "
            f"e.g. {list(unknown[:5])}; this model cannot cold-start"
        )
    return frame[frame[ITEM_ID].isin(wanted)].reset_index(drop=True)


def check_forecast(frame: pd.DataFrame, quantiles: Sequence[float], horizon: int) -> None:
    """ModelError when a forecast frame breaks the contract (NaN, order, row count)."""
    cols = forecast_columns(sorted(quantiles))
    if list(frame.columns) != cols:
        raise ModelError(f"Forecast columns {list(frame.columns)} != expected {cols}")
    values = frame[cols[2:]].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ModelError("Forecast contains NaN or infinite values")
    counts = frame.groupby(ITEM_ID, observed=True).size()
    if (counts != horizon).any():
        raise ModelError(f"Forecast must have {horizon} rows per item")

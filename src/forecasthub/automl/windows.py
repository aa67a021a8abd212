"""Rolling-origin backtest windows (AMAZON_FORECAST.md section 3).

With ``n_windows=3``, ``offset = step = horizon`` (the default), windows are adjacent and the last
one ends at the data end::

    time ->   |<------------------- history ------------------->|
    window 0  [======= train =======][ test 0 ]
    window 1  [=========== train ============][ test 1 ]
    window 2  [================ train ================][ test 2 ]
                                                                 ^ data end

A larger ``offset`` moves the last window back, so it ends ``offset - horizon`` steps before the
data end; ``step`` is the distance between window starts (``horizon`` = adjacent windows).
Each window trains on everything strictly before ``start`` and tests on ``[start, end)``;
``end`` is exclusive, as Amazon Forecast's TestWindowEnd. All series share the same windows
(the history/future boundary is the last timestamp of the whole dataset).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from forecasthub.columns import TIMESTAMP
from forecasthub.errors import InvalidInputError


@dataclass(frozen=True)
class BacktestWindow:
    """One backtest: train on ``timestamp < start``, test on ``start <= timestamp < end``."""

    index: int  # 0 = oldest
    start: pd.Timestamp  # TestWindowStart (first test timestamp)
    end: pd.Timestamp  # TestWindowEnd (exclusive)


def backtest_windows(
    data_end: pd.Timestamp,
    freq: str,
    horizon: int,
    n_windows: int = 1,
    offset: int | None = None,
    step: int | None = None,
) -> list[BacktestWindow]:
    """Windows oldest first; ``data_end`` is the last timestamp of the data."""
    offset = horizon if offset is None else offset
    step = horizon if step is None else step
    if n_windows < 1:
        raise InvalidInputError(f"NumberOfBacktestWindows must be >= 1, got {n_windows}")
    if offset < horizon:
        raise InvalidInputError(
            f"BackTestWindowOffset ({offset}) must be at least the horizon ({horizon})"
        )
    if step < 1:
        raise InvalidInputError(f"Backtest window step must be >= 1, got {step}")
    unit = pd.tseries.frequencies.to_offset(freq)
    last_start = pd.Timestamp(data_end) - (offset - 1) * unit
    windows = []
    for i in range(n_windows):
        start = last_start - (n_windows - 1 - i) * step * unit
        windows.append(BacktestWindow(index=i, start=start, end=start + horizon * unit))
    return windows


def split(
    frame: pd.DataFrame, window: BacktestWindow
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) rows of ``frame`` for ``window``."""
    ts = frame[TIMESTAMP]
    train = frame[ts < window.start]
    test = frame[(ts >= window.start) & (ts < window.end)]
    return train, test


def iter_splits(
    frame: pd.DataFrame, windows: list[BacktestWindow]
) -> Iterator[tuple[BacktestWindow, pd.DataFrame, pd.DataFrame]]:
    """``(window, train, test)`` for each window, oldest first."""
    for window in windows:
        train, test = split(frame, window)
        yield window, train, test


def check_history(frame: pd.DataFrame, windows: list[BacktestWindow], horizon: int) -> None:
    """InvalidInputError when the oldest window leaves too little history to train on."""
    first = frame[TIMESTAMP].min()
    if windows and first >= windows[0].start:
        raise InvalidInputError(
            f"Not enough history for {len(windows)} backtest window(s) of {horizon} steps: "
            f"data starts at {first}, the first test window starts at {windows[0].start}"
        )

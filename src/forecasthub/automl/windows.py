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

A small panel gets more windows to *choose* the ensemble on than it asked for
(:func:`selection_window_count`): 3 series x 2 windows are 6 (series, window) pairs, and weights
or quantile spreads picked on so few follow chance. The added windows lie before the requested
ones; the reported backtest metrics keep to the requested windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from forecasthub.columns import TIMESTAMP
from forecasthub.errors import InvalidInputError

MIN_SELECTION_CELLS = 20  # (series, window) pairs wanted to choose weights and spreads on
MAX_SELECTION_WINDOWS = 5  # Amazon's most backtest windows
# Added windows only for long series: all windows together span at most 1/LONG_SERIES of them.
LONG_SERIES = 10


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


def selection_window_count(
    n_series: int,
    length: float,
    horizon: int,
    season_length: int,
    n_windows: int,
    offset: int | None = None,
) -> int:
    """Windows to choose the ensemble on: the ``n_windows`` requested, plus older ones while the
    panel has fewer than :data:`MIN_SELECTION_CELLS` (series, window) pairs, up to
    :data:`MAX_SELECTION_WINDOWS` in all, and only for long series: the windows span at most
    1/:data:`LONG_SERIES` of the typical ``length`` and leave five seasons and five horizons of
    history before the oldest. Small panels are cheap to backtest, so big panels (the costly
    ones) never get more."""
    offset = horizon if offset is None else offset
    history = 5 * max(season_length, 1, horizon)
    n = n_windows
    while (n < MAX_SELECTION_WINDOWS and n_series * n < MIN_SELECTION_CELLS
           and length >= max(offset + n * horizon + history,
                             LONG_SERIES * (offset + n * horizon))):
        n += 1
    return n

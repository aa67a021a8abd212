"""Backtest windows: adjacent, step = horizon by default, last one ends at the data end."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasthub.automl.windows import (
    MAX_SELECTION_WINDOWS,
    backtest_windows,
    check_history,
    selection_window_count,
    split,
)
from forecasthub.errors import InvalidInputError


def test_default_windows_are_adjacent_and_end_at_data_end() -> None:
    end = pd.Timestamp("2014-09-30 23:00")
    windows = backtest_windows(end, "h", horizon=24, n_windows=3)
    assert [w.index for w in windows] == [0, 1, 2]
    assert windows[-1].start == pd.Timestamp("2014-09-30 00:00")
    assert windows[-1].end == pd.Timestamp("2014-10-01 00:00")  # exclusive, Amazon's example
    for older, newer in zip(windows, windows[1:], strict=False):
        assert older.end == newer.start


def test_offset_and_step() -> None:
    end = pd.Timestamp("2024-01-31")
    windows = backtest_windows(end, "D", horizon=7, n_windows=2, offset=10, step=3)
    assert windows[-1].start == pd.Timestamp("2024-01-22")
    assert windows[-1].end == pd.Timestamp("2024-01-29")
    assert windows[0].start == pd.Timestamp("2024-01-19")
    with pytest.raises(InvalidInputError, match="horizon"):
        backtest_windows(end, "D", horizon=7, offset=3)
    with pytest.raises(InvalidInputError):
        backtest_windows(end, "D", horizon=7, n_windows=0)


def test_split_and_history(panel: pd.DataFrame) -> None:
    end = panel["timestamp"].max()
    (window,) = backtest_windows(end, "D", horizon=7)
    train, test = split(panel, window)
    assert train["timestamp"].max() < window.start <= test["timestamp"].min()
    assert test["timestamp"].max() == end
    assert len(test[test.item_id == "seasonal"]) == 7
    with pytest.raises(InvalidInputError, match="history"):
        check_history(panel, backtest_windows(end, "D", horizon=7, n_windows=20), 7)


def test_selection_windows_grow_for_small_panels_with_long_series() -> None:
    # 3 hourly clients of ~8000 points, 2 windows of 24 h requested: choose on 5
    assert selection_window_count(3, 7967, 24, 24, 2) == MAX_SELECTION_WINDOWS
    # 10 series x 2 windows = 20 pairs, and a big panel: as requested
    assert selection_window_count(10, 7967, 24, 24, 2) == 2
    assert selection_window_count(414, 700, 48, 24, 1) == 1
    # only long series: the windows span at most a tenth of them
    assert selection_window_count(3, 10 * 48, 24, 24, 1) == 2
    assert selection_window_count(3, 10 * 48 - 1, 24, 24, 1) == 1
    assert selection_window_count(5, 100, 7, 7, 2) == 2
    assert selection_window_count(2, 7967, 24, 24, 5) == 5  # never more than Amazon's 5

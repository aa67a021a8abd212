"""Realised accuracy: a stored forecast scored against the actuals that later arrived for its dates.

Pure functions on pandas frames; the metric definitions are :mod:`forecasthub.metrics`' (the
same as GetAccuracyMetrics):

* ``forecast``: ``item_id`` (series key), ``timestamp`` and the forecast's ``mean`` / ``p..``
  columns (a forecast without ``mean`` is scored on ``p50`` for WAPE, RMSE, MAPE and MASE; without
  either those are left out);
* ``actuals``: ``item_id``, ``timestamp``, ``target`` on the forecast frequency, missing values
  as NaN (not scored).

The evaluation window is the forecast's dates up to the last actual timestamp; its points are the
(series, date) pairs with an actual value. MASE divides each series' mean absolute error by the
in-sample seasonal naive error of that series' actuals *before* the window (season length of the
forecast frequency).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.metrics import MAPE, MASE, RMSE, WAPE, WQL, mase_scale, score, wql_column

# MetricResults names, in the order ListMonitorEvaluations reports them
METRIC_NAMES = (WQL, MAPE, MASE, RMSE, WAPE)
POINT_METRICS = (WAPE, RMSE, MAPE, MASE)
MEDIAN = quantile_column(0.5)


@dataclass(frozen=True)
class Realised:
    """The outcome of one evaluation: window, overall metrics and metrics per series."""

    window_start: pd.Timestamp
    window_end: pd.Timestamp
    overall: dict[str, float]  # AverageWeightedQuantileLoss, WAPE, RMSE, MAPE, MASE, wQL[q] (NaN: undefined)
    per_series: pd.DataFrame  # item_id + the same metrics + PointCount
    items: int
    points: int


def covered_window(dates: Sequence[Any] | pd.Series, actuals_end: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(first, last) forecast date on or before ``actuals_end``; None when none is covered yet."""
    stamps = pd.to_datetime(pd.Series(dates)).dropna()
    if actuals_end is None or pd.isna(actuals_end):
        return None
    stamps = stamps[stamps <= pd.Timestamp(actuals_end)]
    if stamps.empty:
        return None
    return stamps.min(), stamps.max()


def covered_points(forecast: pd.DataFrame, actuals: pd.DataFrame, window: tuple[Any, Any]) -> pd.DataFrame:
    """The forecast's rows inside ``window`` joined with their actual ``target``; rows without an
    actual value are dropped."""
    start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    fc = forecast[(forecast[TIMESTAMP] >= start) & (forecast[TIMESTAMP] <= end)]
    act = actuals[[ITEM_ID, TIMESTAMP, TARGET]]
    act = act[(act[TIMESTAMP] >= start) & (act[TIMESTAMP] <= end)]
    fc = fc.assign(**{ITEM_ID: fc[ITEM_ID].astype(str), TIMESTAMP: _ns(fc[TIMESTAMP])})
    act = act.assign(**{ITEM_ID: act[ITEM_ID].astype(str), TIMESTAMP: _ns(act[TIMESTAMP])})
    joined = fc.merge(act, on=[ITEM_ID, TIMESTAMP], how="inner")
    return joined[joined[TARGET].notna()].reset_index(drop=True)


def _ns(stamps: pd.Series) -> pd.Series:
    return pd.to_datetime(stamps).astype("datetime64[ns]")


def realised_accuracy(forecast: pd.DataFrame, actuals: pd.DataFrame, quantiles: Sequence[float],
                      season_length: int, window: tuple[Any, Any] | None = None) -> Realised | None:
    """Score ``forecast`` on the actuals covering its dates; None when no point has an actual.

    ``window`` defaults to :func:`covered_window` of the forecast dates and the last actual.
    """
    if window is None:
        window = covered_window(forecast[TIMESTAMP], actuals[TIMESTAMP].max() if len(actuals) else None)
        if window is None:
            return None
    points = covered_points(forecast, actuals, window)
    if points.empty:
        return None
    start = pd.Timestamp(window[0])
    history = actuals[(actuals[TIMESTAMP] < start) & actuals[TARGET].notna()]
    history = history[history[ITEM_ID].astype(str).isin(set(points[ITEM_ID]))]
    scale = mase_scale(history.assign(**{ITEM_ID: history[ITEM_ID].astype(str)}), season_length) \
        if len(history) else pd.Series(dtype=float)
    frame, no_point = _with_point_forecast(points)
    quantiles = [q for q in quantiles if quantile_column(q) in frame.columns]
    overall_frame = score(frame, quantiles, scale=scale)
    per_series = score(frame, quantiles, scale=scale, by=[ITEM_ID])
    if no_point:
        for column in POINT_METRICS:
            overall_frame[column] = np.nan
            per_series[column] = np.nan
    overall = {k: float(v) for k, v in overall_frame.iloc[0].items()}
    return Realised(window_start=start, window_end=pd.Timestamp(window[1]), overall=overall,
                    per_series=per_series, items=int(points[ITEM_ID].nunique()), points=len(points))


def _with_point_forecast(points: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """``points`` with a ``mean`` column: the mean, else the median; (frame, True) when neither."""
    if MEAN in points.columns:
        return points, False
    if MEDIAN in points.columns:
        return points.assign(**{MEAN: points[MEDIAN]}), False
    return points.assign(**{MEAN: 0.0}), True


def metric_results(overall: dict[str, float]) -> list[dict[str, Any]]:
    """ListMonitorEvaluations' MetricResults: the five metrics that are defined (finite)."""
    return [{"MetricName": name, "MetricValue": float(overall[name])} for name in METRIC_NAMES
            if overall.get(name) is not None and math.isfinite(overall[name])]


def item_accuracy_frame(per_series: pd.DataFrame, quantiles: Sequence[float]) -> pd.DataFrame:
    """Per-series metrics with the SQL table's column names (``average_wql``, ``wape``, ``rmse``,
    ``mase``, ``mape``, ``wql_p10`` ..., ``points``), keyed by ``item_id`` (the series key)."""
    names = {WQL: "average_wql", WAPE: "wape", RMSE: "rmse", MASE: "mase", MAPE: "mape",
             "PointCount": "points"}
    names.update({wql_column(q): f"wql_{quantile_column(q)}" for q in quantiles})
    keep = [ITEM_ID, *[c for c in per_series.columns if c in names]]
    out = per_series[keep].rename(columns=names)
    out["points"] = out["points"].astype("int64")
    return out

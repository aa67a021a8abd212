"""Accuracy metrics with Amazon Forecast's definitions, as pure functions on a long frame.

The evaluated frame holds ``item_id``, ``target`` (the actual), ``mean`` and quantile columns
(``p10``, ``p50`` ...). Sums run over every (item, time) point of the frame, or of each group when
``by`` is given (e.g. a backtest window):

* ``wQL[tau] = 2 * sum(pinball_tau) / sum(|y|)``; ``AverageWeightedQuantileLoss`` = their mean;
* ``WAPE = sum(|y - mean|) / sum(|y|)``; ``RMSE = sqrt(mean((y - mean)^2))``;
* ``MAPE = mean(|(y - mean) / y|)`` over points with ``y != 0``;
* ``MASE`` = mean over series of ``mean(|y - mean|) / scale``, with ``scale`` the in-sample MAE of
  the seasonal naive forecast (season ``m``; see :func:`mase_scale`);
* ``sMAPE = mean(2|y - mean| / (|y| + |mean|))`` per series, averaged over series (benchmarks).

Undefined values (zero denominators) are NaN, never inf.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError

WQL = "AverageWeightedQuantileLoss"
WAPE = "WAPE"
RMSE = "RMSE"
MAPE = "MAPE"
MASE = "MASE"
SMAPE = "sMAPE"


@dataclass(frozen=True)
class MetricInfo:
    """Properties of one metric, as AutoML and the API need them."""

    name: str
    greater_is_better: bool
    needs_quantiles: bool


METRICS: dict[str, MetricInfo] = {
    WQL: MetricInfo(WQL, greater_is_better=False, needs_quantiles=True),
    WAPE: MetricInfo(WAPE, greater_is_better=False, needs_quantiles=False),
    RMSE: MetricInfo(RMSE, greater_is_better=False, needs_quantiles=False),
    MAPE: MetricInfo(MAPE, greater_is_better=False, needs_quantiles=False),
    MASE: MetricInfo(MASE, greater_is_better=False, needs_quantiles=False),
}


def wql_column(q: float) -> str:
    """Result column of the weighted quantile loss at ``q``: ``wQL[0.1]``."""
    return f"wQL[{q:g}]"


def pinball(y: np.ndarray, pred: np.ndarray, q: float) -> np.ndarray:
    """Elementwise pinball (quantile) loss ``q*max(y-p,0) + (1-q)*max(p-y,0)``."""
    diff = np.asarray(y, dtype=float) - np.asarray(pred, dtype=float)
    return np.maximum(q * diff, (q - 1.0) * diff)


def check_metric(name: str) -> MetricInfo:
    """The metric's properties; InvalidInputError listing the valid names when unknown."""
    try:
        return METRICS[name]
    except KeyError:
        raise InvalidInputError(
            f"Unknown metric {name!r}; valid metrics: {', '.join(METRICS)}"
        ) from None


def mase_scale(train: pd.DataFrame, season_length: int) -> pd.Series:
    """In-sample MAE of the seasonal naive forecast per item (MASE denominator).

    Series no longer than ``season_length`` use the naive forecast (m = 1); a series with one
    point, or a constant one, gets NaN so its MASE is left out rather than infinite.
    """
    _require(train, [ITEM_ID, TARGET])
    frame = train.sort_values([ITEM_ID, TIMESTAMP]) if TIMESTAMP in train else train
    grouped = frame.groupby(ITEM_ID, sort=False, observed=True)[TARGET]
    seasonal = (frame[TARGET] - grouped.shift(season_length)).abs()
    naive = (frame[TARGET] - grouped.shift(1)).abs()
    keys = frame[ITEM_ID]
    by_m = seasonal.groupby(keys, sort=False, observed=True).mean()
    by_1 = naive.groupby(keys, sort=False, observed=True).mean()
    scale = by_m.fillna(by_1)
    return scale.where(scale > 0).rename("scale")


def _require(df: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InvalidInputError(f"Evaluation frame lacks column(s) {missing}")


def _safe_div(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den != 0)).astype(float)


def score(
    df: pd.DataFrame,
    quantiles: Sequence[float],
    scale: pd.Series | str | None = None,
    by: Sequence[str] = (),
    smape: bool = False,
) -> pd.DataFrame:
    """Every metric over ``df``, one row per group of ``by`` (one row overall when empty).

    Args:
        df: evaluated points with ``item_id``, ``target``, ``mean`` and ``p..`` columns.
        quantiles: the quantile forecast types to score (their columns must exist).
        scale: MASE scale per item (index ``item_id``), from :func:`mase_scale`, or the name of
            a column of ``df`` holding it (e.g. a scale per backtest window); MASE is NaN
            without it.
        by: grouping columns, e.g. ``["window"]`` or ``["window", "item_id"]`` for per-series.
        smape: also compute sMAPE.

    Returns:
        ``by`` columns + ``wQL[q]`` per quantile, ``AverageWeightedQuantileLoss``, ``WAPE``,
        ``RMSE``, ``MAPE``, ``MASE`` (+ ``sMAPE``) + ``ItemCount`` and ``PointCount``.
    """
    qcols = [quantile_column(q) for q in quantiles]
    _require(df, [ITEM_ID, TARGET, MEAN, *qcols])
    y = df[TARGET].to_numpy(dtype=float)
    err = y - df[MEAN].to_numpy(dtype=float)
    nonzero = y != 0
    parts = pd.DataFrame(
        {
            "abs_y": np.abs(y),
            "abs_err": np.abs(err),
            "sq_err": err**2,
            "ape": np.where(nonzero, np.abs(err) / np.where(nonzero, np.abs(y), 1.0), 0.0),
            "ape_n": nonzero.astype(float),
            "n": 1.0,
        },
        index=df.index,
    )
    for q, col in zip(quantiles, qcols, strict=True):
        parts[col] = 2.0 * pinball(y, df[col].to_numpy(dtype=float), q)
    if smape:
        den = np.abs(y) + np.abs(df[MEAN].to_numpy(dtype=float))
        parts["smape"] = np.where(den > 0, 2.0 * np.abs(err) / np.where(den > 0, den, 1.0), 0.0)
    keys = [df[c] for c in by]
    sums = parts.groupby(keys, sort=True, observed=True).sum() if keys else parts.sum().to_frame().T

    out = pd.DataFrame(index=sums.index)
    for q, col in zip(quantiles, qcols, strict=True):
        out[wql_column(q)] = _safe_div(sums[col], sums["abs_y"])
    out[WQL] = out[[wql_column(q) for q in quantiles]].mean(axis=1) if qcols else np.nan
    out[WAPE] = _safe_div(sums["abs_err"], sums["abs_y"])
    out[RMSE] = np.sqrt(sums["sq_err"] / sums["n"])
    out[MAPE] = _safe_div(sums["ape"], sums["ape_n"])

    if isinstance(scale, str):
        _require(df, [scale])
        parts["scale"] = df[scale].to_numpy(dtype=float)
    per_item = _per_item(df, parts, by, scale, smape)
    item_groups = per_item.groupby(list(by), sort=True, observed=True) if by else None
    out[MASE] = _per_item_mean(per_item, item_groups, "mase", out.index)
    if smape:
        out[SMAPE] = _per_item_mean(per_item, item_groups, "smape", out.index)
    out["ItemCount"] = (
        item_groups.size().reindex(out.index).to_numpy() if item_groups else len(per_item)
    )
    out["PointCount"] = sums["n"].astype(int).to_numpy()
    return out.reset_index(drop=not by)


def _per_item(
    df: pd.DataFrame,
    parts: pd.DataFrame,
    by: Sequence[str],
    scale: pd.Series | str | None,
    smape: bool,
) -> pd.DataFrame:
    """Per (group, item) mean absolute error, MASE and sMAPE."""
    cols = ["abs_err", "n", *(["smape"] if smape else []), *(["scale"] if "scale" in parts else [])]
    keys = [df[c] for c in by if c != ITEM_ID] + [df[ITEM_ID]]
    agg = {c: ("mean" if c == "scale" else "sum") for c in cols}
    per = parts[cols].groupby(keys, sort=True, observed=True).agg(agg).reset_index()
    mae = per["abs_err"] / per["n"]
    if isinstance(scale, str):
        per["mase"] = mae / per["scale"].where(per["scale"] > 0)
    elif scale is not None:
        per["mase"] = mae / per[ITEM_ID].map(scale).to_numpy(dtype=float)
    else:
        per["mase"] = np.nan
    if smape:
        per["smape"] = per["smape"] / per["n"]
    return per


def _per_item_mean(
    per_item: pd.DataFrame, groups: object, column: str, index: pd.Index
) -> np.ndarray:
    if groups is None:
        return np.array([per_item[column].mean()])
    return groups[column].mean().reindex(index).to_numpy()  # type: ignore[attr-defined]


def score_overall(
    df: pd.DataFrame, quantiles: Sequence[float], scale: pd.Series | str | None = None
) -> dict[str, float]:
    """Every metric over the whole frame as a plain dict (one number each)."""
    row = score(df, quantiles, scale=scale).iloc[0]
    return {k: float(v) for k, v in row.items()}


def score_per_series(
    df: pd.DataFrame,
    quantiles: Sequence[float],
    scale: pd.Series | str | None = None,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Every metric per item (and per group of ``by``, e.g. window)."""
    return score(df, quantiles, scale=scale, by=[*by, ITEM_ID])

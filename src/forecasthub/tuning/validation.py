"""The validation window a trial is scored on, and one trial's fit -> predict -> metrics.

Validation window: the last ``ForecastHorizon`` points of each series (with
``BacktestWindowOffset = k``: the ``ForecastHorizon`` points ending ``k - ForecastHorizon``
points before each series' end); the model trains on the points before it. Metrics are those of
:mod:`forecasthub.metrics` (Amazon Forecast's definitions) over every validation point, with the
MASE scale taken from each series' training part. A trial fits the algorithm itself, with no
per-series fallback: a configuration that cannot forecast fails its trial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError, ModelError


@dataclass
class ValidationData:
    train: pd.DataFrame
    actual: pd.DataFrame  # item_id, timestamp, target (the validation window)
    related: pd.DataFrame | None
    static: pd.DataFrame | None
    ctx: Any  # ModelContext
    scale: pd.Series  # MASE scale per item, from the training part
    series: int
    dropped: int  # series too short for a validation window

    @property
    def items(self) -> list[str]:
        return sorted(self.actual[ITEM_ID].astype(str).unique())


def split_validation(target: pd.DataFrame, horizon: int, offset: int | None = None,
                     min_train: int = 2) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(train, validation, series dropped): per series, validation = ``horizon`` points ending
    ``offset - horizon`` points before its end; series with fewer than ``min_train`` training
    points are left out of both."""
    offset = horizon if offset is None else offset
    if offset < horizon:
        raise InvalidInputError(f"BacktestWindowOffset ({offset}) must be at least the "
                                f"ForecastHorizon ({horizon})")
    frame = target.sort_values([ITEM_ID, TIMESTAMP]).reset_index(drop=True)
    frame[ITEM_ID] = frame[ITEM_ID].astype(str)
    back = frame.groupby(ITEM_ID, sort=False).cumcount(ascending=False)  # 0 = last point
    size = frame.groupby(ITEM_ID, sort=False)[TIMESTAMP].transform("size")
    keep = size - offset >= min_train
    train = frame[keep & (back >= offset)]
    valid = frame[keep & (back < offset) & (back >= offset - horizon)]
    valid = valid[valid[TARGET].notna()]
    dropped = int(frame.loc[~keep, ITEM_ID].nunique())
    if valid.empty:
        raise InvalidInputError(
            f"no series is long enough for a validation window of {horizon} points (offset "
            f"{offset}) with at least {min_train} training points before it")
    return train.reset_index(drop=True), valid.reset_index(drop=True), dropped


def prepare(panel: Any, ctx: Any, offset: int | None) -> ValidationData:
    from forecasthub.metrics import mase_scale

    train, valid, dropped = split_validation(panel.target, ctx.horizon, offset)
    static = panel.static
    if static is not None:
        static = static[static[ITEM_ID].astype(str).isin(set(train[ITEM_ID]))]
    return ValidationData(train=train, actual=valid[[ITEM_ID, TIMESTAMP, TARGET]],
                          related=panel.related, static=static, ctx=ctx,
                          scale=mase_scale(train, ctx.season_length),
                          series=int(train[ITEM_ID].nunique()), dropped=dropped)


def evaluate(model: Any, data: ValidationData) -> dict[str, float | None]:
    """Fit ``model`` on the training part, forecast the window, every metric (None = undefined).

    Raises ModelError when the forecast misses validation points or holds NaN."""
    from forecasthub.metrics import score

    model.fit(data.train, data.ctx, related=data.related, static=data.static)
    fcst = model.predict(data.related, items=data.items)
    fcst = fcst.assign(**{ITEM_ID: fcst[ITEM_ID].astype(str)})
    joined = data.actual.merge(fcst, on=[ITEM_ID, TIMESTAMP], how="left")
    columns = [MEAN, *(quantile_column(q) for q in data.ctx.quantiles)]
    missing = joined[columns].isna().any(axis=1)
    if missing.any():
        bad = joined.loc[missing, ITEM_ID].nunique()
        raise ModelError(f"the forecast has no value (or NaN) for {int(missing.sum())} validation "
                         f"point(s) of {bad} series")
    row = score(joined, data.ctx.quantiles, scale=data.scale).iloc[0]
    out: dict[str, float | None] = {}
    for key, value in row.items():
        number = float(value)
        out[str(key)] = number if math.isfinite(number) else None
    out["ItemCount"] = int(row["ItemCount"]) if "ItemCount" in row else None
    out["PointCount"] = int(row["PointCount"]) if "PointCount" in row else len(joined)
    return out


def finite(value: Any) -> bool:
    return value is not None and isinstance(value, int | float) and bool(np.isfinite(value))

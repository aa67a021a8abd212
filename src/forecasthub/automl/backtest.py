"""Run every candidate on every backtest window and collect its forecasts next to the actuals.

Candidates run one after another over all windows, cheapest first, so a time budget cuts whole
candidates (a candidate missing a window cannot be ensembled). Failures of single series fall
back (:mod:`fallback`); a candidate that fails outright is skipped with its reason.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from forecasthub.automl.candidates import DataProfile, estimated_cost
from forecasthub.automl.fallback import FallbackForecaster, FallbackRecord
from forecasthub.automl.windows import BacktestWindow, split
from forecasthub.columns import ITEM_ID, TARGET, TIMESTAMP
from forecasthub.errors import ForecastHubError
from forecasthub.metrics import mase_scale
from forecasthub.models.base import Forecaster, ModelContext

WINDOW, WINDOW_START, WINDOW_END, MODEL, SCALE = (
    "window", "window_start", "window_end", "model", "mase_scale")


@dataclass
class BacktestRun:
    """Forecasts of every completed candidate on every window, with fallbacks and timings."""

    forecasts: pd.DataFrame  # item_id, timestamp, target, window, window_start/end, model, ...
    seconds: dict[str, float] = field(default_factory=dict)  # candidate -> total backtest time
    fallbacks: list[FallbackRecord] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # candidate -> reason


def run_backtests(
    candidates: dict[str, Forecaster],
    train: pd.DataFrame,
    ctx: ModelContext,
    windows: list[BacktestWindow],
    related: pd.DataFrame | None = None,
    static: pd.DataFrame | None = None,
    deadline: float | None = None,
    on_step: Callable[[int, str, int], None] | None = None,
) -> BacktestRun:
    """Backtest each candidate; ``deadline`` (time.monotonic()) skips those that won't fit.

    ``on_step(candidates_done, name, window_index)`` is called after each window of each
    candidate (for progress reporting).
    """
    profile = DataProfile.of(train)
    order = sorted(candidates, key=lambda k: estimated_cost(candidates[k], profile, ctx))
    splits = [(w, *split(train, w)) for w in windows]
    scales = {w.index: mase_scale(tr, ctx.season_length) for w, tr, _ in splits}
    run = BacktestRun(forecasts=pd.DataFrame())
    parts: list[pd.DataFrame] = []
    speed = 1.0  # measured / estimated seconds of the last costly candidate

    for done, name in enumerate(order):
        model = candidates[name]

        def step(window: int, done: int = done, name: str = name) -> None:
            if on_step is not None:
                on_step(done + (window + 1 == len(splits)), name, window)

        # backtests + the refit, scaled by how fast earlier candidates actually ran
        estimate = estimated_cost(model, profile, ctx) * (len(windows) + 1)
        if deadline is not None and parts and time.monotonic() + estimate * speed > deadline:
            run.skipped[name] = f"time budget: estimated {estimate * speed:.0f}s left no room"
            step(len(splits) - 1)
            continue
        started = time.monotonic()
        try:
            parts.extend(_backtest_one(name, model, splits, scales, ctx, related, static,
                                       run.fallbacks, step))
        except ForecastHubError as e:
            run.skipped[name] = f"failed: {e}"
            step(len(splits) - 1)
            continue
        run.seconds[name] = time.monotonic() - started
        if estimate >= 1.0:  # cheap models are dominated by fixed overheads: don't learn from them
            measured = run.seconds[name] * (len(windows) + 1) / max(len(windows), 1)
            speed = measured / estimate
    run.forecasts = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return run


def _backtest_one(
    name: str,
    model: Forecaster,
    splits: list[tuple[BacktestWindow, pd.DataFrame, pd.DataFrame]],
    scales: dict[int, pd.Series],
    ctx: ModelContext,
    related: pd.DataFrame | None,
    static: pd.DataFrame | None,
    records: list[FallbackRecord],
    step: Callable[[int], None],
) -> list[pd.DataFrame]:
    out = []
    for window, tr, te in splits:
        if tr.empty or te.empty:
            step(window.index)
            continue
        wrapped = FallbackForecaster(copy.deepcopy(model), stage=f"backtest window {window.index}")
        wrapped.fit(tr, ctx, related=related, static=static)
        items = list(te[ITEM_ID].astype(str).unique())
        known = set(tr[ITEM_ID].astype(str).unique())
        fcst = wrapped.predict(related, items=[i for i in items if i in known])
        records.extend(wrapped.records)
        out.append(attach_actuals(fcst, te, window, name, scales[window.index]))
        step(window.index)
    return out


def attach_actuals(
    fcst: pd.DataFrame,
    test: pd.DataFrame,
    window: BacktestWindow,
    model: str,
    scale: pd.Series,
) -> pd.DataFrame:
    """Forecast rows inside the window joined with the actuals (missing actuals dropped)."""
    actual = test[[ITEM_ID, TIMESTAMP, TARGET]].assign(**{ITEM_ID: test[ITEM_ID].astype(str)})
    joined = fcst.merge(actual, on=[ITEM_ID, TIMESTAMP], how="inner")
    joined = joined[joined[TARGET].notna()]
    joined.insert(2, TARGET, joined.pop(TARGET))
    joined[WINDOW] = window.index
    joined[WINDOW_START] = window.start
    joined[WINDOW_END] = window.end
    joined[MODEL] = model
    joined[SCALE] = joined[ITEM_ID].map(scale).to_numpy(dtype=float)
    return joined

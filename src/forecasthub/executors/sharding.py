"""Sharded fits of local models: series split by ``item_id``, each shard fitted on the executor.

Local statsforecast models forecast every series on its own, so fitting shards separately and
concatenating gives exactly the forecasts of one whole fit (same series, same code, same
library versions). The hook sits in :class:`~forecasthub.automl.fallback.FallbackForecaster`
(``fit`` of the primary model, after short and all-zero series were routed to fallbacks), so
AutoML backtests, the ensemble refit and single-algorithm predictors all use it.

Not sharded:

* global models (LightGBM, DeepAR): one model across all series; splitting would change it.
  Their fit stays whole and in-process (LightGBM uses its own threads).
* NPTS: it samples from one RNG seeded once for the whole panel, so a shard's samples would
  depend on the shard boundaries.
* the vectorised baselines (SeasonalNaive, Naive, Mean: ``cost_per_series`` below
  :data:`MIN_COST_PER_SERIES`): numpy over the whole panel is faster than shipping shards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasthub.columns import ITEM_ID
from forecasthub.executors.base import Executor, get_executor, split_items
from forecasthub.models.base import Forecaster, ModelContext

if TYPE_CHECKING:
    from forecasthub.automl.fallback import FallbackForecaster, FallbackRecord

MIN_COST_PER_SERIES = 0.001  # seconds; cheaper models are not worth a shard round trip


def shardable(model: Forecaster) -> bool:
    """Whether fitting ``model`` on shards of series gives the same forecasts as one fit."""
    from forecasthub.models.statistical import StatsForecastModel

    explicit = getattr(model, "shard_invariant", None)
    if explicit is not None:
        return bool(explicit)
    if model.is_global or not isinstance(model, StatsForecastModel):
        return False
    return type(model).cost_per_series >= MIN_COST_PER_SERIES


def shard_count(n_items: int, executor: Executor, settings: Any) -> int:
    """Shards for ``n_items`` series: ``executor_shards`` (0 = the executor's workers), at
    least ``executor_min_shard_series`` series each."""
    wanted = settings.executor_shards or executor.n_workers
    return max(1, min(wanted, n_items // settings.executor_min_shard_series))


def fit_primary_sharded(
    fallback: FallbackForecaster,
    train: pd.DataFrame,
    ctx: ModelContext,
    related: pd.DataFrame | None,
    items: pd.Index,
    settings: Any = None,
) -> bool:
    """Fit ``fallback.primary`` on ``items`` in shards on the configured executor, adding the
    fitted parts and fallback records to ``fallback``. False (nothing done) when the model is
    not shardable or the executor would get a single shard: the caller fits in-process."""
    if not shardable(fallback.primary):
        return False
    if settings is None:
        from forecasthub.settings import get_settings

        settings = get_settings()
    if (settings.executor or "local").strip().lower() == "local" and \
            settings.executor_workers <= 1 and settings.executor_shards <= 1:
        return False  # default: in-process, exactly the old path (no executor created)
    executor = get_executor(settings)
    k = shard_count(len(items), executor, settings)
    if k < 2:
        return False
    tasks = []
    for chunk in split_items(items, k):
        sub = train[train[ITEM_ID].isin(chunk)]
        rel = None if related is None else related[related[ITEM_ID].astype(str).isin(chunk)]
        tasks.append((fallback.primary, fallback.stage, sub, ctx, rel, chunk))
    shard_records: list[FallbackRecord] = []
    for parts, records in executor.map(fit_shard, tasks):
        fallback._parts.extend(parts)
        shard_records.extend(records)
    fallback.records.extend(_merge_records(shard_records))
    return True


def fit_shard(
    task: tuple[Forecaster, str, pd.DataFrame, ModelContext, pd.DataFrame | None, pd.Index],
) -> tuple[list[tuple[Forecaster, pd.Index]], list[FallbackRecord]]:
    """Worker side: the fallback-protected fit of one shard (runs in any process / node)."""
    from forecasthub.automl.fallback import FallbackForecaster

    primary, stage, train, ctx, related, items = task
    part = FallbackForecaster(primary, stage=stage)
    part.ctx = ctx
    part._fit_primary(train, ctx, related, None, items)
    return part._parts, part.records


def _merge_records(records: list[FallbackRecord]) -> list[FallbackRecord]:
    """One record per (model, fallback, reason, stage), items in shard order (as one whole
    fit reports them)."""
    from dataclasses import replace

    merged: dict[tuple[str, str, str, str], FallbackRecord] = {}
    for r in records:
        key = (r.model, r.fallback, r.reason, r.stage)
        merged[key] = replace(merged[key], items=merged[key].items + r.items) \
            if key in merged else r
    return list(merged.values())

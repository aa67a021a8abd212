"""Per-series fallback: a model that cannot forecast some series hands them to a simpler one,
and every hand-over is recorded (which series, which model, why) instead of failing the run.

Routing, before fitting: series shorter than the model needs, all-zero (or all-missing)
series. After fitting: series whose forecast has NaN. A local model that raises is retried on
halves of its series until the failing ones are isolated; a global model that raises hands all
its series over. Fallback chain: SeasonalNaive (history >= one season), else Naive, else Mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, quantile_column
from forecasthub.errors import ModelError
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.baseline import Mean, Naive, SeasonalNaive


@dataclass(frozen=True)
class FallbackRecord:
    """Series that ``model`` could not forecast, forecast by ``fallback`` instead."""

    model: str
    fallback: str
    items: tuple[str, ...]
    reason: str
    stage: str = ""  # e.g. "backtest window 0", "final fit"

    def to_dict(self) -> dict[str, object]:
        return {"model": self.model, "fallback": self.fallback, "items": list(self.items),
                "item_count": len(self.items), "reason": self.reason, "stage": self.stage}


def _subset(frame: pd.DataFrame | None, items: pd.Index) -> pd.DataFrame | None:
    if frame is None:
        return None
    return frame[frame[ITEM_ID].astype(str).isin(items)]


class FallbackForecaster(Forecaster):
    """Wraps ``primary``; series it cannot handle go to the fallback chain."""

    name = "Fallback"

    def __init__(self, primary: Forecaster, stage: str = "") -> None:
        self.primary = primary
        self.stage = stage
        self.records: list[FallbackRecord] = []
        self._parts: list[tuple[Forecaster, pd.Index]] = []
        self._cold: pd.Index = pd.Index([])
        self.ctx: ModelContext | None = None

    @property
    def model_name(self) -> str:
        return self.primary.name

    @property
    def is_global_model(self) -> bool:
        return self.primary.is_global

    def can_forecast(self, items: pd.Index) -> pd.Index:
        """The subset of ``items`` this fitted model can forecast (history or cold start)."""
        known = self._cold
        for _, part in self._parts:
            known = known.union(part)
        if self.primary.is_global and any(type(m) is type(self.primary) for m, _ in self._parts):
            return items  # a global model forecasts new items from their metadata
        return items.intersection(known)

    # ---- fit -----------------------------------------------------------------------------
    def fit(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None = None,
        static: pd.DataFrame | None = None,
    ) -> FallbackForecaster:
        self.ctx, self.records, self._parts = ctx, [], []
        train = train.assign(**{ITEM_ID: train[ITEM_ID].astype(str)})
        stats = pd.DataFrame({
            "n": train.groupby(ITEM_ID, sort=True, observed=True)[TARGET].count(),
            "nonzero": train[TARGET].fillna(0).ne(0).groupby(train[ITEM_ID], sort=True,
                                                              observed=True).any(),
        })
        need = self.primary.required_length(ctx)
        short = stats.index[stats["n"] < need]
        zero = stats.index[(stats["n"] >= need) & ~stats["nonzero"]]
        if isinstance(self.primary, (SeasonalNaive, Naive, Mean)):
            zero = pd.Index([])  # baselines forecast zeros for all-zero series themselves
        ok = stats.index.difference(short).difference(zero)
        self._cold = pd.Index([])
        if self.primary.is_global and static is not None and len(ok):
            self._cold = pd.Index(static[ITEM_ID].astype(str).unique()).difference(stats.index)
        self._hand_over(train, ctx, short, f"fewer than {need} observations")
        self._hand_over(train, ctx, zero, "all-zero or all-missing series")
        if len(ok):
            # issue #7 executor hook: a local model may fit shards of series on the executor
            from forecasthub.executors.sharding import fit_primary_sharded

            if not fit_primary_sharded(self, train, ctx, related, ok):
                self._fit_primary(train, ctx, related, static, ok)
        return self

    def _fit_primary(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None,
        static: pd.DataFrame | None,
        items: pd.Index,
    ) -> None:
        sub = train[train[ITEM_ID].isin(items)]
        model = _fresh(self.primary)
        rel = related if self.primary.is_global else _subset(related, items)
        try:
            model.fit(sub, ctx, related=rel, static=static)
            forecast = model.predict(rel, items=list(items))
        except (ModelError, ValueError, ArithmeticError, np.linalg.LinAlgError) as e:
            if self.primary.is_global or len(items) == 1:
                self._hand_over(train, ctx, items, f"{type(e).__name__}: {e}")
                return
            half = len(items) // 2
            self._fit_primary(train, ctx, related, static, items[:half])
            self._fit_primary(train, ctx, related, static, items[half:])
            return
        cols = [MEAN, *(quantile_column(q) for q in ctx.quantiles)]
        bad_rows = ~np.isfinite(forecast[cols].to_numpy(dtype=float)).all(axis=1)
        bad = pd.Index(forecast.loc[bad_rows, ITEM_ID].unique())
        self._parts.append((model, items.difference(bad)))
        self._hand_over(train, ctx, bad, "forecast contained NaN or infinite values")

    def _hand_over(
        self, train: pd.DataFrame, ctx: ModelContext, items: pd.Index, reason: str
    ) -> None:
        """Fit the fallback chain on ``items``, grouped by the model each can use."""
        if not len(items):
            return
        n = train[train[ITEM_ID].isin(items)].groupby(ITEM_ID)[TARGET].count()
        n = n.reindex(items).fillna(0)
        seasonal = n.index[(n >= max(ctx.season_length, 2)) & (ctx.season_length > 1)]
        naive = n.index[n >= 1].difference(seasonal)
        empty = n.index[n < 1]
        for cls, group in ((SeasonalNaive, seasonal), (Naive, naive), (Mean, empty)):
            if len(group):
                self._fit_fallback(train, ctx, cls, group, reason)

    def _fit_fallback(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        cls: type[Forecaster],
        items: pd.Index,
        reason: str,
    ) -> None:
        sub = train[train[ITEM_ID].isin(items)]
        if sub[TARGET].notna().sum() == 0:  # nothing observed: forecast zeros
            sub = _zeros(items, train, ctx)
        model = cls()
        try:
            model.fit(sub, ctx)
        except ModelError as e:
            if cls is Mean:
                raise ModelError(
                    f"{self.model_name}: even the Mean fallback failed for "
                    f"{len(items)} series: {e}"
                ) from e
            self._fit_fallback(train, ctx, Mean, items, f"{reason}; {cls.name} failed: {e}")
            return
        self._parts.append((model, items))
        self.records.append(FallbackRecord(
            model=self.model_name, fallback=cls.name, items=tuple(items), reason=reason,
            stage=self.stage,
        ))

    # ---- predict -------------------------------------------------------------------------
    def predict(
        self,
        future_related: pd.DataFrame | None = None,
        items: list[str] | None = None,
    ) -> pd.DataFrame:
        if self.ctx is None:
            raise ModelError(f"{self.model_name} must be fitted before predict")
        wanted = None if items is None else pd.Index([str(i) for i in items])
        frames = []
        covered = pd.Index([])
        for model, part in self._parts:
            covered = covered.union(part)
            ask = part if wanted is None else part.intersection(wanted)
            if len(ask):
                frames.append(model.predict(future_related, items=list(ask)))
        extra = self._cold_items(wanted, covered)
        if len(extra):
            frames.append(self._primary_part().predict(future_related, items=list(extra)))
        if not frames:
            raise ModelError(f"{self.model_name}: none of the requested items can be forecast")
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values([ITEM_ID, "timestamp"], kind="stable").reset_index(drop=True)

    def _primary_part(self) -> Forecaster:
        for model, _ in self._parts:
            if type(model) is type(self.primary):
                return model
        raise ModelError(f"{self.model_name} has no fitted model for cold-start items")

    def _cold_items(self, wanted: pd.Index | None, covered: pd.Index) -> pd.Index:
        """Items the primary may forecast without history (global models only)."""
        if not self.primary.is_global:
            if wanted is not None and len(wanted.difference(covered)):
                missing = list(wanted.difference(covered)[:5])
                raise ModelError(f"{self.model_name} has no forecast for items {missing}")
            return pd.Index([])
        if wanted is None:
            return self._cold.difference(covered)
        return wanted.difference(covered)


def _fresh(model: Forecaster) -> Forecaster:
    """An unfitted copy of ``model`` with the same configuration."""
    import copy

    return copy.deepcopy(model)


def _zeros(items: pd.Index, train: pd.DataFrame, ctx: ModelContext) -> pd.DataFrame:
    """One zero observation per item at the data end (for series with no observation)."""
    end = train["timestamp"].max()
    return pd.DataFrame({ITEM_ID: items.astype(str), "timestamp": end, TARGET: 0.0})

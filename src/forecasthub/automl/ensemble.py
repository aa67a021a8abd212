"""WeightedEnsemble: a Forecaster that blends fitted members with fixed weights.

Weights are global (one per member) and optionally per series (items seen in the backtests);
series without their own weights (new items) use the global ones. Quantiles are averaged
quantile by quantile, which keeps them non-decreasing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasthub.automl.fallback import FallbackForecaster, FallbackRecord
from forecasthub.columns import ITEM_ID, MEAN, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.frames import finalize


class WeightedEnsemble(Forecaster):
    """Members (by candidate name) with weights; ``fit`` fits the members with weight > 0."""

    name = "Ensemble"

    def __init__(
        self,
        members: dict[str, Forecaster],
        weights: dict[str, float],
        series_weights: pd.DataFrame | None = None,
        stage: str = "final fit",
        keep: tuple[str, ...] = (),
        spread: dict[float, float] | None = None,
    ) -> None:
        """``series_weights``: index item_id, one column per member name (rows sum to 1);
        ``keep``: members fitted even with weight 0 (a global model for cold-start items);
        ``spread``: quantile -> factor on its distance to the mean (:mod:`spread`)."""
        unknown = set(weights).difference(members)
        if unknown:
            raise InvalidInputError(f"Weights for unknown ensemble members {sorted(unknown)}")
        kept = {k: float(w) for k, w in weights.items() if w > 0}
        if series_weights is not None:
            extra = [c for c in series_weights.columns if series_weights[c].gt(0).any()]
            kept.update({c: kept.get(c, 0.0) for c in extra})
        if not kept:
            raise InvalidInputError("An ensemble needs at least one member with weight > 0")
        kept.update({k: kept.get(k, 0.0) for k in keep if k in members})
        self.weights = kept
        self.members = {k: FallbackForecaster(members[k], stage) if not
                        isinstance(members[k], FallbackForecaster) else members[k]
                        for k in kept}
        self.series_weights = (None if series_weights is None
                               else series_weights.reindex(columns=list(kept), fill_value=0.0))
        self.spread = dict(spread or {})
        self.ctx: ModelContext | None = None

    @property
    def is_global_model(self) -> bool:
        return any(m.primary.is_global for m in self.members.values())

    @property
    def records(self) -> list[FallbackRecord]:
        """Fallback records of every member."""
        return [r for m in self.members.values() for r in m.records]

    def fit(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None = None,
        static: pd.DataFrame | None = None,
    ) -> WeightedEnsemble:
        for member in self.members.values():
            member.fit(train, ctx, related=related, static=static)
        self.ctx = ctx
        return self

    def fit_member(
        self,
        name: str,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None = None,
        static: pd.DataFrame | None = None,
    ) -> None:
        """Fit one member (lets the caller report progress between members)."""
        self.members[name].fit(train, ctx, related=related, static=static)
        self.ctx = ctx

    def predict(
        self,
        future_related: pd.DataFrame | None = None,
        items: list[str] | None = None,
    ) -> pd.DataFrame:
        if self.ctx is None:
            raise ModelError("Ensemble must be fitted before predict")
        cols = [MEAN, *(quantile_column(q) for q in self.ctx.quantiles)]
        frames = self._member_forecasts(future_related, items)
        keys = (pd.concat([f[[ITEM_ID, TIMESTAMP]] for f in frames.values()])
                .drop_duplicates().sort_values([ITEM_ID, TIMESTAMP]).reset_index(drop=True))
        total = np.zeros((len(keys), len(cols)))
        weight_sum = np.zeros(len(keys))
        for name, frame in frames.items():
            aligned = keys.merge(frame, on=[ITEM_ID, TIMESTAMP], how="left")
            values = aligned[cols].to_numpy(dtype=float)
            w = self._row_weights(name, keys[ITEM_ID])
            ok = np.isfinite(values).all(axis=1) & (w > 0)
            total[ok] += w[ok, None] * values[ok]
            weight_sum[ok] += w[ok]
        if (weight_sum <= 0).any():
            # e.g. a new item whose per-series weights sit on local members only: use any member
            for frame in frames.values():
                aligned = keys.merge(frame, on=[ITEM_ID, TIMESTAMP], how="left")
                values = aligned[cols].to_numpy(dtype=float)
                fill = (weight_sum <= 0) & np.isfinite(values).all(axis=1)
                total[fill] += values[fill]
                weight_sum[fill] += 1.0
        if (weight_sum <= 0).any():
            missing = keys.loc[weight_sum <= 0, ITEM_ID].unique()[:5].tolist()
            raise ModelError(f"No ensemble member can forecast items {missing}")
        out = keys.copy()
        out[cols] = total / weight_sum[:, None]
        for q, factor in self.spread.items():
            col = quantile_column(q)
            out[col] = out[MEAN] + factor * (out[col] - out[MEAN])
        return finalize(out, self.ctx.quantiles)

    def _member_forecasts(
        self, future_related: pd.DataFrame | None, items: list[str] | None
    ) -> dict[str, pd.DataFrame]:
        """Each member's forecast of the requested items it can forecast."""
        wanted = None if items is None else pd.Index([str(i) for i in items])
        frames = {}
        for name, member in self.members.items():
            ask = None if wanted is None else member.can_forecast(wanted)
            if ask is not None and not len(ask):
                continue
            frames[name] = member.predict(future_related,
                                          items=None if ask is None else list(ask))
        if not frames:
            raise ModelError(f"No ensemble member can forecast items {list(wanted or [])[:5]}")
        return frames

    def _row_weights(self, name: str, items: pd.Series) -> np.ndarray:
        glob = self.weights.get(name, 0.0)
        if self.series_weights is None:
            return np.full(len(items), glob)
        per = items.map(self.series_weights[name]).to_numpy(dtype=float)
        return np.where(np.isfinite(per), per, glob)

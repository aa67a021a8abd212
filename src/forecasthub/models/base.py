"""The one model interface every algorithm adapter implements.

Contract (DESIGN.md, data contracts):

* ``train``: pandas frame ``item_id`` (str, series key already combined with any forecast
  dimensions), ``timestamp`` (datetime64[ns], on the regular ``ctx.freq`` grid, no gaps inside a
  series), ``target`` (float64; NaN only where the user chose ``nan`` filling), sorted by
  (item_id, timestamp).
* ``related``: ``item_id``, ``timestamp`` + numeric covariate columns, covering every training
  timestamp and the ``ctx.horizon`` steps after each series' end (known-future covariates).
* ``static``: ``item_id`` + item metadata attributes (str = categorical, or numeric).
* ``predict`` returns the forecast frame: ``item_id``, ``timestamp``, ``mean`` and one column per
  quantile named by :func:`forecasthub.columns.quantile_column` (``p10``, ``p50``, ``p90``),
  ``ctx.horizon`` rows per series, quantile columns non-decreasing in q.

Public ``fit``/``predict`` are written once here; adapters implement ``_fit``/``_predict``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd


@dataclass(frozen=True)
class ModelContext:
    """What every model needs to know besides the data."""

    freq: str  # pandas offset alias of the forecast frequency: "h", "D", "W-SUN", "MS", "3D" ...
    season_length: int  # 24 for hourly, 7 daily, 52 weekly, 12 monthly, 1 yearly
    horizon: int
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    seed: int = 0
    holidays_country: str | None = None  # ISO code for the `holidays` package, e.g. "US"
    extra: dict[str, Any] = field(default_factory=dict)


class Forecaster(ABC):
    """Unfitted configuration + fitted state of one algorithm over many series."""

    name: ClassVar[str]  # registry key, e.g. "ETS", "ARIMA", "NPTS", "LightGBM"
    is_global: ClassVar[bool] = False  # one model across all series (can cold-start)
    supports_related: ClassVar[bool] = False  # uses known-future related covariates
    supports_static: ClassVar[bool] = False  # uses item metadata
    min_length: ClassVar[int] = 1  # shortest series it can fit; shorter ones fall back
    cost_per_series: ClassVar[float] = 0.001  # rough fit+predict seconds per series (AutoML)

    @abstractmethod
    def fit(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None = None,
        static: pd.DataFrame | None = None,
    ) -> Forecaster: ...

    @abstractmethod
    def predict(
        self,
        future_related: pd.DataFrame | None = None,
        items: list[str] | None = None,
    ) -> pd.DataFrame: ...

    def required_length(self, ctx: ModelContext) -> int:
        """Shortest series this configuration can fit under ``ctx`` (class minimum by default)."""
        return self.min_length

    def history_limit(self, ctx: ModelContext) -> int | None:
        """Most recent points per series this configuration fits on (None = all of them)."""
        return None

    def save(self, path: str | Path) -> None:
        """Write the fitted model (with its class and library versions) to ``path``."""
        from forecasthub.models.persist import save_model

        save_model(self, path)

    @staticmethod
    def load(path: str | Path) -> Forecaster:
        """Read a model written by :meth:`save`; it predicts exactly as before saving."""
        from forecasthub.models.persist import load_model

        return load_model(path)

"""Prophet (the `prophet` extra): one Prophet model per series, Amazon Forecast's legacy
``arn:aws:forecast:::algorithm/Prophet``.

* A local model (:class:`~forecasthub.models.local.LocalForecaster`): ``fit`` fits and forecasts
  every series once and keeps only the forecast, so ``predict`` returns that stored frame and
  saving/loading reproduces it exactly. Series are independent and each is seeded from
  ``ctx.seed`` and its item id, so fitting shards of series gives the same forecasts as one
  fit: the executor may shard it (``shard_invariant``); ``n_jobs`` > 1 also fits chunks of
  series in a spawned process pool.
* Holidays: with ``ctx.holidays_country`` the country's public holidays (Prophet's
  ``add_country_holidays``, from the ``holidays`` package) get their own effects. They match
  timestamps by calendar day, so they act on daily and sub-daily data.
* Related series: every related column becomes an extra regressor (``add_regressor``). The
  ``related`` frame given to ``fit`` must cover the ``horizon`` steps after each series' end
  (the model contract); those future values are used at fit time (``predict``'s
  ``future_related`` is not read, as for every local model).
* Quantiles and mean: from ``uncertainty_samples`` draws of Prophet's posterior predictive
  (``predictive_samples``: trend changes + observation noise), seeded per series: the mean of
  the draws and their empirical quantiles.
* cmdstanpy and prophet log at INFO for every fit; they are silenced to errors while fitting.

Hyperparameters: Prophet's own names (``growth``, ``changepoint_prior_scale``,
``seasonality_prior_scale``, ``holidays_prior_scale``, ``seasonality_mode``,
``yearly_seasonality``, ``weekly_seasonality``, ``daily_seasonality``,
``uncertainty_samples``) plus ``n_jobs`` and ``max_length`` (most recent points per series).
"""

from __future__ import annotations

import importlib.util
import itertools
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.models.base import ModelContext
from forecasthub.models.covariates import related_columns
from forecasthub.models.features import HolidayFlag
from forecasthub.models.local import LocalForecaster
from forecasthub.models.quiet import quiet_logs

PROPHET_EXTRA_HINT = "install the `prophet` extra: pip install 'forecasthub[prophet]'"
GROWTHS = ("linear", "flat")
SEASONALITY_MODES = ("additive", "multiplicative")
_NOISY_LOGGERS = ("cmdstanpy", "prophet", "prophet.plot")


def prophet_available() -> bool:
    """True when prophet and its Stan backend (cmdstanpy) are installed (a cheap look-up)."""
    return all(importlib.util.find_spec(m) is not None for m in ("prophet", "cmdstanpy"))


@contextmanager
def quiet_stan() -> Iterator[None]:
    """cmdstanpy and prophet log every fit at INFO: keep only errors while fitting."""
    from cmdstanpy.utils import get_logger

    get_logger()  # cmdstanpy sets its logger up on first use: do it now, then override
    with quiet_logs(_NOISY_LOGGERS, FutureWarning, UserWarning):
        yield


def series_seed(seed: int, item: str) -> int:
    """A per-series seed that depends only on the context seed and the item id."""
    return (int(seed) + zlib.crc32(str(item).encode())) % (2**31 - 1)


class Prophet(LocalForecaster):
    """One Prophet per series (see the module docstring)."""

    name = "Prophet"
    supports_related = True
    min_length = 2  # Prophet needs two observations
    # Measured on a busy 2-core machine (one cmdstan optimize + 1000 draws per series): ~0.09 s
    # per M4 hourly series (~700-900 points), ~1.5 s per 8,000-point electricity series;
    # AutoML scales this by length / 100.
    cost_per_series = 0.015
    shard_invariant: ClassVar[bool] = True  # per-series seeds: shards = one whole fit

    def __init__(
        self,
        growth: str = "linear",
        changepoint_prior_scale: float = 0.05,
        seasonality_prior_scale: float = 10.0,
        holidays_prior_scale: float = 10.0,
        seasonality_mode: str = "additive",
        yearly_seasonality: bool | str = "auto",
        weekly_seasonality: bool | str = "auto",
        daily_seasonality: bool | str = "auto",
        uncertainty_samples: int = 1000,
        n_jobs: int = 1,
        max_length: int | None = None,
    ) -> None:
        super().__init__()
        if growth not in GROWTHS:
            raise InvalidInputError(f"Prophet growth must be one of {GROWTHS} (logistic needs "
                                    f"a capacity we do not have), got {growth!r}")
        if seasonality_mode not in SEASONALITY_MODES:
            raise InvalidInputError(f"Prophet seasonality_mode must be one of "
                                    f"{SEASONALITY_MODES}, got {seasonality_mode!r}")
        for label, value in (("changepoint_prior_scale", changepoint_prior_scale),
                             ("seasonality_prior_scale", seasonality_prior_scale),
                             ("holidays_prior_scale", holidays_prior_scale)):
            if not float(value) > 0:
                raise InvalidInputError(f"Prophet {label} must be positive, got {value}")
        if int(uncertainty_samples) < 10:
            raise InvalidInputError("Prophet uncertainty_samples must be at least 10 (the "
                                    f"quantiles come from them), got {uncertainty_samples}")
        if max_length is not None and int(max_length) < self.min_length:
            raise InvalidInputError(f"Prophet max_length must be at least {self.min_length}")
        self.growth = growth
        self.changepoint_prior_scale = float(changepoint_prior_scale)
        self.seasonality_prior_scale = float(seasonality_prior_scale)
        self.holidays_prior_scale = float(holidays_prior_scale)
        self.seasonality_mode = seasonality_mode
        self.yearly_seasonality = yearly_seasonality
        self.weekly_seasonality = weekly_seasonality
        self.daily_seasonality = daily_seasonality
        self.uncertainty_samples = int(uncertainty_samples)
        self.n_jobs = max(1, int(n_jobs or 1))
        self.max_length = None if max_length is None else int(max_length)
        self._related_in: pd.DataFrame | None = None  # only during fit

    def history_limit(self, ctx: ModelContext) -> int | None:
        return self.max_length

    def params(self) -> dict[str, Any]:
        """Keyword arguments of ``prophet.Prophet``."""
        return {
            "growth": self.growth,
            "changepoint_prior_scale": self.changepoint_prior_scale,
            "seasonality_prior_scale": self.seasonality_prior_scale,
            "holidays_prior_scale": self.holidays_prior_scale,
            "seasonality_mode": self.seasonality_mode,
            "yearly_seasonality": self.yearly_seasonality,
            "weekly_seasonality": self.weekly_seasonality,
            "daily_seasonality": self.daily_seasonality,
            "uncertainty_samples": self.uncertainty_samples,
        }

    def fit(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None = None,
        static: pd.DataFrame | None = None,
    ) -> Prophet:
        if not prophet_available():
            raise ModelError(f"Prophet is not installed; {PROPHET_EXTRA_HINT}")
        self._related_in = related
        try:
            super().fit(train, ctx, related=related, static=static)
        finally:
            self._related_in = None
        return self

    def _forecast_all(self, train: pd.DataFrame, ctx: ModelContext) -> pd.DataFrame:
        country = HolidayFlag(ctx.holidays_country).country if ctx.holidays_country else None
        cols = related_columns(self._related_in)
        if self.max_length is not None:
            train = train.groupby(ITEM_ID, sort=False, observed=True).tail(self.max_length)
        rel_by_item: dict[str, pd.DataFrame] = {}
        if cols:
            assert self._related_in is not None
            rel = self._related_in.assign(**{ITEM_ID: self._related_in[ITEM_ID].astype(str)})
            rel_by_item = {str(k): g for k, g in rel.groupby(ITEM_ID, sort=False)}
        tasks = []
        for item, g in train.groupby(ITEM_ID, sort=True, observed=True):
            item = str(item)
            tasks.append((item, g[TIMESTAMP].to_numpy(), g[TARGET].to_numpy(dtype=float),
                          rel_by_item.get(item) if cols else None))
        config = (self.params(), country, cols, ctx)
        if self.n_jobs > 1 and len(tasks) >= 2 * self.n_jobs:
            frames = _map_processes(config, tasks, self.n_jobs)
        else:
            frames = [_forecast_chunk((config, tasks))]
        return pd.concat(frames, ignore_index=True)


Task = tuple[str, np.ndarray, np.ndarray, "pd.DataFrame | None"]
Config = tuple[dict[str, Any], "str | None", list[str], ModelContext]


def _map_processes(config: Config, tasks: list[Task], n_jobs: int) -> list[pd.DataFrame]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    bounds = np.linspace(0, len(tasks), n_jobs + 1).astype(int)
    chunks = [(config, tasks[a:b]) for a, b in itertools.pairwise(bounds) if b > a]
    with ProcessPoolExecutor(max_workers=n_jobs,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_forecast_chunk, chunks))


def _forecast_chunk(args: tuple[Config, list[Task]]) -> pd.DataFrame:
    """Forecast frame rows of a chunk of series (runs in this or a worker process)."""
    config, tasks = args
    with quiet_stan():
        return pd.concat([_forecast_one(config, *task) for task in tasks], ignore_index=True)


def _regressors(item: str, rel: pd.DataFrame | None, cols: list[str], ds: pd.DatetimeIndex,
                future: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Related values on the history (gaps filled from neighbours, else 0) and the horizon
    (must be present)."""
    if rel is None:
        raise ModelError(f"Prophet: no related covariates for item {item!r}")
    rows = rel.drop_duplicates(TIMESTAMP).set_index(TIMESTAMP)[cols]
    hist = rows.reindex(ds).ffill().bfill().fillna(0.0)
    fut = rows.reindex(future)
    gaps = fut.isna().any(axis=1).to_numpy()
    if gaps.any():
        raise ModelError(
            f"Related covariates miss item {item!r} at {future[gaps.argmax()]}; they must "
            f"cover the {len(future)} steps after the series' end")
    return hist.reset_index(drop=True), fut.reset_index(drop=True)


def _forecast_one(config: Config, item: str, stamps: np.ndarray, y: np.ndarray,
                  rel: pd.DataFrame | None) -> pd.DataFrame:
    from prophet import Prophet as ProphetModel

    params, country, cols, ctx = config
    ds = pd.DatetimeIndex(stamps)
    future = pd.date_range(ds[-1], periods=ctx.horizon + 1, freq=ctx.freq)[1:]
    history = pd.DataFrame({"ds": ds, "y": y})
    ahead = pd.DataFrame({"ds": future})
    model = ProphetModel(**params)
    if country:
        model.add_country_holidays(country_name=country)
    if cols:
        hist, fut = _regressors(item, rel, cols, ds, future)
        for col in cols:
            model.add_regressor(col)
            history[col] = hist[col].to_numpy(dtype=float)
            ahead[col] = fut[col].to_numpy(dtype=float)
    seed = series_seed(ctx.seed, item)
    state = np.random.get_state()
    try:
        model.fit(history, seed=seed)
        np.random.seed(seed)
        draws = model.predictive_samples(ahead)["yhat"]  # (horizon, uncertainty_samples)
    except ModelError:
        raise
    except Exception as e:  # Stan, pandas and numpy errors have no common base class
        raise ModelError(f"Prophet failed on item {item!r}: {type(e).__name__}: {e}") from e
    finally:
        np.random.set_state(state)
    draws = np.asarray(draws, dtype=float)
    out = pd.DataFrame({ITEM_ID: item, TIMESTAMP: future, MEAN: draws.mean(axis=1)})
    for q in ctx.quantiles:
        out[quantile_column(q)] = np.quantile(draws, q, axis=1)
    return out

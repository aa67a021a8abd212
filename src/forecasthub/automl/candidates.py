"""Candidate models: an explicit list, or a default set that spends time where it pays.

Costs are estimated as ``cost_per_series * n_series * max(1, length / 100)`` seconds per fit,
``length`` = the mean series length capped by the model's history limit. The default set
always holds SeasonalNaive (cheap, robust) and the global LightGBM (~2 ms/series); local models
(Theta, ETS, CES, ARIMA) join only while their estimated cost per window stays within
``local_model_budget_s`` (ARIMA only for seasons up to 12); intermittent-demand models join
when enough series are intermittent. The deep models (DeepAR, TFT: :data:`DEEP_CANDIDATES`)
join when the `deep` extra is installed and the data suits a global deep model
(:data:`DEEP_MIN_SERIES` series, each of typically ``DEEP_MIN_HORIZONS`` horizons and at least
``DEEP_MIN_LENGTH`` points; Amazon's guidance: DL wants >= 300 points and many series) and each
one's estimated cost fits ``local_model_budget_s`` x 4; the backtests then decide their weights.
Prophet is never a default candidate (one Stan fit per series: slow, and it did not pay in our
measurements, see docs/models.md); name it in ``candidates`` to try it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from forecasthub.automl.config import AutoMLConfig
from forecasthub.columns import ITEM_ID, TARGET
from forecasthub.errors import InvalidInputError
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.registry import create_model, deep_models_available

INTERMITTENT_ZERO_SHARE = 0.3  # a series with more zeros than this is intermittent
INTERMITTENT_SERIES_SHARE = 0.1  # add intermittent models above this share of series
LOCAL_ORDER = ("Theta", "ETS", "CES", "ARIMA")
# Seasonal AutoARIMA is impractically slow for long seasons (measured: ~20 s per hourly series
# of 300 points, m = 24), so the default set uses it only up to monthly seasonality.
ARIMA_MAX_SEASON = 12
DEEP_MIN_SERIES = 50
DEEP_MIN_HORIZONS = 5
DEEP_MIN_LENGTH = 300
DEEP_CANDIDATES = ("DeepAR", "TFT")  # global GluonTS networks, tried under the same rule


@dataclass(frozen=True)
class DataProfile:
    """What candidate selection needs to know about the training data."""

    n_series: int
    mean_length: float
    intermittent_share: float

    @classmethod
    def of(cls, train: pd.DataFrame) -> DataProfile:
        length = train.groupby(ITEM_ID, observed=True)[TARGET].count()
        is_zero = train[TARGET].fillna(0).eq(0)
        zero_share = is_zero.groupby(train[ITEM_ID], observed=True).mean()
        return cls(
            n_series=int(length.size),
            mean_length=float(length.mean()) if length.size else 0.0,
            intermittent_share=float((zero_share > INTERMITTENT_ZERO_SHARE).mean())
            if length.size else 0.0,
        )


def estimated_cost(model: Forecaster, profile: DataProfile, ctx: ModelContext) -> float:
    """Rough seconds for one fit + forecast of ``model`` on data like ``profile``."""
    limit = model.history_limit(ctx)
    length = profile.mean_length if limit is None else min(profile.mean_length, limit)
    return model.cost_per_series * profile.n_series * max(1.0, length / 100.0)


def _with_jobs(name: str, n_jobs: int, **params: Any) -> Forecaster:
    try:
        return create_model(name, n_jobs=n_jobs, **params)
    except TypeError:  # a model without n_jobs
        return create_model(name, **params)


def lightgbm_for(profile: DataProfile, ctx: ModelContext, n_jobs: int) -> Forecaster:
    """The global LightGBM configured for the data: seasonal differencing when series hold
    several seasons, training on the most recent ~17 seasons of each series (measured on M4
    Hourly: 400 recent rows beat 250, 600 and all)."""
    m = max(ctx.season_length, 1)
    seasonal = m > 1 and profile.mean_length >= 4 * m + 2 * ctx.horizon
    rows = max(400, 17 * m, 4 * ctx.horizon) if seasonal else None
    return create_model(
        "LightGBM",
        target_transform="difference" if seasonal else "scale",
        max_rows_per_series=rows,
        n_jobs=n_jobs,
    )


def default_candidates(
    train: pd.DataFrame, ctx: ModelContext, config: AutoMLConfig
) -> dict[str, Forecaster]:
    """Candidate set chosen from the data size (see module docstring)."""
    profile = DataProfile.of(train)
    out: dict[str, Forecaster] = {
        "SeasonalNaive": _with_jobs("SeasonalNaive", config.n_jobs),
        "LightGBM": lightgbm_for(profile, ctx, config.n_jobs),
    }
    for name in LOCAL_ORDER:
        if name == "ARIMA" and ctx.season_length > ARIMA_MAX_SEASON:
            continue
        model = _with_jobs(name, config.n_jobs)
        if estimated_cost(model, profile, ctx) <= config.local_model_budget_s:
            out[name] = model
    if profile.intermittent_share > INTERMITTENT_SERIES_SHARE:
        out["Croston"] = _with_jobs("Croston", config.n_jobs)
        out["NPTS"] = create_model("NPTS")
    if deep_suits(profile, ctx):
        for name in DEEP_CANDIDATES:
            deep = create_model(name, n_jobs=config.n_jobs)
            if estimated_cost(deep, profile, ctx) <= 4 * config.local_model_budget_s:
                out[name] = deep
    return out


def deep_suits(profile: DataProfile, ctx: ModelContext) -> bool:
    """Whether the default set should try the deep models (deep extra installed, data big
    enough)."""
    return (deep_models_available()
            and profile.n_series >= DEEP_MIN_SERIES
            and profile.mean_length >= max(DEEP_MIN_HORIZONS * ctx.horizon, DEEP_MIN_LENGTH))


def resolve_candidates(
    train: pd.DataFrame, ctx: ModelContext, config: AutoMLConfig
) -> dict[str, Forecaster]:
    """Explicit candidates from the config, else the default set."""
    if config.candidates is None:
        return default_candidates(train, ctx, config)
    if isinstance(config.candidates, dict):
        if not config.candidates:
            raise InvalidInputError("The candidate list is empty")
        return dict(config.candidates)
    if not config.candidates:
        raise InvalidInputError("The candidate list is empty")
    profile = DataProfile.of(train)
    out = {}
    for name in config.candidates:
        out[name] = (lightgbm_for(profile, ctx, config.n_jobs) if name == "LightGBM"
                     else _with_jobs(name, config.n_jobs))
    return out

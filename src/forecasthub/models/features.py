"""Feature recipes for the global tree models: lags, calendar features and holiday flags."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from forecasthub.errors import InvalidInputError

# Amazon Forecast's country codes that the `holidays` package spells differently.
_COUNTRY_ALIASES = {"UK": "GB"}


def default_lags(season_length: int, horizon: int) -> list[int]:
    """Recent lags plus whole seasons: hourly -> 1..24, 48, ..., 168."""
    m = max(int(season_length), 1)
    recent = list(range(1, min(max(m, 7), 24) + 1))
    if m == 24:  # hourly: daily seasons up to a week
        seasons = [24 * k for k in range(1, 8)]
    elif m == 7:  # daily: weeks up to four
        seasons = [7, 14, 21, 28]
    elif m > 1:
        seasons = [m, 2 * m]
    else:
        seasons = []
    return sorted(set(recent + seasons))


def week_of_year(dates: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """ISO week number (pandas 2 dropped ``DatetimeIndex.week``)."""
    return pd.DatetimeIndex(dates).isocalendar().week.to_numpy(dtype=float)


DateFeature = str | Callable[[pd.DatetimeIndex], np.ndarray]


def calendar_features(freq: str) -> list[DateFeature]:
    """Calendar features that vary at this frequency (pandas attributes or callables)."""
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.name.split("-")[0].lower()
    if name in {"h", "bh", "min", "t", "s"}:
        return ["hour", "dayofweek", "month"]
    if name in {"d", "b", "c"}:
        return ["dayofweek", "day", "month", "dayofyear"]
    if name.startswith("w"):
        return [week_of_year, "month"]
    if name in {"ms", "me", "m", "bms", "bme", "sms", "sme"}:
        return ["month"]
    if name.startswith("q"):
        return ["quarter"]
    return []


class HolidayFlag:
    """Date feature: 1.0 on a public holiday of ``country`` (``holidays`` package), else 0.0.

    A picklable callable, so fitted mlforecast objects that use it save and load.
    """

    def __init__(self, country: str) -> None:
        code = _COUNTRY_ALIASES.get(country.upper(), country.upper())
        import holidays

        if code not in holidays.list_supported_countries():
            raise InvalidInputError(f"Holidays are not available for country code {country!r}")
        self.country = code
        self.__name__ = f"holiday_{code}"

    def __call__(self, dates: pd.DatetimeIndex | pd.Series) -> np.ndarray:
        import holidays

        index = pd.DatetimeIndex(dates)
        if len(index) == 0:
            return np.zeros(0)
        years = range(index.year.min() - 1, index.year.max() + 2)
        days = pd.DatetimeIndex(list(holidays.country_holidays(self.country, years=years)))
        return np.asarray(index.normalize().isin(days), dtype=float)


def compute_date_features(
    dates: pd.DatetimeIndex, features: Sequence[DateFeature]
) -> dict[str, np.ndarray]:
    """Evaluate date features the way mlforecast names them."""
    out = {}
    for feature in features:
        if callable(feature):
            out[feature.__name__] = np.asarray(feature(dates), dtype=float)
        else:
            out[feature] = np.asarray(getattr(dates, feature), dtype=float)
    return out


def categorical_columns(static: pd.DataFrame, exclude: Sequence[str]) -> list[str]:
    """Non-numeric columns of the item metadata (treated as categorical)."""
    return [
        c for c in static.columns
        if c not in exclude and not pd.api.types.is_numeric_dtype(static[c])
    ]

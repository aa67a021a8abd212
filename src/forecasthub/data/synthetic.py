"""Synthetic Walmart-style weekly department sales, shaped like Amazon Forecast's RETAIL domain.

Two entry points share the same simulation components:

* :func:`generate_retail` -- the demo dataset: ``n_stores`` stores, each carrying a subset of
  the department universe, with ``store_id`` as a forecast dimension next to ``item_id``
  (the department).  Returns a :class:`RetailData` with the target, related and item metadata
  frames Amazon Forecast expects, plus store metadata and the held-out future demand.
* :func:`generate_weekly_panel` -- the benchmark fast path: ``n_series`` series laid out as a
  full store x department grid, flattened into one ``item_id`` (``store_3_dept_12``).

The demand model, on the log scale, per series ``s`` (store ``j``, department ``d``) and week ``t``::

    log mu[s, t] = level[s]                         # store size x department popularity, log-normal
                 + season[d, t] + events[d, t]      # yearly Fourier season; Super Bowl, Labor Day,
                                                    # Thanksgiving, pre-Christmas spikes
                 + store_week[j, t]                 # store climate + store-wide weekly shocks
                 + trend[s] * years(t)              # store + department + series growth
                 + ar1[s, t]                        # slowly wandering level
                 + elasticity[d] * markdown[s, t]   # multiplicative promotion lift
                 + closure[t]                       # Christmas Day closed: one day of seven lost
                 + ramp[s, t]                       # new departments ramp up after launch

Regular departments get log-normal noise around ``mu``; a few departments are intermittent
(gamma-Poisson, i.e. negative binomial, unit counts times a unit price, most weeks zero).  A few
departments are new: they launch in some stores 10-30 weeks before the end of the history.

Weeks are dated by their Friday and run Saturday..Friday, as in the Walmart data
(``IsHoliday`` weeks of 2010: 02-12, 09-10, 11-26, 12-31).  Everything is vectorised numpy and
deterministic under ``seed``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, TIMESTAMP

__all__ = [
    "CATEGORIES",
    "DATA_FREQUENCY",
    "DEMAND",
    "DOMAIN",
    "IS_HOLIDAY",
    "MARKDOWN",
    "STORE_ID",
    "TIMESTAMP_FORMAT",
    "RetailCsvFiles",
    "RetailData",
    "WeeklyPanel",
    "amazon_schema",
    "generate_retail",
    "generate_weekly_panel",
    "holiday_weeks",
    "series_item_metadata",
    "series_key",
    "write_retail_csvs",
]

STORE_ID = "store_id"
DEMAND = "demand"
MARKDOWN = "markdown"
IS_HOLIDAY = "is_holiday"
CATEGORY = "category"
STORE_TYPE = "type"  # store metadata column (store-keyed frame)
STORE_SIZE = "size"
SERIES_STORE_TYPE = "store_type"  # the same attributes on a series-keyed item metadata frame
SERIES_STORE_SIZE = "store_size"

DOMAIN = "RETAIL"
DATA_FREQUENCY = "W"
TIMESTAMP_FORMAT = "yyyy-MM-dd"
TARGET_TIME_SERIES = "TARGET_TIME_SERIES"
RELATED_TIME_SERIES = "RELATED_TIME_SERIES"
ITEM_METADATA = "ITEM_METADATA"

_EVENTS = ("superbowl", "labor_day", "thanksgiving", "christmas")

# name: (share of departments, season amplitude (log), season peak (day of year),
#        event effects (log lift per unit weekly intensity) for _EVENTS,
#        probability that a department of the category responds to events,
#        share of weeks on promotion, promotion elasticity (log lift per unit depth),
#        popularity offset (log level; grocery and pharmacy lead, as in the Walmart data))
_CATEGORY_TABLE: dict[str, tuple[float, float, float, tuple[float, float, float, float],
                                 float, float, float, float]] = {
    "grocery": (0.24, 0.05, 355, (0.12, 0.05, 0.25, 0.30), 0.8, 0.10, 1.6, 0.5),
    "household": (0.12, 0.04, 120, (0.03, 0.03, 0.08, 0.15), 0.6, 0.08, 1.4, 0.2),
    "health_beauty": (0.10, 0.10, 20, (0.00, 0.00, 0.07, 0.30), 0.6, 0.07, 1.2, 0.3),
    "apparel": (0.15, 0.18, 230, (0.00, 0.08, 0.40, 0.60), 0.8, 0.12, 2.0, 0.0),
    "electronics": (0.08, 0.08, 350, (0.20, 0.03, 0.85, 0.80), 1.0, 0.06, 2.4, 0.2),
    "toys": (0.06, 0.12, 350, (0.00, 0.00, 0.65, 1.60), 1.0, 0.08, 2.2, -0.2),
    "home_garden": (0.12, 0.35, 150, (0.00, 0.12, 0.10, 0.20), 0.5, 0.09, 1.8, -0.2),
    "seasonal": (0.05, 0.70, 340, (0.03, 0.03, 0.45, 1.20), 0.8, 0.10, 2.0, -0.6),
    "hardware_auto": (0.08, 0.15, 160, (0.03, 0.12, 0.18, 0.20), 0.6, 0.05, 1.5, -0.4),
}
CATEGORIES: tuple[str, ...] = tuple(_CATEGORY_TABLE)

_STORE_TYPES = np.array(["A", "B", "C"], dtype=object)
_STORE_TYPE_P = np.array([0.49, 0.38, 0.13])
_STORE_SIZE_RANGE = {0: (150_000, 220_000), 1: (35_000, 140_000), 2: (35_000, 45_000)}
_DEPTH_LEVELS = np.array([0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50], dtype=np.float32)
_DEPTH_P = np.array([0.10, 0.20, 0.20, 0.18, 0.12, 0.10, 0.06, 0.04])
_MAX_PROMO_WEEKS = 3
_NEW_HISTORY_WEEKS = (10, 30)  # new departments have this many weeks of history


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetailData:
    """Walmart-style RETAIL datasets.

    target: ``item_id, store_id, timestamp, demand`` -- the history (``n_weeks`` weeks).
    related: ``item_id, store_id, timestamp, markdown, is_holiday`` -- history plus ``horizon``
        future weeks (known-future covariates).
    item_metadata: ``item_id, category`` -- keyed by item_id only, as Amazon Forecast requires.
    store_metadata: ``store_id, type, size``.
    future: ``item_id, store_id, timestamp, demand`` -- the true demand over the horizon.

    After :meth:`flatten` the frames have no ``store_id``: ``item_id`` is the series key
    (``store_12_dept_7``) and the item metadata carries ``store_type`` and ``store_size``.
    """

    target: pd.DataFrame
    related: pd.DataFrame
    item_metadata: pd.DataFrame
    store_metadata: pd.DataFrame
    future: pd.DataFrame
    horizon: int
    new_item_ids: tuple[str, ...] = ()
    intermittent_item_ids: tuple[str, ...] = ()
    frequency: str = DATA_FREQUENCY
    flattened: bool = False

    @property
    def forecast_dimensions(self) -> list[str]:
        return [] if self.flattened else [STORE_ID]

    def flatten(self, sep: str = "_") -> RetailData:
        """Fold ``store_id`` into ``item_id`` (``store_12`` + ``dept_7`` -> ``store_12_dept_7``)."""
        if self.flattened:
            return self

        def fold(df: pd.DataFrame) -> pd.DataFrame:
            out = df.drop(columns=[STORE_ID, ITEM_ID])
            out.insert(0, ITEM_ID, series_key(df[STORE_ID], df[ITEM_ID], sep))
            return out

        return replace(
            self,
            target=fold(self.target),
            related=fold(self.related),
            future=fold(self.future),
            item_metadata=series_item_metadata(self, sep),
            flattened=True,
        )


@dataclass(frozen=True)
class WeeklyPanel:
    """Benchmark panel: ``item_id`` is the flattened series key, there is no ``store_id``.

    target: ``item_id, timestamp, demand``; related (optional):
    ``item_id, timestamp, markdown, is_holiday`` over history + horizon; item_metadata
    (optional): ``item_id, category, store_type, store_size``; future (optional): the true
    demand over the horizon.
    """

    target: pd.DataFrame
    related: pd.DataFrame | None
    item_metadata: pd.DataFrame | None
    future: pd.DataFrame | None
    horizon: int
    frequency: str = DATA_FREQUENCY
    flattened: bool = True

    @property
    def forecast_dimensions(self) -> list[str]:
        return []


@dataclass(frozen=True)
class RetailCsvFiles:
    """What :func:`write_retail_csvs` wrote: paths and Amazon schemas keyed by DatasetType."""

    paths: dict[str, Path]
    schemas: dict[str, dict[str, list[dict[str, str]]]]
    data_frequency: str = DATA_FREQUENCY
    domain: str = DOMAIN
    timestamp_format: str = TIMESTAMP_FORMAT
    forecast_dimensions: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------


def _first_friday(start: str | _dt.date | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(start).normalize()
    return ts + pd.Timedelta(days=(4 - ts.weekday()) % 7)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> _dt.date:
    first = _dt.date(year, month, 1)
    return first + _dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _holiday_dates(year: int) -> dict[str, _dt.date]:
    return {
        # first Sunday of February until 2021, second from 2022
        "superbowl": _nth_weekday(year, 2, 6, 1 if year <= 2021 else 2),
        "labor_day": _nth_weekday(year, 9, 0, 1),
        "thanksgiving": _nth_weekday(year, 11, 3, 4),
        "christmas": _dt.date(year, 12, 25),
    }


@dataclass(frozen=True)
class _Calendar:
    dates: np.ndarray  # (T,) datetime64[ns], Fridays
    n_hist: int
    doy: np.ndarray  # (T,) day of year of the week's middle, float
    years: np.ndarray  # (T,) years relative to the end of the history, float32
    intensity: np.ndarray  # (4, T) weekly event intensity for _EVENTS, float32
    is_holiday: np.ndarray  # (T,) int8, the Walmart IsHoliday flag
    closure: np.ndarray  # (T,) float32, log share of the week the stores are open
    promo_season: np.ndarray  # (T,) float32, promotion rate multiplier


def _calendar(start: Any, n_weeks: int, horizon: int) -> _Calendar:
    n_total = n_weeks + horizon
    first = _first_friday(start)
    fridays = first + pd.to_timedelta(7 * np.arange(n_total), unit="D")
    day0 = (first - pd.Timedelta(days=6)).date()  # Saturday opening the first week
    n_days = 7 * n_total
    daily = np.zeros((len(_EVENTS), n_days), dtype=np.float64)
    flag = np.zeros(n_days, dtype=bool)
    closed = np.zeros(n_days, dtype=np.float64)

    def put(row: int, day: _dt.date, weight: float) -> None:
        i = (day - day0).days
        if 0 <= i < n_days:
            daily[row, i] += weight

    one = _dt.timedelta(days=1)
    y_last = (day0 + _dt.timedelta(days=n_days)).year
    xmas_decay = sum(math.exp(-k / 5) for k in range(7))
    for year in range(day0.year, y_last + 1):
        h = _holiday_dates(year)
        for name, d in h.items():
            i = (d - day0).days
            if 0 <= i < n_days:
                flag[i] = True
        sb, ld, tg, xm = h["superbowl"], h["labor_day"], h["thanksgiving"], h["christmas"]
        put(0, sb - one, 0.4)  # party shopping Saturday and game day
        put(0, sb, 0.6)
        for k, w in ((-2, 0.3), (-1, 0.3), (0, 0.4)):  # long weekend
            put(1, ld + k * one, w)
        for k, w in ((-1, 0.15), (0, 0.10), (1, 0.50), (2, 0.15), (3, 0.05)):  # Black Friday
            put(2, tg + k * one, w)
        for k in range(24):  # December shopping building up to Christmas Eve
            put(3, _dt.date(year, 12, 24 - k), math.exp(-k / 5) / xmas_decay)
        i = (xm - day0).days
        if 0 <= i < n_days:
            closed[i] = 1.0
    weekly = daily.reshape(len(_EVENTS), n_total, 7).sum(axis=2).astype(np.float32)
    is_holiday = flag.reshape(n_total, 7).any(axis=1).astype(np.int8)
    closure = np.log1p(-closed.reshape(n_total, 7).sum(axis=1) / 7).astype(np.float32)
    mid = fridays - pd.Timedelta(days=3)
    doy = mid.dayofyear.to_numpy(dtype=np.float64)
    month = fridays.month.to_numpy()
    promo_season = np.where(np.isin(month, (11, 12)), 2.0, np.where(month == 1, 1.5, 1.0))
    return _Calendar(
        dates=fridays.to_numpy(dtype="datetime64[ns]"),
        n_hist=n_weeks,
        doy=doy,
        years=((np.arange(n_total) - n_weeks) / 52.0).astype(np.float32),
        intensity=weekly,
        is_holiday=is_holiday,
        closure=closure,
        promo_season=promo_season.astype(np.float32),
    )


def holiday_weeks(start: Any = "2010-02-05", n_weeks: int = 156) -> pd.DataFrame:
    """Weekly calendar: ``timestamp`` (Fridays), ``is_holiday`` and the event intensities."""
    cal = _calendar(start, n_weeks, 0)
    out = pd.DataFrame({TIMESTAMP: cal.dates, IS_HOLIDAY: cal.is_holiday})
    for k, name in enumerate(_EVENTS):
        out[name] = cal.intensity[k]
    return out


# --------------------------------------------------------------------------------------------
# Components: departments, stores, simulation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Depts:
    names: np.ndarray  # (D,) object
    category: np.ndarray  # (D,) int
    popularity: np.ndarray  # (D,) log level offset
    intermittent: np.ndarray  # (D,) bool
    new: np.ndarray  # (D,) bool
    launch: np.ndarray  # (D,) int, first week of history (0 for regular departments)
    launch_share: np.ndarray  # (D,) share of stores where a new department launches
    calendar_effect: np.ndarray  # (D, T) float32: season + events
    elasticity: np.ndarray  # (D,) float32
    promo_rate: np.ndarray  # (D,) share of weeks on promotion
    price: np.ndarray  # (D,) unit price of intermittent departments
    dispersion: np.ndarray  # (D,) negative binomial shape of intermittent departments
    trend: np.ndarray  # (D,) per year


@dataclass(frozen=True)
class _Stores:
    names: np.ndarray  # (J,) object
    type_code: np.ndarray  # (J,) 0/1/2 = A/B/C
    size: np.ndarray  # (J,) int
    effect: np.ndarray  # (J,) log level offset
    trend: np.ndarray  # (J,)
    week_effect: np.ndarray  # (J, T) float32: climate season + weekly shocks


def _make_depts(rng: np.random.Generator, n_regular: int, n_new: int, cal: _Calendar) -> _Depts:
    d_total = n_regular + n_new
    cat_p = np.array([v[0] for v in _CATEGORY_TABLE.values()])
    cat = rng.choice(len(CATEGORIES), size=d_total, p=cat_p / cat_p.sum())
    table = list(_CATEGORY_TABLE.values())
    amp = np.array([table[c][1] for c in cat]) * rng.lognormal(0.0, 0.3, d_total)
    peak = np.array([table[c][2] for c in cat]) + rng.normal(0.0, 20.0, d_total)
    ev_base = np.array([table[c][3] for c in cat])  # (D, 4)
    responds = rng.random(d_total) < np.array([table[c][4] for c in cat])
    ev = ev_base * rng.lognormal(0.0, 0.3, (d_total, len(_EVENTS))) * responds[:, None]
    promo_rate = np.array([table[c][5] for c in cat]) * rng.lognormal(0.0, 0.3, d_total)
    elasticity = np.array([table[c][6] for c in cat]) * rng.lognormal(0.0, 0.2, d_total)

    # yearly Fourier season: first harmonic peaks on `peak`, small random higher harmonics
    w = 2.0 * np.pi * cal.doy / 365.25  # (T,)
    season = amp[:, None] * np.cos(w[None, :] - 2.0 * np.pi * peak[:, None] / 365.25)
    for k in (2, 3):
        a, b = rng.normal(0.0, 0.3 / k, (2, d_total)) * amp
        season += a[:, None] * np.cos(k * w)[None, :] + b[:, None] * np.sin(k * w)[None, :]
    calendar_effect = (season + ev @ cal.intensity.astype(np.float64)).astype(np.float32)

    popularity = np.array([table[c][7] for c in cat]) + rng.normal(0.0, 0.9, d_total)
    intermittent = np.zeros(d_total, dtype=bool)
    n_int = max(1, round(0.08 * n_regular)) if n_regular >= 5 else 0
    if n_int:
        intermittent[rng.choice(n_regular, size=n_int, replace=False)] = True
    popularity[intermittent] = rng.normal(-1.0, 0.5, n_int)  # also: fewer stores carry them
    new = np.zeros(d_total, dtype=bool)
    new[n_regular:] = True
    popularity[new] = rng.normal(-0.5, 0.8, n_new)
    n_hist = cal.n_hist
    lo, hi = min(_NEW_HISTORY_WEEKS[0], n_hist), min(_NEW_HISTORY_WEEKS[1], n_hist)
    launch = np.zeros(d_total, dtype=np.int64)
    launch[new] = n_hist - rng.integers(lo, hi + 1, n_new)
    launch_share = np.where(new, rng.uniform(0.3, 0.8, d_total), 1.0)
    names = np.array([f"dept_{i + 1}" for i in range(d_total)], dtype=object)
    return _Depts(
        names=names,
        category=cat,
        popularity=popularity,
        intermittent=intermittent,
        new=new,
        launch=launch,
        launch_share=launch_share,
        calendar_effect=calendar_effect,
        elasticity=elasticity.astype(np.float32),
        promo_rate=promo_rate,
        price=rng.lognormal(math.log(30.0), 0.6, d_total),
        dispersion=rng.uniform(0.3, 1.5, d_total),
        trend=rng.normal(0.0, 0.04, d_total),
    )


def _make_stores(rng: np.random.Generator, n_stores: int, cal: _Calendar) -> _Stores:
    type_code = rng.choice(3, size=n_stores, p=_STORE_TYPE_P)
    lo = np.array([_STORE_SIZE_RANGE[c][0] for c in range(3)])[type_code]
    hi = np.array([_STORE_SIZE_RANGE[c][1] for c in range(3)])[type_code]
    size = np.round(rng.uniform(lo, hi), -1).astype(np.int64)
    effect = 0.6 * np.log(size / 150_000) + rng.normal(0.0, 0.3, n_stores)
    n_total = len(cal.dates)
    w = 2.0 * np.pi * cal.doy / 365.25
    a, b = rng.normal(0.0, 0.04, (2, n_stores))
    week_effect = a[:, None] * np.cos(w)[None, :] + b[:, None] * np.sin(w)[None, :]
    week_effect += rng.normal(0.0, 0.03, (n_stores, n_total))
    return _Stores(
        names=np.array([f"store_{j + 1}" for j in range(n_stores)], dtype=object),
        type_code=type_code,
        size=size,
        effect=effect,
        trend=rng.normal(0.01, 0.03, n_stores),
        week_effect=week_effect.astype(np.float32),
    )


def _promotions(
    rng: np.random.Generator, rate: np.ndarray, first: np.ndarray, cal: _Calendar
) -> np.ndarray:
    """(S, T) float32 promotion depth: 1-3 week events, more of them in Nov/Dec and January."""
    n_series, n_total = len(rate), len(cal.dates)
    mean_weeks = (1 + _MAX_PROMO_WEEKS) / 2
    start_p = (rate / mean_weeks).astype(np.float32)
    u = rng.random((n_series, n_total), dtype=np.float32)
    u /= cal.promo_season[None, :]  # u < p * season  <=>  u / season < p
    si, ti = np.nonzero(u < start_p[:, None])
    del u
    ok = ti >= first[si]
    si, ti = si[ok], ti[ok]
    depth = rng.choice(_DEPTH_LEVELS, size=len(si), p=_DEPTH_P)
    weeks = rng.integers(1, _MAX_PROMO_WEEKS + 1, size=len(si))
    markdown = np.zeros((n_series, n_total), dtype=np.float32)
    for k in range(_MAX_PROMO_WEEKS):
        sel = (weeks > k) & (ti + k < n_total)
        markdown[si[sel], ti[sel] + k] = depth[sel]
    return markdown


def _simulate(
    rng: np.random.Generator,
    depts: _Depts,
    stores: _Stores,
    cal: _Calendar,
    s_dept: np.ndarray,
    s_store: np.ndarray,
    first: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Demand (S, T) float64 and markdown (S, T) float32; cells before ``first`` are junk."""
    n_series, n_total = len(s_dept), len(cal.dates)
    intermittent = depts.intermittent[s_dept]

    # per-series parameters
    level = np.where(
        intermittent,
        np.log(rng.uniform(0.3, 2.0, n_series)) + 0.5 * stores.effect[s_store],
        math.log(8000.0) + depts.popularity[s_dept] + stores.effect[s_store],
    ) + rng.normal(0.0, 0.35, n_series)
    trend = stores.trend[s_store] + depts.trend[s_dept] + rng.normal(0.0, 0.02, n_series)
    sigma = rng.uniform(0.05, 0.15, n_series).astype(np.float32)
    promo_rate = depts.promo_rate[s_dept] * rng.beta(2.0, 2.0, n_series) * 2.0
    markdown = _promotions(rng, promo_rate, first, cal)

    # log mean, built in place in float32
    lm = np.take(depts.calendar_effect, s_dept, axis=0)
    lm += np.take(stores.week_effect, s_store, axis=0)
    lm += level.astype(np.float32)[:, None]
    lm += trend.astype(np.float32)[:, None] * cal.years[None, :]
    lm += depts.elasticity[s_dept][:, None] * markdown
    lm += cal.closure[None, :]
    # AR(1) drift of the level, simulated time-major so each step is contiguous
    ar = rng.standard_normal((n_total, n_series), dtype=np.float32)
    ar *= np.float32(0.04)
    for t in range(1, n_total):
        ar[t] += np.float32(0.8) * ar[t - 1]
    lm += ar.T
    del ar
    # new departments ramp up over their first weeks
    new_rows = np.flatnonzero(first > 0)
    if len(new_rows):
        age = np.arange(n_total)[None, :] - first[new_rows][:, None]
        ramp = np.log1p(-0.6 * np.exp(-np.maximum(age, 0) / 3.0)).astype(np.float32)
        lm[new_rows] += ramp

    # observation noise: log-normal for regular departments ...
    eps = rng.standard_normal((n_series, n_total), dtype=np.float32)
    eps *= sigma[:, None]
    eps -= (0.5 * sigma * sigma)[:, None]
    lm += eps
    del eps
    demand = lm.astype(np.float64)
    np.exp(demand, out=demand)
    # ... negative binomial (gamma-Poisson) unit counts times a unit price for intermittent ones
    rows = np.flatnonzero(intermittent)
    if len(rows):
        mu = np.exp(lm[rows].astype(np.float64))  # the log-normal wiggle adds overdispersion
        r = depts.dispersion[s_dept[rows]][:, None]
        counts = rng.poisson(rng.gamma(r, mu / r))
        demand[rows] = counts * np.round(depts.price[s_dept[rows]], 2)[:, None]
    del lm
    np.round(demand, 2, out=demand)
    return demand, markdown


# --------------------------------------------------------------------------------------------
# Long frames
# --------------------------------------------------------------------------------------------


def _ragged_index(first: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Row (series) and column (week) of every cell t in [max(first, lo), hi), series-major."""
    begin = np.clip(first, lo, hi)
    counts = hi - begin
    total = int(counts.sum())
    itype = np.int32 if max(total, len(first)) < 2**31 - 1 else np.int64
    rows = np.repeat(np.arange(len(first), dtype=itype), counts)
    offsets = np.cumsum(counts) - counts
    cols = np.arange(total, dtype=itype)
    cols -= np.repeat((offsets - begin).astype(itype), counts)
    return rows, cols


def _id_column(names: np.ndarray, codes: np.ndarray, as_category: bool) -> Any:
    if as_category:
        return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))
    return names[codes]


def _cells(arr: np.ndarray, rows: np.ndarray, cols: np.ndarray, lo: int, hi: int) -> np.ndarray:
    if len(rows) == arr.shape[0] * (hi - lo):  # full grid: a slice is cheaper than a gather
        return arr[:, lo:hi].reshape(-1)
    return arr[rows, cols]


# --------------------------------------------------------------------------------------------
# Public generators
# --------------------------------------------------------------------------------------------


def _streams(seed: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]


def generate_retail(
    n_stores: int = 45,
    n_depts: int | tuple[int, int] = (60, 80),
    start: str | _dt.date | pd.Timestamp = "2010-02-05",
    n_weeks: int = 156,
    seed: int = 0,
    n_new_depts: int = 3,
    *,
    horizon: int = 13,
) -> RetailData:
    """Walmart-style weekly sales of departments (items) across stores (forecast dimension).

    ``n_depts``: departments carried per store, an int or a (low, high) range; bigger stores
    carry more.  The regular department universe has ``high`` departments; ``n_new_depts`` more
    launch in 30-80% of the stores with only 10-30 weeks of history.  ``start`` is rolled
    forward to a Friday.  The related series run ``horizon`` weeks past the history.
    """
    lo, hi = (n_depts, n_depts) if isinstance(n_depts, int) else (int(n_depts[0]), int(n_depts[1]))
    if not (1 <= lo <= hi):
        raise ValueError(f"n_depts must be a positive (low, high) range, got {n_depts!r}")
    if n_stores < 1 or n_weeks < 1 or horizon < 0 or n_new_depts < 0:
        raise ValueError("n_stores and n_weeks must be positive, horizon and n_new_depts >= 0")
    r_dept, r_store, r_layout, r_sim = _streams(seed)
    cal = _calendar(start, n_weeks, horizon)
    depts = _make_depts(r_dept, hi, n_new_depts, cal)
    stores = _make_stores(r_store, n_stores, cal)

    # which regular departments each store carries: bigger stores carry more, popular
    # departments are carried more often (Gumbel top-k of popularity weights)
    rel = (stores.size - 35_000) / (220_000 - 35_000)
    k = lo + np.round((hi - lo) * np.clip(rel + r_layout.normal(0.0, 0.15, n_stores), 0, 1))
    keys = 0.6 * depts.popularity[:hi][None, :] + r_layout.gumbel(size=(n_stores, hi))
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    carried = rank < k[:, None]
    # new departments launch in a share of stores, a couple of weeks apart
    new_ids = np.flatnonzero(depts.new)
    launches = r_layout.random((n_stores, len(new_ids))) < depts.launch_share[new_ids][None, :]
    if len(new_ids):
        launches[r_layout.integers(n_stores, size=len(new_ids)), np.arange(len(new_ids))] = True
    s_store_reg, s_dept_reg = np.nonzero(carried)
    s_store_new, j_new = np.nonzero(launches)
    s_store = np.concatenate([s_store_reg, s_store_new])
    s_dept = np.concatenate([s_dept_reg, new_ids[j_new]])
    order = np.lexsort((s_dept, s_store))
    s_store, s_dept = s_store[order], s_dept[order]
    first = depts.launch[s_dept].copy()
    is_new = depts.new[s_dept]
    if is_new.any():
        h_lo, h_hi = min(_NEW_HISTORY_WEEKS[0], n_weeks), min(_NEW_HISTORY_WEEKS[1], n_weeks)
        jitter = r_layout.integers(-2, 3, int(is_new.sum()))
        first[is_new] = np.clip(first[is_new] + jitter, n_weeks - h_hi, n_weeks - h_lo)

    demand, markdown = _simulate(r_sim, depts, stores, cal, s_dept, s_store, first)
    n_total = n_weeks + horizon

    def frame(lo_t: int, hi_t: int, values: dict[str, np.ndarray]) -> pd.DataFrame:
        rows, cols = _ragged_index(first, lo_t, hi_t)
        out = {
            ITEM_ID: depts.names[s_dept[rows]],
            STORE_ID: stores.names[s_store[rows]],
            TIMESTAMP: cal.dates[cols],
        }
        for name, arr in values.items():
            out[name] = arr[cols] if arr.ndim == 1 else _cells(arr, rows, cols, lo_t, hi_t)
        return pd.DataFrame(out)

    target = frame(0, n_weeks, {DEMAND: demand})
    future = frame(n_weeks, n_total, {DEMAND: demand})
    related = frame(0, n_total, {MARKDOWN: markdown.astype(np.float64).round(2),
                                 IS_HOLIDAY: cal.is_holiday})
    used = np.unique(s_dept)
    item_metadata = pd.DataFrame(
        {ITEM_ID: depts.names[used], CATEGORY: np.asarray(CATEGORIES, dtype=object)[
            depts.category[used]]}
    )
    store_metadata = pd.DataFrame(
        {STORE_ID: stores.names, STORE_TYPE: _STORE_TYPES[stores.type_code],
         STORE_SIZE: stores.size}
    )
    return RetailData(
        target=target,
        related=related,
        item_metadata=item_metadata,
        store_metadata=store_metadata,
        future=future,
        horizon=horizon,
        new_item_ids=tuple(depts.names[np.intersect1d(used, new_ids)]),
        intermittent_item_ids=tuple(depts.names[np.intersect1d(used,
                                                               np.flatnonzero(depts.intermittent))]),
    )


def generate_weekly_panel(
    n_series: int,
    n_weeks: int = 156,
    seed: int = 0,
    *,
    start: str | _dt.date | pd.Timestamp = "2010-02-05",
    horizon: int = 13,
    n_depts: int = 80,
    n_new_depts: int = 3,
    related: bool = False,
    metadata: bool = False,
    future: bool = False,
    item_id_dtype: Literal["category", "object"] = "category",
) -> WeeklyPanel:
    """Fast benchmark panel: series = store x department, flattened to ``store_3_dept_12``.

    Series ``i`` is department ``i % n_depts`` of store ``i // n_depts``; the last
    ``n_new_depts`` of the ``n_depts`` departments are new (10-30 weeks of history).  Uses the
    same components as :func:`generate_retail`.  ``item_id`` is a pandas categorical by default
    (cheap for millions of rows); ``item_id_dtype="object"`` gives plain strings.
    """
    if n_series < 1 or n_weeks < 1 or horizon < 0:
        raise ValueError("n_series and n_weeks must be positive and horizon >= 0")
    if not (0 <= n_new_depts < n_depts):
        raise ValueError("need 0 <= n_new_depts < n_depts")
    r_dept, r_store, r_layout, r_sim = _streams(seed)
    cal = _calendar(start, n_weeks, horizon)
    depts = _make_depts(r_dept, n_depts - n_new_depts, n_new_depts, cal)
    n_stores = -(-n_series // n_depts)
    stores = _make_stores(r_store, n_stores, cal)
    idx = np.arange(n_series)
    s_store, s_dept = idx // n_depts, idx % n_depts
    first = depts.launch[s_dept].copy()
    is_new = depts.new[s_dept]
    if is_new.any():
        h_lo, h_hi = min(_NEW_HISTORY_WEEKS[0], n_weeks), min(_NEW_HISTORY_WEEKS[1], n_weeks)
        jitter = r_layout.integers(-2, 3, int(is_new.sum()))
        first[is_new] = np.clip(first[is_new] + jitter, n_weeks - h_hi, n_weeks - h_lo)

    demand, markdown = _simulate(r_sim, depts, stores, cal, s_dept, s_store, first)
    n_total = n_weeks + horizon
    as_cat = item_id_dtype == "category"
    names = series_key(stores.names[s_store], depts.names[s_dept])

    def frame(lo_t: int, hi_t: int, values: dict[str, np.ndarray]) -> pd.DataFrame:
        rows, cols = _ragged_index(first, lo_t, hi_t)
        out: dict[str, Any] = {ITEM_ID: _id_column(names, rows, as_cat), TIMESTAMP: cal.dates[cols]}
        for name, arr in values.items():
            out[name] = arr[cols] if arr.ndim == 1 else _cells(arr, rows, cols, lo_t, hi_t)
        return pd.DataFrame(out, copy=False)

    target = frame(0, n_weeks, {DEMAND: demand})
    fut = frame(n_weeks, n_total, {DEMAND: demand}) if future else None
    del demand
    rel = None
    if related:
        rel = frame(0, n_total, {MARKDOWN: markdown, IS_HOLIDAY: cal.is_holiday})
        rel[MARKDOWN] = rel[MARKDOWN].astype(np.float64).round(2)
    meta = None
    if metadata:
        meta = pd.DataFrame({
            ITEM_ID: _id_column(names, np.arange(n_series), as_cat),
            CATEGORY: np.asarray(CATEGORIES, dtype=object)[depts.category[s_dept]],
            SERIES_STORE_TYPE: _STORE_TYPES[stores.type_code[s_store]],
            SERIES_STORE_SIZE: stores.size[s_store],
        })
    return WeeklyPanel(target=target, related=rel, item_metadata=meta, future=fut,
                       horizon=horizon)


# --------------------------------------------------------------------------------------------
# Series keys, schemas, CSV files
# --------------------------------------------------------------------------------------------


def series_key(store_ids: Any, item_ids: Any, sep: str = "_") -> np.ndarray:
    """``store_12`` + ``dept_7`` -> ``store_12_dept_7`` (elementwise; object array)."""
    s = np.asarray(store_ids, dtype=object)
    i = np.asarray(item_ids, dtype=object)
    return (s + sep + i).astype(object)


def series_item_metadata(data: RetailData, sep: str = "_") -> pd.DataFrame:
    """Item metadata keyed by the flattened series key, one row per (store, item) series.

    Columns: ``item_id`` (``store_12_dept_7``), the item attributes (``category``), and the
    store attributes as ``store_type`` and ``store_size``.
    """
    if data.flattened:
        return data.item_metadata
    pairs = data.related[[STORE_ID, ITEM_ID]].drop_duplicates(ignore_index=True)
    out = pairs.merge(data.item_metadata, on=ITEM_ID, how="left").merge(
        data.store_metadata.rename(columns={STORE_TYPE: SERIES_STORE_TYPE,
                                            STORE_SIZE: SERIES_STORE_SIZE}),
        on=STORE_ID, how="left",
    )
    key = series_key(out[STORE_ID], out[ITEM_ID], sep)
    out = out.drop(columns=[STORE_ID, ITEM_ID])
    out.insert(0, ITEM_ID, key)
    return out


def _attribute_type(name: str, dtype: Any) -> str:
    if name in (ITEM_ID, STORE_ID):
        return "string"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return "string"


def amazon_schema(df: pd.DataFrame) -> dict[str, list[dict[str, str]]]:
    """Amazon Forecast schema of a frame, attributes in column order."""
    return {
        "Attributes": [
            {"AttributeName": str(c), "AttributeType": _attribute_type(str(c), df[c].dtype)}
            for c in df.columns
        ]
    }


def write_retail_csvs(
    data: RetailData | WeeklyPanel,
    folder: str | Path,
    *,
    flatten: bool = False,
    sep: str = "_",
    write_schemas: bool = True,
) -> RetailCsvFiles:
    """Write ``tts.csv``, ``rts.csv`` and ``item_meta.csv`` (with headers) into ``folder``.

    Timestamps are written ``yyyy-MM-dd``.  ``flatten`` folds ``store_id`` into ``item_id``
    first (item metadata then keyed by series).  Frames a :class:`WeeklyPanel` was generated
    without are skipped.  Returns the paths and the Amazon schema dicts keyed by DatasetType
    (``TARGET_TIME_SERIES``, ``RELATED_TIME_SERIES``, ``ITEM_METADATA``); with
    ``write_schemas`` each schema is also written next to its CSV as ``<name>.schema.json``.
    """
    import polars as pl

    if flatten and isinstance(data, RetailData):
        data = data.flatten(sep)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        TARGET_TIME_SERIES: ("tts.csv", data.target),
        RELATED_TIME_SERIES: ("rts.csv", data.related),
        ITEM_METADATA: ("item_meta.csv", data.item_metadata),
    }
    paths: dict[str, Path] = {}
    schemas: dict[str, dict[str, list[dict[str, str]]]] = {}
    for dataset_type, (file_name, df) in frames.items():
        if df is None:
            continue
        path = folder / file_name
        pl.from_pandas(df).write_csv(path, include_header=True, datetime_format="%Y-%m-%d",
                                     date_format="%Y-%m-%d")
        schema = amazon_schema(df)
        if write_schemas:
            path.with_suffix(".schema.json").write_text(json.dumps(schema, indent=2) + "\n")
        paths[dataset_type] = path
        schemas[dataset_type] = schema
    return RetailCsvFiles(
        paths=paths,
        schemas=schemas,
        forecast_dimensions=tuple(data.forecast_dimensions),
    )

"""From a dataset group's current versions to the model frames (DESIGN.md data contracts).

Series key: the item id joined with the forecast dimensions by ``KEY_SEP``. The target is
aggregated to the forecast frequency (when coarser than the data), laid on a regular grid from
each series' first observation to the global last timestamp, and filled as the predictor's
transformations say (Amazon Forecast's defaults: middlefill and backfill zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from forecasthub.columns import ITEM_ID, TARGET, TIMESTAMP
from forecasthub.errors import InvalidInputError
from forecasthub.forecasting.config import DEFAULT_TARGET_FILL, PredictorConfig

KEY_SEP = "|"
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


@dataclass
class Panel:
    target: pd.DataFrame  # item_id (series key), timestamp, target
    related: pd.DataFrame | None
    static: pd.DataFrame | None
    key_columns: list[str]  # the user's names: item id field + forecast dimensions
    freq_alias: str
    season_length: int
    last_timestamp: datetime
    cold_start: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    def split_keys(self, keys: pd.Series) -> pd.DataFrame:
        """Series keys back to the user's key columns."""
        parts = keys.astype(str).str.split(KEY_SEP, n=len(self.key_columns) - 1, expand=True,
                                           regex=False)
        parts.columns = self.key_columns
        return parts


def make_key(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    if len(columns) == 1:
        return pl.col(columns[0]).cast(pl.String)
    return pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator=KEY_SEP)


def _fill(values: pl.Expr, how: str | None, fill_value: str | None) -> pl.Expr:
    if how in (None, "nan"):
        return values
    if how == "zero":
        return values.fill_null(0.0)
    if how == "value":
        return values.fill_null(float(fill_value or 0))
    window = {"mean": "rolling_mean", "median": "rolling_median", "min": "rolling_min",
              "max": "rolling_max"}[how]
    # statistic of the (up to) 64 most recent observed entries before each gap
    stat = getattr(values.forward_fill(), window)(window_size=64, min_samples=1)
    return values.fill_null(stat.forward_fill())


def load_panel(datasets: dict[str, tuple[Any, pl.DataFrame]], config: PredictorConfig) -> Panel:
    """``datasets``: dataset type -> (dataset row, canonical frame of its current version)."""
    from forecasthub.data.frequency import parse_frequency
    from forecasthub.data.schema import Schema, schema_roles

    tts_row, tts = datasets["TARGET_TIME_SERIES"]
    roles = schema_roles(Schema.from_json(tts_row.schema), "TARGET_TIME_SERIES", tts_row.domain)
    key_columns = [roles.item_id, *config.dimensions]
    freq = parse_frequency(config.frequency)
    data_freq = parse_frequency(tts_row.data_frequency) if tts_row.data_frequency else None
    ts = roles.timestamp
    frame = tts.select([*key_columns, ts, roles.target]).rename({ts: TIMESTAMP, roles.target: TARGET})
    frame = frame.with_columns(pl.col(TARGET).cast(pl.Float64), make_key(frame, key_columns).alias(ITEM_ID))
    rebucket = data_freq is None or data_freq != freq
    if rebucket:
        frame = frame.with_columns(_bucket(pl.col(TIMESTAMP), freq, config).alias(TIMESTAMP))
    fills = {**DEFAULT_TARGET_FILL, **config.transformations.get(roles.target, {})}
    agg = {"sum": pl.col(TARGET).sum(), "avg": pl.col(TARGET).mean(), "first": pl.col(TARGET).first(),
           "min": pl.col(TARGET).min(), "max": pl.col(TARGET).max()}[fills.get("aggregation", "sum")]
    # a bucket whose raw values are all missing stays missing (then filled below)
    agg = pl.when(pl.col(TARGET).count() > 0).then(agg).otherwise(None)
    frame = frame.group_by(ITEM_ID, TIMESTAMP).agg(agg.alias(TARGET)).sort(ITEM_ID, TIMESTAMP)
    weekday = WEEKDAYS[frame[TIMESTAMP].min().weekday()] if freq.unit == "W" else "MONDAY"
    alias = freq.pandas_alias(weekday)
    last = frame[TIMESTAMP].max()
    grid = _grid(frame, alias, last)
    filled = grid.join(frame, on=[ITEM_ID, TIMESTAMP], how="left").sort(ITEM_ID, TIMESTAMP)
    observed_last = frame.group_by(ITEM_ID).agg(pl.col(TIMESTAMP).max().alias("_last"))
    filled = filled.join(observed_last, on=ITEM_ID).with_columns(
        pl.when(pl.col(TIMESTAMP) <= pl.col("_last"))
        .then(_fill(pl.col(TARGET), fills.get("middlefill"), fills.get("middlefill_value")).over(ITEM_ID))
        .otherwise(_fill(pl.col(TARGET), fills.get("backfill"), fills.get("backfill_value")).over(ITEM_ID))
        .alias(TARGET)
    ).drop("_last")
    target = filled.select(ITEM_ID, TIMESTAMP, TARGET).to_pandas()
    target[TIMESTAMP] = target[TIMESTAMP].astype("datetime64[ns]")

    related = None
    if "RELATED_TIME_SERIES" in datasets:
        related = _related(datasets["RELATED_TIME_SERIES"], key_columns, config, alias, grid, last)
    static, cold = None, []
    if "ITEM_METADATA" in datasets:
        static, cold = _static(datasets["ITEM_METADATA"], roles.item_id, key_columns, target)
    return Panel(target=target, related=related, static=static, key_columns=key_columns,
                 freq_alias=alias, season_length=freq.season_length, last_timestamp=last,
                 cold_start=cold)


def _bucket(ts: pl.Expr, freq: Any, config: PredictorConfig) -> pl.Expr:
    unit = {"min": "m", "H": "h", "D": "d", "W": "w", "M": "mo", "Y": "y"}[freq.unit]
    return ts.dt.truncate(f"{freq.n}{unit}")


def _grid(frame: pl.DataFrame, alias: str, last: datetime) -> pl.DataFrame:
    """Every (series, period) from the series' first observation to the global last one."""
    firsts = frame.group_by(ITEM_ID).agg(pl.col(TIMESTAMP).min().alias("first")).sort(ITEM_ID)
    full = pd.date_range(end=last, periods=1, freq=alias)
    starts = firsts["first"].to_list()
    earliest = min(starts)
    calendar = pd.date_range(start=earliest, end=last, freq=alias)
    if len(calendar) == 0 or calendar[-1] != pd.Timestamp(last):
        calendar = pd.DatetimeIndex(sorted(set(calendar) | set(full) | {pd.Timestamp(last)}))
    cal = np.asarray(calendar.values, dtype="datetime64[us]")
    first_idx = np.searchsorted(cal, np.asarray(starts, dtype="datetime64[us]"))
    lengths = len(cal) - first_idx
    items = np.repeat(firsts[ITEM_ID].to_numpy(), lengths)
    stamps = np.concatenate([cal[i:] for i in first_idx]) if len(first_idx) else cal[:0]
    return pl.DataFrame({ITEM_ID: items, TIMESTAMP: stamps}).with_columns(
        pl.col(TIMESTAMP).cast(frame.schema[TIMESTAMP]))


def _related(entry: tuple[Any, pl.DataFrame], key_columns: list[str], config: PredictorConfig,
             alias: str, grid: pl.DataFrame, last: datetime) -> pd.DataFrame:
    from forecasthub.data.schema import Schema, schema_roles

    row, rts = entry
    roles = schema_roles(Schema.from_json(row.schema), "RELATED_TIME_SERIES", row.domain)
    rts_keys = [roles.item_id, *[d for d in roles.dimensions if d in key_columns]]
    if rts_keys != key_columns:
        missing = [c for c in key_columns if c not in rts_keys]
        raise InvalidInputError(f"the related time series lacks the key columns {missing}")
    unlisted = [d for d in roles.dimensions if d not in key_columns]
    if unlisted:
        raise InvalidInputError(f"related time series dimensions {unlisted} must be listed in "
                                "ForecastDimensions")
    features = [f for f in roles.features]
    frame = rts.with_columns(make_key(rts, key_columns).alias(ITEM_ID)).rename(
        {roles.timestamp: TIMESTAMP}).select(ITEM_ID, TIMESTAMP, *features)
    frame = frame.with_columns(pl.col(f).cast(pl.Float64) for f in features)
    future = pd.date_range(start=last, periods=config.horizon + 1, freq=alias)[1:]
    future_grid = pl.DataFrame({ITEM_ID: grid[ITEM_ID].unique().sort()}).join(
        pl.DataFrame({TIMESTAMP: np.asarray(future.values, dtype="datetime64[us]")}), how="cross"
    ).with_columns(pl.col(TIMESTAMP).cast(grid.schema[TIMESTAMP]))
    full = pl.concat([grid, future_grid]).join(frame.with_columns(
        pl.col(TIMESTAMP).cast(grid.schema[TIMESTAMP])), on=[ITEM_ID, TIMESTAMP], how="left")
    full = full.sort(ITEM_ID, TIMESTAMP)
    exprs = []
    for f in features:
        t = config.transformations.get(f, {})
        has_future = (pl.col(TIMESTAMP) > last)
        uncovered = full.filter(has_future & pl.col(f).is_null()).height
        if uncovered and "futurefill" not in t:
            raise InvalidInputError(
                f"the related time series attribute {f!r} does not cover the forecast horizon "
                f"({config.horizon} periods after {last:%Y-%m-%d %H:%M}) for every series; "
                "extend the file or set a futurefill transformation"
            )
        exprs.append(
            pl.when(has_future).then(_fill(pl.col(f), t.get("futurefill"), t.get("futurefill_value")))
            .otherwise(_fill(pl.col(f), t.get("middlefill", "zero"), t.get("middlefill_value")))
            .over(ITEM_ID).fill_null(0.0).alias(f))
    out = full.with_columns(exprs).to_pandas()
    out[TIMESTAMP] = out[TIMESTAMP].astype("datetime64[ns]")
    return out


def _static(entry: tuple[Any, pl.DataFrame], item_field: str, key_columns: list[str],
            target: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    from forecasthub.data.schema import Schema, schema_roles

    row, im = entry
    roles = schema_roles(Schema.from_json(row.schema), "ITEM_METADATA", row.domain)
    meta = im.rename({roles.item_id: item_field}).to_pandas()
    series = pd.DataFrame({ITEM_ID: target[ITEM_ID].unique()})
    if len(key_columns) > 1:
        series[item_field] = series[ITEM_ID].str.split(KEY_SEP, n=1, regex=False).str[0]
    else:
        series[item_field] = series[ITEM_ID]
    static = series.merge(meta, on=item_field, how="left").drop(columns=[item_field])
    cold = []
    if len(key_columns) == 1:  # items with metadata but no history: cold start
        known = set(series[ITEM_ID])
        cold = sorted(set(meta[item_field].astype(str)) - known)
        if cold:
            extra = meta[meta[item_field].astype(str).isin(cold)].rename(columns={item_field: ITEM_ID})
            static = pd.concat([static, extra], ignore_index=True)
    for col in static.columns:
        if col != ITEM_ID and static[col].dtype == object:
            static[col] = static[col].fillna("__missing__").astype("category")
    return static, cold

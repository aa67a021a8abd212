"""A dataset group's current data -> the model frames of one predictor (DESIGN.md contracts).

Composition only: alignment, aggregation, filling and keys are the data layer's
(:mod:`forecasthub.data.featurize`, :mod:`forecasthub.data.keys`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import polars as pl

from forecasthub.columns import ITEM_ID
from forecasthub.data.featurize import (
    Alignment, align, check_forecast_dimensions, parse_transformations, prepare_related,
    prepare_static, prepare_target,
)
from forecasthub.data.keys import split_series_key
from forecasthub.data.schema import Schema, schema_roles
from forecasthub.forecasting.config import PredictorConfig

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
Datasets = dict[str, tuple[Any, pl.DataFrame]]  # dataset type -> (dataset row, canonical frame)


@dataclass
class Panel:
    target: pd.DataFrame  # item_id (series key), timestamp, target
    related: pd.DataFrame | None
    static: pd.DataFrame | None  # keyed by series key
    item_field: str  # the user's item id attribute (item_id, metric_name ...)
    dimensions: list[str]
    alignment: Alignment
    cold_start: list[str] = field(default_factory=list)

    @property
    def key_columns(self) -> list[str]:
        return [self.item_field, *self.dimensions]

    @property
    def last_timestamp(self) -> datetime:
        return self.alignment.history_end

    def split_keys(self, keys: pd.Series) -> pl.DataFrame:
        return split_series_key(pl.Series(ITEM_ID, keys.astype(str).tolist(), pl.String),
                                self.item_field, self.dimensions)


def load_panel(datasets: Datasets, config: PredictorConfig) -> Panel:
    tts_row, tts = datasets["TARGET_TIME_SERIES"]
    schema, domain = Schema.from_json(tts_row.schema), tts_row.domain
    roles = schema_roles(schema, "TARGET_TIME_SERIES", domain)
    rts = datasets.get("RELATED_TIME_SERIES")
    rts_schema = Schema.from_json(rts[0].schema) if rts else None
    related_fields = ([a.name for a in rts_schema if a.name in schema_roles(
        rts_schema, "RELATED_TIME_SERIES", rts[0].domain).features and a.is_numeric]
        if rts else [])
    featurization = parse_transformations(config.attribute_configs, target=roles.target,
                                          related=related_fields)
    dims = check_forecast_dimensions(schema, "TARGET_TIME_SERIES", config.dimensions, domain)
    boundary = config.time_alignment_boundary
    if boundary is None and config.frequency.lstrip("0123456789") == "W":
        # weekly data keeps its own weekday unless the user asks for another boundary
        first = tts.select(pl.col(roles.timestamp).min()).item()
        boundary = {"DayOfWeek": WEEKDAYS[first.weekday()]}
    alignment = align(tts, schema, config.frequency, boundary, domain=domain)
    target = prepare_target(tts, schema, alignment, featurization=featurization.target,
                            forecast_dimensions=dims, domain=domain)
    related = None
    if rts:
        related = prepare_related(rts[1], rts_schema, alignment, horizon=config.horizon,
                                  featurization=featurization.related, forecast_dimensions=dims,
                                  domain=rts[0].domain)
    static, cold = None, []
    if "ITEM_METADATA" in datasets:
        im_row, im = datasets["ITEM_METADATA"]
        static, cold = _series_static(prepare_static(im, Schema.from_json(im_row.schema),
                                                     domain=im_row.domain), target, roles.item_id, dims)
    return Panel(target=target, related=related, static=static, item_field=roles.item_id,
                 dimensions=dims, alignment=alignment, cold_start=cold)


def _series_static(meta: pd.DataFrame, target: pd.DataFrame, item_field: str, dims: list[str]
                   ) -> tuple[pd.DataFrame, list[str]]:
    """Item metadata keyed by series; items with metadata but no history are cold-start series
    (only without forecast dimensions: a new item has no store to forecast for)."""
    keys = pd.Series(target[ITEM_ID].unique(), name=ITEM_ID)
    items = split_series_key(pl.Series(ITEM_ID, keys.tolist(), pl.String), item_field, dims)
    series = pd.DataFrame({ITEM_ID: keys, "__item": items[item_field].to_list()})
    static = series.merge(meta.rename(columns={ITEM_ID: "__item"}), on="__item", how="left")
    static = static.drop(columns="__item")
    cold: list[str] = []
    if not dims:
        cold = sorted(set(meta[ITEM_ID].astype(str)) - set(keys))
        if cold:
            static = pd.concat([static, meta[meta[ITEM_ID].astype(str).isin(cold)]],
                               ignore_index=True)
    for column in static.columns:
        if column != ITEM_ID and isinstance(meta[column].dtype, pd.CategoricalDtype):
            static[column] = static[column].astype(str).astype("category")
    return static, cold

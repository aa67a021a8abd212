"""Featurization at training time: aggregate to the forecast frequency, fill gaps, key series.

Pure functions on canonical frames (AMAZON_FORECAST.md §1.7 "Featurization / filling").

* Target (TTS): raw rows are aggregated per (series, bucket) with ``aggregation`` (sum, avg,
  first, min, max; a bucket whose values are all missing stays missing). A series starts at its
  first non-missing bucket (``frontfill`` none). Missing buckets before its last non-missing
  bucket are filled with ``middlefill``; buckets after it, up to the last bucket of the whole
  TTS, with ``backfill``. Methods: zero, nan, value (``<fill>_value``), and median, mean, min, max
  of the 64 most recent non-missing values before the gap.
* Related (RTS): one row per (series, bucket) (its frequency equals the forecast frequency);
  ``middlefill`` / ``backfill`` as above (no ``nan``), ``futurefill`` for buckets after the
  TTS end through the horizon. RTS has no default fills: missing values without a fill method
  are an InvalidInputError naming the attribute.

Outputs follow the model contract (forecasthub.models.base): pandas frames with ``item_id``
(see :mod:`forecasthub.data.keys`), ``timestamp`` (datetime64[ns], on the regular grid), and
``target`` float64 or the covariates as float64, sorted by (item_id, timestamp).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import polars as pl

from forecasthub.columns import ITEM_ID, TARGET, TIMESTAMP
from forecasthub.data.alignment import (
    Boundary,
    advance,
    anchor,
    bucket_expr,
    polars_interval,
    time_alignment_boundary,
)
from forecasthub.data.frequency import Frequency, parse_frequency
from forecasthub.data.keys import series_key_expr
from forecasthub.data.schema import (
    ITEM_METADATA,
    RELATED_TIME_SERIES,
    TARGET_TIME_SERIES,
    Schema,
    schema_roles,
)
from forecasthub.errors import InvalidInputError

AGGREGATIONS = ("sum", "avg", "first", "min", "max")
TARGET_FILLS = ("zero", "nan", "value", "median", "mean", "min", "max")
RELATED_FILLS = ("zero", "value", "median", "mean", "min", "max")
WINDOW = 64  # entries before a gap that mean/median/min/max look at
_FILL_KEYS = ("middlefill", "backfill", "futurefill")
_KNOWN_KEYS = frozenset(
    {"aggregation", "frontfill", *_FILL_KEYS, *(f"{k}_value" for k in _FILL_KEYS)}
)


# -- Transformations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fill:
    """One fill method; ``value`` only for method ``value``."""

    method: str
    value: float | None = None


@dataclass(frozen=True)
class TargetFeaturization:
    """How the target is aggregated and filled (Amazon's defaults: sum, zero, zero)."""

    aggregation: str = "sum"
    middlefill: Fill = Fill("zero")
    backfill: Fill = Fill("zero")


@dataclass(frozen=True)
class RelatedFeaturization:
    """How one related attribute is filled; None = not given (no default for RTS)."""

    middlefill: Fill | None = None
    backfill: Fill | None = None
    futurefill: Fill | None = None


@dataclass(frozen=True)
class Featurization:
    """Validated Transformations of a predictor: the target's and each related attribute's."""

    target: TargetFeaturization = TargetFeaturization()
    related: dict[str, RelatedFeaturization] = field(default_factory=dict)


def featurizations_to_attribute_configs(
    featurizations: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Legacy ``FeaturizationConfig.Featurizations`` -> AutoPredictor ``AttributeConfigs``."""
    configs = []
    for item in featurizations:
        pipeline = item.get("FeaturizationPipeline") or []
        if len(pipeline) != 1 or pipeline[0].get("FeaturizationMethodName") != "filling":
            raise InvalidInputError(
                f"FeaturizationPipeline of {item.get('AttributeName')!r} must hold exactly one "
                "method named 'filling'"
            )
        params = pipeline[0].get("FeaturizationMethodParameters") or {}
        configs.append({"AttributeName": item.get("AttributeName"), "Transformations": params})
    return configs


def _fill(attribute: str, key: str, transformations: Mapping[str, str], allowed: tuple[str, ...]
          ) -> Fill | None:
    raw = transformations.get(key)
    value_key = f"{key}_value"
    if raw is None:
        if value_key in transformations:
            raise InvalidInputError(f"{attribute}: {value_key} is given but {key} is not 'value'")
        return None
    method = str(raw).strip().lower()
    if method not in allowed:
        raise InvalidInputError(
            f"{attribute}: invalid {key} {raw!r}; expected one of {', '.join(allowed)}"
        )
    if method != "value":
        if value_key in transformations:
            raise InvalidInputError(f"{attribute}: {value_key} is given but {key} is not 'value'")
        return Fill(method)
    if value_key not in transformations:
        raise InvalidInputError(f"{attribute}: {key} 'value' needs {value_key} (a number)")
    try:
        number = float(transformations[value_key])
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise InvalidInputError(
            f"{attribute}: {value_key} must be a number, got {transformations[value_key]!r}"
        )
    return Fill("value", number)


def parse_transformations(
    attribute_configs: Sequence[Mapping[str, Any]] | None,
    *,
    target: str,
    related: Sequence[str] = (),
) -> Featurization:
    """Validate AutoPredictor ``DataConfig.AttributeConfigs`` (InvalidInputError when invalid).

    ``aggregation`` and ``frontfill`` apply only to the ``target`` attribute, ``futurefill`` only
    to ``related`` attributes; ``<fill>_value`` is required (and numeric) with fill ``value``.
    """
    result_target = TargetFeaturization()
    result_related: dict[str, RelatedFeaturization] = {}
    seen: set[str] = set()
    for config in attribute_configs or []:
        name = config.get("AttributeName")
        transformations = config.get("Transformations") or {}
        if not isinstance(name, str) or not name:
            raise InvalidInputError("Every AttributeConfig needs an AttributeName")
        if not isinstance(transformations, Mapping) or not 1 <= len(transformations) <= 20:
            raise InvalidInputError(f"{name}: Transformations must map 1 to 20 keys to values")
        if name in seen:
            raise InvalidInputError(f"Attribute {name!r} is configured twice")
        seen.add(name)
        unknown = sorted(set(transformations) - _KNOWN_KEYS)
        if unknown:
            raise InvalidInputError(
                f"{name}: unknown transformation(s) {', '.join(unknown)}; expected "
                f"{', '.join(sorted(_KNOWN_KEYS))}"
            )
        if name == target:
            if "futurefill" in transformations or "futurefill_value" in transformations:
                raise InvalidInputError(
                    f"{name}: futurefill applies only to related time series attributes"
                )
            front = transformations.get("frontfill", "none")
            if str(front).lower() != "none":
                raise InvalidInputError(f"{name}: frontfill supports only 'none', got {front!r}")
            aggregation = str(transformations.get("aggregation", "sum")).strip().lower()
            if aggregation not in AGGREGATIONS:
                raise InvalidInputError(
                    f"{name}: invalid aggregation {transformations['aggregation']!r}; expected "
                    f"one of {', '.join(AGGREGATIONS)}"
                )
            result_target = TargetFeaturization(
                aggregation,
                _fill(name, "middlefill", transformations, TARGET_FILLS) or Fill("zero"),
                _fill(name, "backfill", transformations, TARGET_FILLS) or Fill("zero"),
            )
        elif name in related:
            for key in ("aggregation", "frontfill"):
                if key in transformations:
                    raise InvalidInputError(
                        f"{name}: {key} applies only to the target attribute {target!r}"
                    )
            result_related[name] = RelatedFeaturization(
                *(_fill(name, k, transformations, RELATED_FILLS) for k in _FILL_KEYS)
            )
        else:
            known = [target, *related]
            raise InvalidInputError(
                f"AttributeConfig for unknown attribute {name!r}; featurization applies to "
                f"{', '.join(known)}"
            )
    return Featurization(result_target, result_related)


# -- alignment of one dataset group -------------------------------------------------------------


@dataclass(frozen=True)
class Alignment:
    """The time grid of one training run: frequency, boundary, first bucket, last history bucket."""

    frequency: Frequency
    boundary: Boundary
    start: datetime  # bucket of the TTS's first timestamp: multi-unit buckets are anchored here
    history_end: datetime  # bucket of the TTS's last timestamp; the forecast starts one step later

    @property
    def pandas_freq(self) -> str:
        """pandas alias of the grid (``W-FRI``, ``3D``, ``MS`` ...)."""
        return self.frequency.pandas_alias(self.boundary.week_start)

    def future_start(self) -> datetime:
        """First forecast bucket."""
        return advance(self.history_end, 1, self.frequency)


def align(
    tts: pl.DataFrame,
    schema: Schema,
    forecast_frequency: str | Frequency,
    time_alignment: Mapping[str, Any] | None = None,
    *,
    domain: str | None = None,
) -> Alignment:
    """The grid of a TTS at the forecast frequency (validates TimeAlignmentBoundary)."""
    freq = parse_frequency(forecast_frequency)
    boundary = time_alignment_boundary(time_alignment, freq)
    roles = schema_roles(schema, TARGET_TIME_SERIES, domain)
    ts = roles.timestamp
    if ts is None or tts.height == 0:
        raise InvalidInputError("The target time series has no timestamps")
    first, last = tts.select(pl.col(ts).min().alias("a"), pl.col(ts).max().alias("b")).row(0)
    start = anchor(first, freq, boundary)
    end = pl.DataFrame({"t": [last]}, schema={"t": pl.Datetime("us")}).select(
        bucket_expr("t", freq, boundary, start)
    ).item()
    return Alignment(freq, boundary, start, end)


def check_forecast_dimensions(
    schema: Schema, dataset_type: str, forecast_dimensions: Sequence[str], domain: str | None = None
) -> list[str]:
    """Validate ForecastDimensions against a TTS/RTS schema; return them in given order."""
    dims = list(forecast_dimensions or [])
    if len(dims) > 10 or len(set(dims)) != len(dims):
        raise InvalidInputError("ForecastDimensions takes 1 to 10 distinct attribute names")
    roles = schema_roles(schema, dataset_type, domain)
    unknown = [d for d in dims if d not in roles.dimensions]
    if unknown and dataset_type == TARGET_TIME_SERIES:
        raise InvalidInputError(
            f"ForecastDimensions {', '.join(unknown)} are not dimensions of the target time "
            f"series (its string attributes besides {roles.item_id}: "
            f"{', '.join(roles.dimensions) or 'none'})"
        )
    if dataset_type == RELATED_TIME_SERIES:
        extra = [d for d in roles.dimensions if d not in dims]
        if extra or unknown:
            raise InvalidInputError(
                "The related time series' dimensions must equal the ForecastDimensions: it has "
                f"{', '.join(roles.dimensions) or 'none'}, ForecastDimensions are "
                f"{', '.join(dims) or 'none'}"
            )
    return dims


# -- filling -------------------------------------------------------------------------------------


def _fill_expr(fill: Fill | None, column: str) -> pl.Expr:
    """Value for a missing point; rolling statistics come from the ``__<method>`` columns."""
    if fill is None:
        return pl.lit(None, pl.Float64)
    if fill.method == "zero":
        return pl.lit(0.0)
    if fill.method == "nan":
        return pl.lit(math.nan)
    if fill.method == "value":
        return pl.lit(fill.value, pl.Float64)
    return pl.col(f"__{column}_{fill.method}")


def _rolling(frame: pl.DataFrame, column: str, methods: set[str]) -> pl.DataFrame:
    """Add ``__<column>_<method>``: statistic of the last 64 observed values, carried forward."""
    methods = methods & {"mean", "median", "min", "max"}
    if not methods:
        return frame
    value = pl.col(column)
    observed = frame.filter(value.is_not_null()).select(
        ITEM_ID, TIMESTAMP,
        *[
            getattr(value, f"rolling_{m}")(WINDOW, min_samples=1).over(ITEM_ID)
            .alias(f"__{column}_{m}")
            for m in sorted(methods)
        ],
    )
    names = [f"__{column}_{m}" for m in sorted(methods)]
    frame = frame.join(observed, on=[ITEM_ID, TIMESTAMP], how="left")
    # a gap before a series' first observation (RTS only) takes the first window's statistic
    return frame.with_columns(
        [pl.col(n).forward_fill().backward_fill().over(ITEM_ID) for n in names]
    )


def _grid(bounds: pl.DataFrame, frequency: Frequency) -> pl.DataFrame:
    """Every bucket from ``start`` to ``end`` of each ``item_id``."""
    return bounds.select(
        ITEM_ID,
        pl.datetime_ranges("start", "end", interval=polars_interval(frequency), time_unit="us")
        .alias(TIMESTAMP),
    ).explode(TIMESTAMP)


def _to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    out = frame.sort([ITEM_ID, TIMESTAMP]).to_pandas()
    out[TIMESTAMP] = out[TIMESTAMP].astype("datetime64[ns]")
    return out.reset_index(drop=True)


def aggregate_target(
    tts: pl.DataFrame,
    schema: Schema,
    alignment: Alignment,
    *,
    aggregation: str = "sum",
    forecast_dimensions: Sequence[str] = (),
    domain: str | None = None,
) -> pl.DataFrame:
    """Aggregate the target per (series key, bucket): polars ``item_id, timestamp, target``.

    Dimensions not in ``forecast_dimensions`` are aggregated over. A bucket with no non-missing
    value (NaN counts as missing) has a null target.
    """
    if aggregation not in AGGREGATIONS:
        raise InvalidInputError(
            f"Invalid aggregation {aggregation!r}; expected one of {', '.join(AGGREGATIONS)}"
        )
    roles = schema_roles(schema, TARGET_TIME_SERIES, domain)
    if roles.item_id is None or roles.timestamp is None or roles.target is None:
        raise InvalidInputError("The target time series needs an item id, a timestamp and a target")
    dims = check_forecast_dimensions(schema, TARGET_TIME_SERIES, forecast_dimensions, domain)
    a = alignment
    frame = tts.select(
        series_key_expr(roles.item_id, dims),
        bucket_expr(roles.timestamp, a.frequency, a.boundary, a.start).alias(TIMESTAMP),
        pl.col(roles.timestamp).alias("__raw_ts"),
        pl.col(roles.target).cast(pl.Float64).fill_nan(None).alias(TARGET),
    )
    value = pl.col(TARGET)
    agg = {
        "sum": value.sum(),
        "avg": value.mean(),
        "min": value.min(),
        "max": value.max(),
        "first": value.drop_nulls().first(),
    }[aggregation]
    if aggregation == "first":
        frame = frame.sort([ITEM_ID, "__raw_ts"])
    return frame.group_by([ITEM_ID, TIMESTAMP]).agg(
        pl.when(value.count() > 0).then(agg).otherwise(None).cast(pl.Float64).alias(TARGET)
    )


def prepare_target(
    tts: pl.DataFrame,
    schema: Schema,
    alignment: Alignment,
    *,
    featurization: TargetFeaturization | None = None,
    forecast_dimensions: Sequence[str] = (),
    domain: str | None = None,
) -> pd.DataFrame:
    """Training frame of the target: ``item_id``, ``timestamp``, ``target`` on a regular grid.

    Each series runs from its first non-missing bucket to ``alignment.history_end``; NaN remains
    only where the user chose ``nan`` filling. Series without any value are dropped.
    """
    feat = featurization or TargetFeaturization()
    buckets = aggregate_target(
        tts, schema, alignment, aggregation=feat.aggregation,
        forecast_dimensions=forecast_dimensions, domain=domain,
    )
    observed = buckets.filter(pl.col(TARGET).is_not_null())
    bounds = observed.group_by(ITEM_ID).agg(
        pl.col(TIMESTAMP).min().alias("start"), pl.col(TIMESTAMP).max().alias("last")
    ).with_columns(end=pl.lit(alignment.history_end, pl.Datetime("us")))
    frame = _grid(bounds.select(ITEM_ID, "start", "end"), alignment.frequency)
    frame = frame.join(buckets, on=[ITEM_ID, TIMESTAMP], how="left").join(
        bounds.select(ITEM_ID, "last"), on=ITEM_ID, how="left"
    ).sort([ITEM_ID, TIMESTAMP])
    frame = _rolling(frame, TARGET, {feat.middlefill.method, feat.backfill.method})
    missing = pl.col(TARGET).is_null()
    frame = frame.with_columns(
        pl.when(~missing).then(pl.col(TARGET))
        .when(pl.col(TIMESTAMP) < pl.col("last")).then(_fill_expr(feat.middlefill, TARGET))
        .otherwise(_fill_expr(feat.backfill, TARGET))
        .cast(pl.Float64).alias(TARGET)
    )
    return _to_pandas(frame.select(ITEM_ID, TIMESTAMP, TARGET))


def prepare_related(
    rts: pl.DataFrame,
    schema: Schema,
    alignment: Alignment,
    *,
    horizon: int,
    featurization: Mapping[str, RelatedFeaturization] | None = None,
    forecast_dimensions: Sequence[str] = (),
    domain: str | None = None,
) -> pd.DataFrame:
    """Related covariates on the grid: ``item_id``, ``timestamp`` + one float64 column each.

    History runs from each series' first bucket to ``alignment.history_end``; the future (the
    ``horizon`` buckets after it) is included when the RTS has rows there or a futurefill is set.
    """
    if horizon < 1:
        raise InvalidInputError("ForecastHorizon must be at least 1")
    roles = schema_roles(schema, RELATED_TIME_SERIES, domain)
    if roles.item_id is None or roles.timestamp is None:
        raise InvalidInputError("The related time series needs an item id and a timestamp")
    dims = check_forecast_dimensions(schema, RELATED_TIME_SERIES, forecast_dimensions, domain)
    features = [a.name for a in schema if a.name in roles.features and a.is_numeric]
    fills = dict(featurization or {})
    unknown = [n for n in fills if n not in features]
    if unknown:
        raise InvalidInputError(f"No related attribute(s) named {', '.join(unknown)}")
    a = alignment
    future_end = advance(a.history_end, horizon, a.frequency)
    frame = rts.select(
        series_key_expr(roles.item_id, dims),
        bucket_expr(roles.timestamp, a.frequency, a.boundary, a.start).alias(TIMESTAMP),
        *[pl.col(f).cast(pl.Float64).fill_nan(None) for f in features],
    ).filter(pl.col(TIMESTAMP) <= future_end)
    dup = frame.filter(pl.struct(ITEM_ID, TIMESTAMP).is_duplicated()).head(1)
    if dup.height:
        key, ts = dup.row(0)[:2]
        raise InvalidInputError(
            f"The related time series has several rows for series {key!r} in the "
            f"{a.frequency} period starting {ts}; its frequency must equal the forecast "
            f"frequency {a.frequency} (related data cannot be aggregated)"
        )
    has_future = frame.select((pl.col(TIMESTAMP) > a.history_end).any()).item()
    wants_future = has_future or any(f.futurefill for f in fills.values())
    end = future_end if wants_future else a.history_end
    bounds = frame.group_by(ITEM_ID).agg(pl.col(TIMESTAMP).min().alias("start")).with_columns(
        end=pl.lit(end, pl.Datetime("us"))
    )
    grid = _grid(bounds, a.frequency).join(frame, on=[ITEM_ID, TIMESTAMP], how="left")
    grid = grid.sort([ITEM_ID, TIMESTAMP])
    history_end = pl.lit(a.history_end, pl.Datetime("us"))
    for name in features:
        fill = fills.get(name, RelatedFeaturization())
        last = pl.col(TIMESTAMP).filter(pl.col(name).is_not_null()).max().over(ITEM_ID)
        methods = {f.method for f in (fill.middlefill, fill.backfill, fill.futurefill) if f}
        grid = _rolling(grid, name, methods)
        missing = pl.col(name).is_null()
        phase = (
            pl.when(~missing).then(pl.lit(""))
            .when(pl.col(TIMESTAMP) > history_end).then(pl.lit("futurefill"))
            .when(pl.col(TIMESTAMP) < last).then(pl.lit("middlefill"))
            .otherwise(pl.lit("backfill"))
        )
        grid = grid.with_columns(phase.alias("__phase"))
        for key in _FILL_KEYS:
            if getattr(fill, key) is None:
                gap = grid.filter(pl.col("__phase") == key).head(1)
                if gap.height:
                    raise InvalidInputError(
                        f"Related attribute {name!r} has missing values that need {key} (e.g. "
                        f"series {gap[ITEM_ID][0]!r} at {gap[TIMESTAMP][0]}); related time "
                        f"series have no default filling: set {key} in its Transformations"
                    )
        grid = grid.with_columns(
            pl.when(pl.col("__phase") == "middlefill").then(_fill_expr(fill.middlefill, name))
            .when(pl.col("__phase") == "backfill").then(_fill_expr(fill.backfill, name))
            .when(pl.col("__phase") == "futurefill").then(_fill_expr(fill.futurefill, name))
            .otherwise(pl.col(name)).cast(pl.Float64).alias(name)
        ).drop("__phase", *[c for c in grid.columns if c.startswith(f"__{name}_")])
        empty = grid.filter(pl.col(name).is_null()).head(1)
        if empty.height:
            raise InvalidInputError(
                f"Related attribute {name!r} cannot be filled for series {empty[ITEM_ID][0]!r}: "
                "it has no values to compute the fill from; use fill 'zero' or 'value'"
            )
    return _to_pandas(grid.select(ITEM_ID, TIMESTAMP, *features))


def prepare_static(
    im: pl.DataFrame, schema: Schema, *, domain: str | None = None
) -> pd.DataFrame:
    """Item metadata for models: ``item_id`` + the other attributes (strings are categorical)."""
    roles = schema_roles(schema, ITEM_METADATA, domain)
    if roles.item_id is None:
        raise InvalidInputError("The item metadata needs an item id (string) attribute")
    others = [c for c in schema.names if c != roles.item_id]
    frame = im.select(pl.col(roles.item_id).alias(ITEM_ID), *others).to_pandas()
    for attr in schema:
        if attr.name in others and attr.type in ("string", "geolocation"):
            frame[attr.name] = frame[attr.name].astype("category")
    return frame

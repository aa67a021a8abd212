"""Series keys: the item id, joined with forecast dimension values when there are any.

Models see one string column ``item_id`` per series (DESIGN.md data contracts). With forecast
dimensions (``store_id`` ...) the key is ``item_id + SEP + store_id + ...`` with
``SEP = "\\x1f"`` (ASCII unit separator: it does not occur in CSV text, so splitting is exact).
Without dimensions the key is the item id unchanged. Null dimension values become "".
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from forecasthub.columns import ITEM_ID

SERIES_KEY_SEPARATOR = "\x1f"


def series_key_expr(item_column: str, dimensions: Sequence[str] = ()) -> pl.Expr:
    """Expression building the series key from the item id column and ``dimensions``."""
    if not dimensions:
        return pl.col(item_column).cast(pl.String).alias(ITEM_ID)
    parts = [pl.col(item_column).cast(pl.String)] + [
        pl.col(d).cast(pl.String).fill_null("") for d in dimensions
    ]
    return pl.concat_str(parts, separator=SERIES_KEY_SEPARATOR).alias(ITEM_ID)


def make_series_key(
    frame: pl.DataFrame, item_column: str, dimensions: Sequence[str] = ()
) -> pl.Series:
    """The series key of every row of ``frame`` (a Utf8 Series named ``item_id``)."""
    return frame.select(series_key_expr(item_column, dimensions)).to_series()


def split_series_key(
    keys: pl.Series | Sequence[str], item_column: str = ITEM_ID, dimensions: Sequence[str] = ()
) -> pl.DataFrame:
    """Inverse of :func:`make_series_key`: ``item_column`` and one column per dimension."""
    series = keys if isinstance(keys, pl.Series) else pl.Series(ITEM_ID, list(keys), pl.String)
    if not dimensions:
        return pl.DataFrame({item_column: series})
    names = [item_column, *dimensions]
    parts = series.str.splitn(SERIES_KEY_SEPARATOR, len(names)).struct.rename_fields(names)
    return parts.struct.unnest()

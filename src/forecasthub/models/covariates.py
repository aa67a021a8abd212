"""Checks and typing of the covariate frames a global model consumes."""

from __future__ import annotations

import pandas as pd

from forecasthub.columns import ITEM_ID, TIMESTAMP
from forecasthub.errors import InvalidInputError
from forecasthub.models.features import categorical_columns


def typed_static(static: pd.DataFrame | None) -> pd.DataFrame | None:
    """Item metadata with string columns as pandas categoricals (fixed category sets)."""
    if static is None or static.shape[1] <= 1:
        return None
    if ITEM_ID not in static.columns:
        raise InvalidInputError(f"Item metadata lacks column {ITEM_ID!r}")
    out = static.drop_duplicates(ITEM_ID).copy()
    out[ITEM_ID] = out[ITEM_ID].astype(str)
    for col in categorical_columns(out, exclude=[ITEM_ID]):
        out[col] = pd.Categorical(out[col].astype(str))
    for col in out.columns:
        if col != ITEM_ID and not isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(float)
    return out.reset_index(drop=True)


def related_columns(related: pd.DataFrame | None) -> list[str]:
    """The covariate columns of the related frame; InvalidInputError when not numeric."""
    if related is None:
        return []
    missing = [c for c in (ITEM_ID, TIMESTAMP) if c not in related.columns]
    if missing:
        raise InvalidInputError(f"Related frame lacks column(s) {missing}")
    cols = [c for c in related.columns if c not in (ITEM_ID, TIMESTAMP)]
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(related[c])]
    if bad:
        raise InvalidInputError(f"Related covariates must be numeric; not: {bad}")
    return cols


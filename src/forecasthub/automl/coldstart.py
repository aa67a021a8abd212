"""Which model forecasts the cold-start items (item metadata, no history) of a fitted predictor.

Only global models (LightGBM, DeepAR, TFT) forecast an item without history. In an AutoML
ensemble such an item has no per-series weights, so it gets the global members' global weights
(renormalised over the members that can forecast it); when every capable member has weight 0
(kept only for cold start, see ``run._cold_start_member``) the ensemble averages them equally.
The record written for a predictor or a forecast (``ColdStart`` in its summary and meta.json):

    {"Model": "LightGBM" | "Ensemble" | None, "Weights": {"LightGBM": 1.0},
     "Items": 4, "ItemIds": ["client_370", ...]}

``Model`` is the one serving model, ``"Ensemble"`` when several share the weight, ``None`` (with
a ``Reason``) when the predictor has no global model and the items get no forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from forecasthub.automl.ensemble import WeightedEnsemble
from forecasthub.automl.fallback import FallbackForecaster
from forecasthub.columns import ITEM_ID
from forecasthub.models.base import Forecaster

MAX_ITEM_IDS = 100  # item ids listed in a record (Items counts them all)


def cold_items(train: pd.DataFrame, static: pd.DataFrame | None) -> list[str]:
    """Items of the item metadata without any training row, sorted."""
    if static is None or ITEM_ID not in static.columns:
        return []
    known = set(train[ITEM_ID].astype(str))
    return sorted(set(static[ITEM_ID].astype(str)) - known)


def cold_start_weights(predictor: Forecaster, items: Sequence[str]) -> dict[str, float]:
    """Model name -> weight in the forecasts of the cold-start ``items`` ({} when no model of
    the predictor can forecast them)."""
    wanted = pd.Index([str(i) for i in items])
    if isinstance(predictor, WeightedEnsemble):
        capable = [n for n, m in predictor.members.items() if len(m.can_forecast(wanted))]
        weights = {n: predictor.weights.get(n, 0.0) for n in capable}
        weights = {n: w for n, w in weights.items() if w > 0} or {n: 1.0 for n in capable}
    elif isinstance(predictor, FallbackForecaster):
        weights = {predictor.model_name: 1.0} if len(predictor.can_forecast(wanted)) else {}
    else:
        weights = {predictor.name: 1.0} if predictor.is_global else {}
    total = sum(weights.values())
    return {n: w / total for n, w in sorted(weights.items())} if total > 0 else {}


def cold_start_record(predictor: Forecaster, items: Sequence[str]) -> dict[str, Any] | None:
    """The ``ColdStart`` record (module docstring); None when there are no cold-start items."""
    if not items:
        return None
    weights = cold_start_weights(predictor, items)
    model = None if not weights else next(iter(weights)) if len(weights) == 1 else "Ensemble"
    record: dict[str, Any] = {"Model": model, "Weights": {k: round(v, 6)
                                                          for k, v in weights.items()},
                              "Items": len(items), "ItemIds": sorted(items)[:MAX_ITEM_IDS]}
    if model is None:
        record["Reason"] = ("no global model (LightGBM, DeepAR, TFT) in the predictor: items "
                            "without history get no forecast")
    return record

"""Forecasting models behind one interface (:class:`Forecaster`), looked up by name."""

from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.registry import (
    arn_for_model,
    create_model,
    get_model_class,
    model_name_for_arn,
    model_names,
    register,
    supported_algorithm_arns,
)

__all__ = [
    "Forecaster",
    "ModelContext",
    "arn_for_model",
    "create_model",
    "get_model_class",
    "model_name_for_arn",
    "model_names",
    "register",
    "supported_algorithm_arns",
]

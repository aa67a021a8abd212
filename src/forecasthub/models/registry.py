"""Name -> model class registry, plus Amazon Forecast algorithm ARNs -> our model names.

Registration is explicit (:func:`register`); an unknown name or ARN raises InvalidInputError
listing the valid ones.
"""

from __future__ import annotations

from typing import Any

from forecasthub.errors import InvalidInputError
from forecasthub.models.base import Forecaster

_REGISTRY: dict[str, type[Forecaster]] = {}
# Models that need an optional extra which is not installed: name -> install hint.
_UNAVAILABLE: dict[str, str] = {}

ARN_PREFIX = "arn:aws:forecast:::algorithm/"
# Amazon Forecast algorithm -> our model; None: not available yet.
_ARN_MODELS: dict[str, str | None] = {
    "ETS": "ETS",
    "ARIMA": "ARIMA",
    "NPTS": "NPTS",
    "Prophet": "Prophet",
    "Deep_AR_Plus": "DeepAR",
    "CNN-QR": None,
}


def register(cls: type[Forecaster]) -> type[Forecaster]:
    """Add a model class under its ``name``; a second class with the same name is an error."""
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise InvalidInputError(f"Model name {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def model_names() -> list[str]:
    """Registered model names, sorted."""
    return sorted(_REGISTRY)


def get_model_class(name: str) -> type[Forecaster]:
    """The class registered under ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        if name in _UNAVAILABLE:
            raise InvalidInputError(
                f"Model {name!r} is not available in this installation; {_UNAVAILABLE[name]}"
            ) from None
        raise InvalidInputError(
            f"Unknown model {name!r}; available models: {', '.join(model_names())}"
        ) from None


def create_model(name: str, **params: Any) -> Forecaster:
    """A new, unfitted instance of model ``name``."""
    return get_model_class(name)(**params)


def supported_algorithm_arns() -> list[str]:
    """Algorithm ARNs that map to a model we have."""
    amazon = [ARN_PREFIX + a for a, m in _ARN_MODELS.items() if m is not None and m in _REGISTRY]
    ours = [ARN_PREFIX + n for n in sorted(_REGISTRY) if n not in _ARN_MODELS]
    return amazon + ours


def model_name_for_arn(arn: str) -> str:
    """Our model name for an Amazon Forecast ``AlgorithmArn``."""
    algorithm = arn[len(ARN_PREFIX):] if arn.startswith(ARN_PREFIX) else None
    name = _ARN_MODELS.get(algorithm) if algorithm is not None else None
    if name is None and (algorithm in _REGISTRY or algorithm in _UNAVAILABLE):
        name = algorithm  # our own algorithms by ARN, e.g. .../LightGBM, .../TFT
    if name is not None and name in _UNAVAILABLE:
        raise InvalidInputError(
            f"AlgorithmArn {arn!r} needs model {name!r}, not available in this installation; "
            f"{_UNAVAILABLE[name]}"
        )
    if name is None or name not in _REGISTRY:
        raise InvalidInputError(
            f"Unsupported AlgorithmArn {arn!r}; supported: {', '.join(supported_algorithm_arns())}"
        )
    return name


def arn_for_model(name: str) -> str | None:
    """The Amazon Forecast ARN of one of our models, or None when it has no Amazon twin."""
    for algorithm, model in _ARN_MODELS.items():
        if model == name:
            return ARN_PREFIX + algorithm
    return None


def _register_builtins() -> None:
    from forecasthub.models.baseline import Mean, Naive, SeasonalNaive
    from forecasthub.models.npts import NPTS
    from forecasthub.models.statistical import (
        ADIDA,
        ARIMA,
        CES,
        ETS,
        IMAPA,
        TSB,
        Croston,
        Theta,
    )
    from forecasthub.models.tree import LightGBM

    for cls in (SeasonalNaive, Naive, Mean, ETS, ARIMA, Theta, CES, Croston, ADIDA, IMAPA, TSB,
                NPTS, LightGBM):
        register(cls)
    _register_deep()
    _register_prophet()


DEEP_MODELS = ("DeepAR", "TFT")  # global GluonTS networks of the `deep` extra


def _register_deep() -> None:
    """DeepAR and TFT only when the `deep` extra (torch, gluonts[torch], lightning) imports."""
    from forecasthub.models.gluonts_common import DEEP_EXTRA_HINT, deep_available

    if deep_available():
        from forecasthub.models.deepar import DeepAR
        from forecasthub.models.tft import TFT

        for cls in (DeepAR, TFT):
            register(cls)
            _UNAVAILABLE.pop(cls.name, None)
    else:
        for name in DEEP_MODELS:
            _UNAVAILABLE[name] = DEEP_EXTRA_HINT


def _register_prophet() -> None:
    """Prophet only when the `prophet` extra (prophet + cmdstanpy) is installed."""
    from forecasthub.models.prophet import PROPHET_EXTRA_HINT, prophet_available

    if prophet_available():
        from forecasthub.models.prophet import Prophet

        register(Prophet)
        _UNAVAILABLE.pop("Prophet", None)
    else:
        _UNAVAILABLE["Prophet"] = PROPHET_EXTRA_HINT


def deep_models_available() -> bool:
    """True when the deep-learning models (the `deep` extra) are registered."""
    return "DeepAR" in _REGISTRY


_register_builtins()

"""A predictor's settings, parsed once from CreateAutoPredictor or CreatePredictor requests."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from forecasthub.data.featurize import featurizations_to_attribute_configs, parse_transformations
from forecasthub.errors import InvalidInputError

METRICS = ("AverageWeightedQuantileLoss", "WAPE", "RMSE", "MAPE", "MASE")
FORECAST_TYPE_RE = re.compile(r"^(0?\.\d\d?|mean)$")
HOLIDAY_CODES = frozenset(
    "AL AR AT AU BA BE BG BO BR BY CA CL CO CR HR CZ DK EC EE ET FI FR DE GR HU IS IN IE IT JP KZ KR "
    "LV LI LT LU MK MT MX MD ME NL NZ NI NG NO PA PY PE PL PT RO RU RS SK SI ZA ES SE CH UA AE US UK "
    "UY VE".split()
)
@dataclass
class PredictorConfig:
    dataset_group_arn: str
    horizon: int
    frequency: str
    forecast_types: list[str] = field(default_factory=lambda: ["0.1", "0.5", "0.9"])
    dimensions: list[str] = field(default_factory=list)
    optimization_metric: str = "AverageWeightedQuantileLoss"
    backtest_windows: int | None = None  # None: AutoML decides (1-3 by history length)
    backtest_offset: int | None = None
    attribute_configs: list[dict[str, Any]] = field(default_factory=list)  # AttributeConfigs
    holidays_country: str | None = None
    algorithm: str | None = None  # None: AutoML ensemble
    time_budget_seconds: float | None = None
    time_alignment_boundary: dict[str, Any] | None = None
    is_auto: bool = True
    training_parameters: dict[str, Any] = field(default_factory=dict)  # typed, legacy only

    @property
    def quantiles(self) -> tuple[float, ...]:
        return tuple(sorted(float(t) for t in self.forecast_types if t != "mean"))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PredictorConfig:
        return cls(**data)


def parse_forecast_types(value: Any) -> list[str]:
    if value is None:
        return ["0.1", "0.5", "0.9"]
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        raise InvalidInputError("ForecastTypes must list 1 to 20 values such as \"0.1\" or \"mean\"")
    out = []
    for t in value:
        if not isinstance(t, str) or not FORECAST_TYPE_RE.match(t):
            raise InvalidInputError(f"ForecastTypes value {t!r} is not a quantile 0.01-0.99 or mean")
        if t != "mean" and not 0.01 <= float(t) <= 0.99:
            raise InvalidInputError(f"ForecastTypes value {t!r} is out of range 0.01-0.99")
        out.append(t)
    if len({float(t) if t != "mean" else -1 for t in out}) != len(out):
        raise InvalidInputError("ForecastTypes has duplicate values")
    return out


def _horizon(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 500:
        raise InvalidInputError(f"ForecastHorizon must be an integer from 1 to 500, got {value!r}")
    return value


def _holiday(code: Any) -> str:
    if code not in HOLIDAY_CODES:
        raise InvalidInputError(
            f"holiday CountryCode {code!r} is not supported; use one of {', '.join(sorted(HOLIDAY_CODES))}"
        )
    return str(code)


def parse_auto_predictor(req: dict[str, Any], target_field: str, related_fields: list[str],
                         time_budget: float | None = None) -> PredictorConfig:
    """CreateAutoPredictor -> config (DataConfig, AttributeConfigs, AdditionalDatasets ...)."""
    data_config = req.get("DataConfig") or {}
    if not data_config.get("DatasetGroupArn"):
        raise InvalidInputError("DataConfig.DatasetGroupArn is required for a new predictor")
    if req.get("ForecastFrequency") is None or req.get("ForecastHorizon") is None:
        raise InvalidInputError("ForecastFrequency and ForecastHorizon are required for a new predictor")
    metric = req.get("OptimizationMetric") or "AverageWeightedQuantileLoss"
    if metric not in METRICS:
        raise InvalidInputError(f"OptimizationMetric must be one of {', '.join(METRICS)}")
    attribute_configs = list(data_config.get("AttributeConfigs") or [])
    parse_transformations(attribute_configs, target=target_field, related=related_fields)
    country = None
    for extra in data_config.get("AdditionalDatasets") or []:
        if extra.get("Name") == "holiday":
            codes = (extra.get("Configuration") or {}).get("CountryCode") or []
            if len(codes) != 1:
                raise InvalidInputError("the holiday dataset needs exactly one CountryCode")
            country = _holiday(codes[0])
        elif extra.get("Name") == "weather":
            raise InvalidInputError("the weather index is not available in forecasthub")
        else:
            raise InvalidInputError(f"AdditionalDatasets Name must be holiday, got {extra.get('Name')!r}")
    dims = req.get("ForecastDimensions") or []
    if not isinstance(dims, list) or len(dims) > 10:
        raise InvalidInputError("ForecastDimensions must list at most 10 attribute names")
    return PredictorConfig(
        dataset_group_arn=data_config["DatasetGroupArn"], horizon=_horizon(req["ForecastHorizon"]),
        frequency=str(req["ForecastFrequency"]), forecast_types=parse_forecast_types(req.get("ForecastTypes")),
        dimensions=list(dims), optimization_metric=metric, attribute_configs=attribute_configs,
        holidays_country=country, time_alignment_boundary=req.get("TimeAlignmentBoundary"),
        time_budget_seconds=req.get("TimeBudgetSeconds") or time_budget, is_auto=True,
    )


def parse_legacy_predictor(req: dict[str, Any], target_field: str, related_fields: list[str]
                           ) -> PredictorConfig:
    """CreatePredictor (AlgorithmArn or PerformAutoML) -> config."""
    from forecasthub.models.registry import model_name_for_arn

    auto_ml = bool(req.get("PerformAutoML"))
    arn = req.get("AlgorithmArn")
    if auto_ml and (arn or req.get("PerformHPO") or req.get("HPOConfig") or req.get("TrainingParameters")):
        raise InvalidInputError("PerformAutoML cannot be combined with AlgorithmArn, HPO or TrainingParameters")
    if not auto_ml and not arn:
        raise InvalidInputError("AlgorithmArn is required unless PerformAutoML is true")
    if req.get("HPOConfig") and not req.get("PerformHPO"):
        raise InvalidInputError("HPOConfig requires PerformHPO")
    if req.get("PerformHPO"):
        raise InvalidInputError("PerformHPO applies to Deep_AR_Plus and CNN-QR, which are not available yet")
    algorithm = None if auto_ml else model_name_for_arn(arn)
    training_parameters = _training_parameters(algorithm, req.get("TrainingParameters"))
    input_config = req.get("InputDataConfig") or {}
    if not input_config.get("DatasetGroupArn"):
        raise InvalidInputError("InputDataConfig.DatasetGroupArn is required")
    feat = req.get("FeaturizationConfig") or {}
    if not feat.get("ForecastFrequency"):
        raise InvalidInputError("FeaturizationConfig.ForecastFrequency is required")
    attribute_configs = featurizations_to_attribute_configs(feat.get("Featurizations") or [])
    parse_transformations(attribute_configs, target=target_field, related=related_fields)
    country = None
    for sup in input_config.get("SupplementaryFeatures") or []:
        if sup.get("Name") == "holiday":
            country = _holiday(sup.get("Value"))
    evaluation = req.get("EvaluationParameters") or {}
    windows = evaluation.get("NumberOfBacktestWindows", 1)
    if not isinstance(windows, int) or not 1 <= windows <= 5:
        raise InvalidInputError("NumberOfBacktestWindows must be from 1 to 5")
    metric = req.get("OptimizationMetric") or "AverageWeightedQuantileLoss"
    if metric not in METRICS:
        raise InvalidInputError(f"OptimizationMetric must be one of {', '.join(METRICS)}")
    return PredictorConfig(
        dataset_group_arn=input_config["DatasetGroupArn"], horizon=_horizon(req.get("ForecastHorizon")),
        frequency=str(feat["ForecastFrequency"]), forecast_types=parse_forecast_types(req.get("ForecastTypes")),
        dimensions=list(feat.get("ForecastDimensions") or []), optimization_metric=metric,
        backtest_windows=windows, backtest_offset=evaluation.get("BackTestWindowOffset"),
        attribute_configs=attribute_configs, holidays_country=country, algorithm=algorithm,
        is_auto=False, training_parameters=training_parameters,
    )


def _training_parameters(algorithm: str | None, values: Any) -> dict[str, Any]:
    """TrainingParameters ({name: "value"}) -> typed values the model is built with; unknown
    names and bad values are errors naming them (forecasthub.tuning.hyperparameters)."""
    if algorithm is None or not values:
        return {}
    from forecasthub.tuning.hyperparameters import build_model, parse_parameters

    params = parse_parameters(algorithm, values, "TrainingParameters")
    build_model(algorithm, params)  # the adapter's own checks, before any training
    return params


def periods_between(first: Any, last: Any, frequency: str) -> int:
    """Whole periods of ``frequency`` from ``first`` to ``last`` (ISO strings or datetimes)."""
    from datetime import datetime

    from forecasthub.data.frequency import parse_frequency

    freq = parse_frequency(frequency)
    a = first if isinstance(first, datetime) else datetime.fromisoformat(str(first).rstrip("Z"))
    b = last if isinstance(last, datetime) else datetime.fromisoformat(str(last).rstrip("Z"))
    if freq.is_fixed:
        return int((b - a).total_seconds() // 60 // freq.step_minutes)
    return ((b.year - a.year) * 12 + b.month - a.month) // freq.months

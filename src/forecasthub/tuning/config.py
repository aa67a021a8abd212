"""CreateHyperParameterTuningJob requests (SageMaker's shapes) parsed into typed settings.

Shape (SageMaker's members; ``TrainingJobDefinition.DataConfig`` is forecasthub's)::

    HyperParameterTuningJobName: "lgbm-tune"          # 1-32: letters, digits, hyphens
    HyperParameterTuningJobConfig:
      Strategy: Bayesian | Random
      RandomSeed: 0                                    # optional
      HyperParameterTuningJobObjective: {Type: Minimize, MetricName: test:mean_wQuantileLoss}
      ResourceLimits: {MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 1,
                       MaxRuntimeInSeconds: 3600}      # the last optional
      ParameterRanges:
        IntegerParameterRanges: [{Name, MinValue, MaxValue, ScalingType}]
        ContinuousParameterRanges: [{Name, MinValue, MaxValue, ScalingType}]
        CategoricalParameterRanges: [{Name, Values: [...]}]
    TrainingJobDefinition:
      AlgorithmSpecification: {AlgorithmName: LightGBM | Deep_AR_Plus | arn:aws:forecast:::algorithm/ETS}
      StaticHyperParameters: {name: "value"}
      DataConfig: {DatasetGroupArn, ForecastHorizon, ForecastFrequency, ForecastTypes,
                   ForecastDimensions, BacktestWindowOffset}

Without ``DataConfig`` (boto3's sagemaker client has no such member), the data is described
SageMaker DeepAR's way: ``StaticHyperParameters`` ``prediction_length`` and ``time_freq`` and the
``train`` channel of ``InputDataConfig``, whose ``S3DataSource.S3Uri`` is the dataset group's ARN
or ``forecasthub://dataset-group/<name>``; ForecastTypes are then 0.1, 0.5, 0.9.
``AlgorithmSpecification.TrainingImage`` naming SageMaker's DeepAR image (``forecasting-deepar``)
means DeepAR. SageMaker's infrastructure members (RoleArn, OutputDataConfig, ResourceConfig,
StoppingCondition, TrainingInputMode, other channels ...) are accepted and ignored.

Min/Max values may be strings (as SageMaker sends them) or numbers. Every error names the
member at fault.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from forecasthub.errors import InvalidInputError
from forecasthub.metrics import MAPE, MASE, RMSE, WAPE, WQL, wql_column
from forecasthub.resources import validate_name
from forecasthub.tuning import hyperparameters as hps

NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
STRATEGIES = ("Bayesian", "Random")
SCALINGS = ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")
INTEGER, CONTINUOUS, CATEGORICAL = "Integer", "Continuous", "Categorical"
MAX_TRIALS = 500
MAX_PARALLEL = 32
# SageMaker DeepAR's objective metrics, and ours, -> the metric column of metrics.score
OBJECTIVE_METRICS = {
    "test:mean_wQuantileLoss": WQL, "test:RMSE": RMSE,
    WQL: WQL, WAPE: WAPE, RMSE: RMSE, MASE: MASE, MAPE: MAPE,
}
WQL_METRIC_RE = re.compile(r"^test:wQuantileLoss\[(0?\.\d\d?)\]$")
GROUP_URI = "forecasthub://dataset-group/"
DATA_MEMBERS = ("prediction_length", "time_freq")
CFG = "HyperParameterTuningJobConfig"
TJD = "TrainingJobDefinition"


@dataclass
class ParameterRange:
    """One searched hyperparameter. ``low``/``high`` for Integer and Continuous ranges, typed
    ``values`` for Categorical ones; ``scaling`` is the resolved one (never Auto)."""

    name: str
    type: str  # Integer | Continuous | Categorical
    low: float | None = None
    high: float | None = None
    scaling: str = "Linear"  # Linear | Logarithmic | ReverseLogarithmic
    values: list[Any] = field(default_factory=list)  # typed values (Categorical)
    labels: list[str] = field(default_factory=list)  # the values as given (Categorical)
    given_scaling: str = "Auto"


@dataclass
class DataSettings:
    dataset_group_arn: str
    horizon: int
    frequency: str
    forecast_types: list[str]
    dimensions: list[str] = field(default_factory=list)
    backtest_offset: int | None = None  # None = horizon: the last ForecastHorizon points


@dataclass
class TuningConfig:
    name: str
    strategy: str
    objective_type: str  # Minimize
    metric_name: str  # as given, e.g. test:mean_wQuantileLoss
    metric: str  # our column, e.g. AverageWeightedQuantileLoss, wQL[0.5]
    max_trials: int
    max_parallel: int
    algorithm: str  # our model name
    algorithm_name: str  # as given
    data: DataSettings
    static: dict[str, Any] = field(default_factory=dict)  # typed, keyed by given names
    static_given: dict[str, str] = field(default_factory=dict)  # as strings
    ranges: list[ParameterRange] = field(default_factory=list)
    seed: int = 0
    max_runtime_s: int | None = None
    predictor_name: str = ""  # the best trial's predictor

    def __post_init__(self) -> None:
        if not self.predictor_name:
            self.predictor_name = best_predictor_name(self.name)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TuningConfig:
        data = dict(data)
        data["data"] = DataSettings(**data["data"])
        data["ranges"] = [ParameterRange(**r) for r in data.get("ranges") or []]
        return cls(**data)

    @property
    def algorithm_arn(self) -> str:
        from forecasthub.models.registry import ARN_PREFIX, arn_for_model

        return arn_for_model(self.algorithm) or ARN_PREFIX + self.algorithm


def best_predictor_name(job_name: str) -> str:
    """Default predictor of a job's best trial: ``<job name, - as _>_best`` (a Forecast name)."""
    base = job_name.replace("-", "_")
    if not base[:1].isalpha():
        base = "hpo_" + base
    return f"{base}_best"[:63]


def _dict(value: Any, field_name: str, required: bool = True) -> dict[str, Any]:
    if value is None:
        if required:
            raise InvalidInputError(f"{field_name} is required")
        return {}
    if not isinstance(value, dict):
        raise InvalidInputError(f"{field_name} must be an object")
    return value


def _list(value: Any, field_name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError(f"{field_name} must be a list")
    return value


def _int(value: Any, field_name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError(f"{field_name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise InvalidInputError(f"{field_name} must be {bound}, got {value}")
    return value


def _number(value: Any, field_name: str) -> float:
    if isinstance(value, bool) or value is None:
        raise InvalidInputError(f"{field_name} must be a number (or a string holding one), "
                                f"got {value!r}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{field_name} must be a number (or a string holding one), "
                                f"got {value!r}") from None
    if not math.isfinite(number):
        raise InvalidInputError(f"{field_name} must be finite, got {value!r}")
    return number


def resolve_algorithm(name: Any, field_name: str) -> str:
    """AlgorithmName: our model name, an Amazon algorithm name (Deep_AR_Plus) or its ARN."""
    from forecasthub.models.registry import ARN_PREFIX, model_name_for_arn, model_names

    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"{field_name} is required")
    if name.startswith("arn:"):
        try:
            return model_name_for_arn(name)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{field_name}: {exc.message}") from None
    if name in model_names():
        return name
    try:
        return model_name_for_arn(ARN_PREFIX + name)
    except InvalidInputError:
        raise InvalidInputError(
            f"{field_name} {name!r} is not an algorithm; use one of {', '.join(model_names())} "
            "(or Amazon's names such as Deep_AR_Plus, or their ARNs)") from None


def resolve_metric(name: Any, forecast_types: list[str], field_name: str) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"{field_name} is required")
    quantiles = [t for t in forecast_types if t != "mean"]
    match = WQL_METRIC_RE.match(name)
    if match:
        q = float(match.group(1))
        if not any(abs(float(t) - q) < 1e-9 for t in quantiles):
            raise InvalidInputError(f"{field_name} {name!r} needs quantile {q:g} in ForecastTypes "
                                    f"({', '.join(forecast_types)})")
        return wql_column(q)
    metric = OBJECTIVE_METRICS.get(name)
    if metric is None:
        raise InvalidInputError(
            f"{field_name}: unknown objective metric {name!r}; valid: "
            f"{', '.join(OBJECTIVE_METRICS)}, test:wQuantileLoss[<quantile>]")
    if metric == WQL and not quantiles:
        raise InvalidInputError(f"{field_name} {name!r} needs quantiles in ForecastTypes, "
                                f"not only mean")
    return metric


def parse_data(value: Any) -> DataSettings:
    from forecasthub.forecasting.config import _horizon, parse_forecast_types

    f = f"{TJD}.DataConfig"
    data = _dict(value, f)
    group = data.get("DatasetGroupArn")
    if not isinstance(group, str) or not group:
        raise InvalidInputError(f"{f}.DatasetGroupArn is required")
    if data.get("ForecastHorizon") is None:
        raise InvalidInputError(f"{f}.ForecastHorizon is required")
    try:
        horizon = _horizon(data["ForecastHorizon"])
    except InvalidInputError as exc:
        raise InvalidInputError(f"{f}.{exc.message}") from None
    frequency = data.get("ForecastFrequency")
    if not isinstance(frequency, str) or not frequency:
        raise InvalidInputError(f"{f}.ForecastFrequency is required (e.g. D, W, H, 15min)")
    try:
        types = parse_forecast_types(data.get("ForecastTypes"))
    except InvalidInputError as exc:
        raise InvalidInputError(f"{f}.{exc.message}") from None
    dims = data.get("ForecastDimensions") or []
    if not isinstance(dims, list) or len(dims) > 10 or not all(isinstance(d, str) for d in dims):
        raise InvalidInputError(f"{f}.ForecastDimensions must list at most 10 attribute names")
    offset = data.get("BacktestWindowOffset")
    if offset is not None:
        offset = _int(offset, f"{f}.BacktestWindowOffset", horizon, 500)
    unknown = sorted(set(data) - {"DatasetGroupArn", "ForecastHorizon", "ForecastFrequency",
                                  "ForecastTypes", "ForecastDimensions", "BacktestWindowOffset"})
    if unknown:
        raise InvalidInputError(f"{f}: unknown member(s) {', '.join(unknown)}")
    return DataSettings(dataset_group_arn=group, horizon=horizon, frequency=frequency,
                        forecast_types=types, dimensions=list(dims), backtest_offset=offset)


def sagemaker_data(definition: dict[str, Any]) -> DataSettings:
    """The data settings SageMaker's way: DeepAR's prediction_length and time_freq, and the
    dataset group in the ``train`` channel (an ARN, or ``forecasthub://dataset-group/<name>``,
    left as the name)."""
    from forecasthub.forecasting.config import parse_forecast_types

    static = definition.get("StaticHyperParameters") or {}
    f = f"{TJD}.StaticHyperParameters"
    for member in DATA_MEMBERS:
        if not isinstance(static, dict) or static.get(member) is None:
            raise InvalidInputError(f"{TJD}.DataConfig is required, or else {f}.prediction_length, "
                                    f"{f}.time_freq and a 'train' channel in {TJD}.InputDataConfig")
    horizon = _int(static["prediction_length"], f"{f}.prediction_length", 1, 500)
    frequency = hps.forecast_frequency(static["time_freq"], f)
    channels = _list(definition.get("InputDataConfig"), f"{TJD}.InputDataConfig")
    train = [c for c in channels if isinstance(c, dict) and c.get("ChannelName") == "train"]
    uri = ((train[0].get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri") \
        if train else None
    if not isinstance(uri, str) or not uri.startswith(("arn:", GROUP_URI)) or uri == GROUP_URI:
        raise InvalidInputError(
            f"{TJD}.InputDataConfig needs a 'train' channel whose DataSource.S3DataSource.S3Uri "
            f"is a dataset group ARN or {GROUP_URI}<name>, got {uri!r}")
    return DataSettings(dataset_group_arn=uri.removeprefix(GROUP_URI), horizon=horizon,
                        frequency=frequency, forecast_types=parse_forecast_types(None))


def _resolve_scaling(given: Any, low: float, high: float, kind: str, field_name: str) -> str:
    if given is None:
        given = "Auto"
    if given not in SCALINGS:
        raise InvalidInputError(f"{field_name}.ScalingType must be one of {', '.join(SCALINGS)}, "
                                f"got {given!r}")
    if given == "Auto":  # log when the range spans two or more orders of magnitude
        return "Logarithmic" if low > 0 and high / low >= 100 else "Linear"
    if given == "Logarithmic":
        if kind == INTEGER and low < 1:
            raise InvalidInputError(f"{field_name}: Logarithmic scaling of an integer range needs "
                                    f"MinValue >= 1, got {_fmt(low)}")
        if low <= 0:
            raise InvalidInputError(f"{field_name}: Logarithmic scaling needs MinValue > 0, got "
                                    f"{_fmt(low)}")
    if given == "ReverseLogarithmic":
        if kind == INTEGER:
            raise InvalidInputError(f"{field_name}: ReverseLogarithmic scaling applies to "
                                    "continuous ranges only")
        if not (0 <= low and high < 1):
            raise InvalidInputError(f"{field_name}: ReverseLogarithmic scaling needs "
                                    f"0 <= MinValue <= MaxValue < 1, got [{_fmt(low)}, "
                                    f"{_fmt(high)}]")
    return str(given)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def parse_ranges(value: Any, algorithm: str) -> list[ParameterRange]:
    f = f"{CFG}.ParameterRanges"
    ranges_in = _dict(value, f, required=False)
    unknown = sorted(set(ranges_in) - {"IntegerParameterRanges", "ContinuousParameterRanges",
                                       "CategoricalParameterRanges"})
    if unknown:
        raise InvalidInputError(f"{f}: unsupported member(s) {', '.join(unknown)} (AutoParameters "
                                "is not available)")
    out: list[ParameterRange] = []
    seen: set[str] = set()
    args: dict[str, str] = {}
    for member, kind in (("IntegerParameterRanges", INTEGER),
                         ("ContinuousParameterRanges", CONTINUOUS),
                         ("CategoricalParameterRanges", CATEGORICAL)):
        for i, item in enumerate(_list(ranges_in.get(member), f"{f}.{member}")):
            where = f"{f}.{member}[{i}]"
            item = _dict(item, where)
            name = item.get("Name")
            if not isinstance(name, str) or not name:
                raise InvalidInputError(f"{where}.Name is required")
            where = f"{where} ({name})"
            hp = hps.spec(algorithm, name, where)
            if name in seen:
                raise InvalidInputError(f"{where}: hyperparameter {name!r} has more than one range")
            if hp.arg in args:
                raise InvalidInputError(f"{where}: {name!r} and {args[hp.arg]!r} set the same "
                                        f"parameter of {algorithm}; give one")
            seen.add(name)
            args[hp.arg] = name
            out.append(_parse_range(item, kind, hp, where))
    return out


def _parse_range(item: dict[str, Any], kind: str, hp: hps.Hyperparameter, where: str
                 ) -> ParameterRange:
    if kind == CATEGORICAL:
        extra = sorted(set(item) - {"Name", "Values"})
        if extra:
            raise InvalidInputError(f"{where}: unknown member(s) {', '.join(extra)}")
        values = item.get("Values")
        if not isinstance(values, list) or not values:
            raise InvalidInputError(f"{where}.Values must list at least one value")
        if len(values) > 30:
            raise InvalidInputError(f"{where}.Values may list at most 30 values")
        typed, labels = [], []
        for v in values:
            if isinstance(v, dict | list) or v is None:
                raise InvalidInputError(f"{where}.Values: each value must be a string, got {v!r}")
            converted = hps.convert(hp, v, f"{where}.Values")
            label = hps.as_string(converted)
            if label in labels:
                raise InvalidInputError(f"{where}.Values lists {label!r} twice")
            typed.append(converted)
            labels.append(label)
        return ParameterRange(name=hp.name, type=CATEGORICAL, values=typed, labels=labels,
                              scaling="Linear", given_scaling="Auto")
    extra = sorted(set(item) - {"Name", "MinValue", "MaxValue", "ScalingType"})
    if extra:
        raise InvalidInputError(f"{where}: unknown member(s) {', '.join(extra)}")
    if kind == INTEGER and hp.kind != hps.INT:
        raise InvalidInputError(f"{where}: {hp.name} is a {hp.kind} hyperparameter, not an "
                                f"integer; use {_range_for(hp)}")
    if kind == CONTINUOUS and hp.kind != hps.FLOAT:
        raise InvalidInputError(f"{where}: {hp.name} is a {hp.kind} hyperparameter, not a "
                                f"continuous one; use {_range_for(hp)}")
    for member in ("MinValue", "MaxValue"):
        if item.get(member) is None:
            raise InvalidInputError(f"{where}.{member} is required")
    low = _number(item["MinValue"], f"{where}.MinValue")
    high = _number(item["MaxValue"], f"{where}.MaxValue")
    if kind == INTEGER:
        for member, number in (("MinValue", low), ("MaxValue", high)):
            if not number.is_integer():
                raise InvalidInputError(f"{where}.{member} must be an integer, got "
                                        f"{item[member]!r}")
    if low > high:
        raise InvalidInputError(f"{where}: MinValue {_fmt(low)} is greater than MaxValue "
                                f"{_fmt(high)}")
    hp.check_bound(low, f"{where}.MinValue")
    hp.check_bound(high, f"{where}.MaxValue")
    scaling = _resolve_scaling(item.get("ScalingType"), low, high, kind, where)
    return ParameterRange(name=hp.name, type=kind, low=low, high=high, scaling=scaling,
                          given_scaling=str(item.get("ScalingType") or "Auto"))


def _range_for(hp: hps.Hyperparameter) -> str:
    return {hps.INT: "IntegerParameterRanges", hps.FLOAT: "ContinuousParameterRanges"}.get(
        hp.kind, "CategoricalParameterRanges")


def parse_tuning_request(req: dict[str, Any]) -> TuningConfig:
    """A CreateHyperParameterTuningJob request -> :class:`TuningConfig` (no store access)."""
    name = req.get("HyperParameterTuningJobName")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InvalidInputError(
            f"HyperParameterTuningJobName {name!r} is not valid: 1-32 letters, digits or "
            "hyphens, starting and ending with a letter or digit")
    if req.get("TrainingJobDefinitions"):
        raise InvalidInputError("TrainingJobDefinitions (several algorithms) is not supported; "
                                "give one TrainingJobDefinition")
    if req.get("WarmStartConfig"):
        raise InvalidInputError("WarmStartConfig is not supported")
    if req.get("Autotune"):
        raise InvalidInputError("Autotune is not supported; give the ranges")
    cfg = _dict(req.get(CFG), CFG)
    definition = _dict(req.get(TJD), TJD)

    strategy = cfg.get("Strategy")
    if strategy not in STRATEGIES:
        raise InvalidInputError(f"{CFG}.Strategy must be one of {', '.join(STRATEGIES)}, got "
                                f"{strategy!r}")
    if cfg.get("TrainingJobEarlyStoppingType") not in (None, "Off"):
        raise InvalidInputError(f"{CFG}.TrainingJobEarlyStoppingType must be Off: trials are not "
                                "stopped early")
    for member in ("StrategyConfig", "TuningJobCompletionCriteria"):
        if cfg.get(member):
            raise InvalidInputError(f"{CFG}.{member} is not supported")
    seed = _int(cfg.get("RandomSeed", 0), f"{CFG}.RandomSeed", 0, 2**31 - 1)

    data = parse_data(definition["DataConfig"]) if definition.get("DataConfig") is not None \
        else sagemaker_data(definition)
    spec = _dict(definition.get("AlgorithmSpecification"), f"{TJD}.AlgorithmSpecification")
    image = spec.get("TrainingImage")
    if image and not spec.get("AlgorithmName"):
        if "forecasting-deepar" not in str(image):
            raise InvalidInputError(f"{TJD}.AlgorithmSpecification.TrainingImage {image!r} is not "
                                    "SageMaker's DeepAR image; give AlgorithmName")
        spec = {**spec, "AlgorithmName": "DeepAR"}
    if spec.get("MetricDefinitions"):
        raise InvalidInputError(f"{TJD}.AlgorithmSpecification.MetricDefinitions is not "
                                "supported: the objective metrics are built in")
    algorithm_name = spec.get("AlgorithmName")
    algorithm = resolve_algorithm(algorithm_name, f"{TJD}.AlgorithmSpecification.AlgorithmName")

    objective = _dict(cfg.get("HyperParameterTuningJobObjective")
                      or definition.get("TuningObjective"),
                      f"{CFG}.HyperParameterTuningJobObjective")
    f_obj = f"{CFG}.HyperParameterTuningJobObjective"
    objective_type = objective.get("Type")
    if objective_type not in ("Minimize", "Maximize"):
        raise InvalidInputError(f"{f_obj}.Type must be Minimize or Maximize, got "
                                f"{objective_type!r}")
    metric = resolve_metric(objective.get("MetricName"), data.forecast_types, f"{f_obj}.MetricName")
    if objective_type == "Maximize":
        raise InvalidInputError(f"{f_obj}.Type: {objective.get('MetricName')} is a loss (lower is "
                                "better); use Minimize")

    limits = _dict(cfg.get("ResourceLimits"), f"{CFG}.ResourceLimits")
    max_trials = _int(limits.get("MaxNumberOfTrainingJobs", 10),
                      f"{CFG}.ResourceLimits.MaxNumberOfTrainingJobs", 1, MAX_TRIALS)
    max_parallel = _int(limits.get("MaxParallelTrainingJobs", 1),
                        f"{CFG}.ResourceLimits.MaxParallelTrainingJobs", 1, MAX_PARALLEL)
    if max_parallel > max_trials:
        raise InvalidInputError(f"{CFG}.ResourceLimits.MaxParallelTrainingJobs ({max_parallel}) "
                                f"is greater than MaxNumberOfTrainingJobs ({max_trials})")
    runtime = limits.get("MaxRuntimeInSeconds")
    if runtime is not None:
        runtime = _int(runtime, f"{CFG}.ResourceLimits.MaxRuntimeInSeconds", 1, 15_768_000)

    ranges = parse_ranges(cfg.get("ParameterRanges") or definition.get("HyperParameterRanges"),
                          algorithm)
    f_static = f"{TJD}.StaticHyperParameters"
    static_in = definition.get("StaticHyperParameters")
    static = hps.parse_parameters(algorithm, static_in, f_static, data.horizon, data.frequency)
    both = sorted(set(static) & {r.name for r in ranges})
    if both:
        raise InvalidInputError(f"{f_static}: {', '.join(both)} also has a range in "
                                f"{CFG}.ParameterRanges; give it once")
    tuned_args = {hps.specs(algorithm)[r.name].arg: r.name for r in ranges}
    for static_name in static:
        arg = hps.specs(algorithm)[static_name].arg
        if arg in tuned_args:
            raise InvalidInputError(f"{f_static}: {static_name!r} and the range of "
                                    f"{tuned_args[arg]!r} set the same parameter; give one")
    if not ranges:
        raise InvalidInputError(f"{CFG}.ParameterRanges must give at least one range")
    predictor_name = req.get("BestPredictorName") or best_predictor_name(name)
    validate_name(predictor_name, "BestPredictorName")
    static_given = {k: hps.as_string(v) for k, v in static.items()}
    hps.build_model(algorithm, static)  # the adapter's own checks of the static values
    return TuningConfig(
        name=name, strategy=strategy, objective_type=objective_type,
        metric_name=str(objective.get("MetricName")), metric=metric, max_trials=max_trials,
        max_parallel=max_parallel, algorithm=algorithm, algorithm_name=str(algorithm_name),
        data=data, static=static, static_given=static_given, ranges=ranges, seed=seed,
        max_runtime_s=runtime, predictor_name=predictor_name,
    )

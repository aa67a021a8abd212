"""The hyperparameters each algorithm accepts, by the names users give (Amazon Forecast's
``TrainingParameters`` and SageMaker DeepAR's names), their types and bounds, and how they map
onto the model adapters' keyword arguments.

Values arrive as strings (SageMaker's ``StaticHyperParameters``, Amazon's ``TrainingParameters``
are ``{name: "value"}`` maps) or as JSON numbers/booleans; :func:`convert` turns one into its
typed value with an error naming the parameter. :func:`build_model` creates the model of a trial
or of a predictor trained with ``TrainingParameters``, the same way for both, on top of the
defaults AutoML uses for that algorithm (for LightGBM: seasonal differencing and the recent-rows
cap chosen from the data).

An unknown name is an error listing the valid ones. Parameters of the adapters that SageMaker
DeepAR has but our adapter lacks (``embedding_dimension``, ``num_dynamic_feat``, ``cardinality``)
are refused with that reason.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from forecasthub.errors import InvalidInputError

INT, FLOAT, STR, BOOL, INT_LIST = "int", "float", "str", "bool", "int_list"


@dataclass(frozen=True)
class Hyperparameter:
    """One tunable or static hyperparameter of an algorithm."""

    name: str  # the name users give
    kind: str  # int | float | str | bool | int_list
    arg: str  # the adapter's keyword argument
    low: float | None = None  # inclusive unless low_open
    high: float | None = None  # inclusive unless high_open
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None  # allowed values (str kinds), case-insensitive
    doc: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in (INT, FLOAT)

    def bounds_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.low is None and self.high is None:
            return "any value"
        lo = "" if self.low is None else f"{'(' if self.low_open else '['}{_num(self.low)}"
        hi = "" if self.high is None else f"{_num(self.high)}{')' if self.high_open else ']'}"
        if self.low is not None and self.high is not None:
            return f"in {lo}, {hi}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {_num(self.low)}"
        return f"{'<' if self.high_open else '<='} {_num(self.high)}"

    def check_bound(self, value: float, field: str) -> None:
        """InvalidInputError when ``value`` lies outside the parameter's bounds."""
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise InvalidInputError(f"{field}: {self.name} must be {self.bounds_text()}, got "
                                    f"{_num(value)}")
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            raise InvalidInputError(f"{field}: {self.name} must be {self.bounds_text()}, got "
                                    f"{_num(value)}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _hp(name: str, kind: str, arg: str | None = None, **kw: Any) -> Hyperparameter:
    return Hyperparameter(name=name, kind=kind, arg=arg or name, **kw)


_LGB = [
    _hp("n_estimators", INT, low=1, high=100_000, doc="boosting rounds"),
    _hp("learning_rate", FLOAT, low=0, high=1, low_open=True),
    _hp("num_leaves", INT, low=2, high=131_072),
    _hp("min_child_samples", INT, low=1),
    _hp("max_depth", INT, low=-1, doc="-1 = no limit"),
    _hp("subsample", FLOAT, low=0, high=1, low_open=True),
    _hp("colsample_bytree", FLOAT, low=0, high=1, low_open=True),
    _hp("reg_alpha", FLOAT, low=0),
    _hp("reg_lambda", FLOAT, low=0),
    _hp("min_split_gain", FLOAT, low=0),
    _hp("lags", INT_LIST, low=1, doc="comma-separated lags, e.g. \"1,2,3,7\""),
    _hp("target_transform", STR, choices=("none", "scale", "difference")),
    _hp("quantile_method", STR, choices=("residual", "quantile", "conformal")),
    _hp("max_rows_per_series", INT, low=1),
]
_STATS = [  # every statsforecast-backed local model
    _hp("max_length", INT, low=0, doc="most recent points per series to fit on (0 = all)"),
    _hp("conformal_windows", INT, low=1, doc="conformal intervals with this many windows"),
]
_DEEPAR = [
    _hp("epochs", INT, low=1, high=10_000),
    _hp("context_length", INT, low=1),
    _hp("num_layers", INT, low=1, high=8),
    _hp("num_cells", INT, low=1, high=1024),
    _hp("dropout_rate", FLOAT, low=0, high=1, high_open=True),
    _hp("learning_rate", FLOAT, low=0, high=1, low_open=True, high_open=True),
    _hp("mini_batch_size", INT, "batch_size", low=1, high=4096, doc="SageMaker's name"),
    _hp("batch_size", INT, low=1, high=4096),
    _hp("likelihood", STR, choices=("student-t", "negative-binomial", "gaussian")),
    _hp("num_batches_per_epoch", INT, low=1),
    _hp("early_stopping_patience", INT, low=1),
    _hp("num_eval_samples", INT, "num_samples", low=1, doc="SageMaker's name"),
    _hp("num_samples", INT, low=1),
    _hp("lags_seq", INT_LIST, low=1),
]
_NPTS = [
    _hp("num_samples", INT, low=1),
    _hp("context_length", INT, low=1),
    _hp("use_seasonal_model", BOOL),
    _hp("kernel_type", STR, choices=("exponential", "uniform")),
    _hp("exp_kernel_weights", FLOAT, low=0, low_open=True),
]

_PROPHET = [
    _hp("growth", STR, choices=("linear", "flat")),
    _hp("changepoint_prior_scale", FLOAT, low=0, low_open=True),
    _hp("seasonality_prior_scale", FLOAT, low=0, low_open=True),
    _hp("holidays_prior_scale", FLOAT, low=0, low_open=True),
    _hp("seasonality_mode", STR, choices=("additive", "multiplicative")),
    _hp("uncertainty_samples", INT, low=1),
    _hp("max_length", INT, low=1),
]
_TFT = [
    _hp("epochs", INT, low=1, high=10_000),
    _hp("context_length", INT, low=1),
    _hp("learning_rate", FLOAT, low=0, high=1, low_open=True, high_open=True),
    _hp("hidden_dim", INT, low=1, high=1024, doc="a multiple of num_heads"),
    _hp("variable_dim", INT, low=1, high=1024),
    _hp("num_heads", INT, low=1, high=64),
    _hp("dropout_rate", FLOAT, low=0, high=1, high_open=True),
    _hp("weight_decay", FLOAT, low=0),
    _hp("mini_batch_size", INT, "batch_size", low=1, high=4096),
    _hp("batch_size", INT, low=1, high=4096),
    _hp("num_batches_per_epoch", INT, low=1),
    _hp("early_stopping_patience", INT, low=1),
]

HYPERPARAMETERS: dict[str, list[Hyperparameter]] = {
    "LightGBM": _LGB,
    "ETS": [_hp("model", STR, doc="statsforecast AutoETS model string, e.g. ZZZ, AAN, MAM"),
            _hp("damped", BOOL), *_STATS],
    "ARIMA": [_hp(n, INT, low=0, high=10) for n in ("max_p", "max_q", "max_P", "max_Q", "max_d",
                                                       "max_D", "max_order")]
    + [_hp("stepwise", BOOL), _hp("allowdrift", BOOL), *_STATS],
    "Theta": [_hp("decomposition_type", STR, choices=("multiplicative", "additive")),
              _hp("auto", BOOL, doc="AutoTheta instead of DynamicOptimizedTheta"), *_STATS],
    "CES": [_hp("model", STR, doc="statsforecast AutoCES model: Z, N, S, P, F"), *_STATS],
    "TSB": [_hp("alpha_d", FLOAT, low=0, high=1), _hp("alpha_p", FLOAT, low=0, high=1), *_STATS],
    "NPTS": _NPTS,
    "DeepAR": _DEEPAR,
    "TFT": _TFT,
    "Prophet": _PROPHET,
}
# SageMaker DeepAR names that only restate the data settings, checked against them.
DATA_SETTINGS = {"prediction_length": "DataConfig.ForecastHorizon",
                 "time_freq": "DataConfig.ForecastFrequency"}
# SageMaker DeepAR's time_freq (pandas-style: H, 1H, 5min, 5T, D, W, M) -> ForecastFrequency
TIME_FREQ_RE = re.compile(r"^\s*(\d*)\s*(min|T|H|h|D|d|W|M|Y)\s*$")
PANDAS_UNITS = {"T": "min", "h": "H", "d": "D"}
# Names of SageMaker's DeepAR that forecasthub's adapter does not have.
UNSUPPORTED = {
    "DeepAR": {
        "embedding_dimension": "forecasthub's DeepAR adapter sizes the categorical embeddings itself",
        "cardinality": "forecasthub derives the cardinalities from the item metadata",
        "num_dynamic_feat": "forecasthub uses every numeric related time series field",
        "test_quantiles": "use ForecastTypes",
    },
}


def specs(algorithm: str) -> dict[str, Hyperparameter]:
    """Name -> spec of the hyperparameters ``algorithm`` (our model name) accepts."""
    return {h.name: h for h in HYPERPARAMETERS.get(algorithm, [])}


def spec(algorithm: str, name: Any, field: str) -> Hyperparameter:
    """The spec of one parameter; InvalidInputError listing the valid ones when unknown."""
    known = specs(algorithm)
    if name in known:
        return known[name]
    reason = UNSUPPORTED.get(algorithm, {}).get(name)
    if reason:
        raise InvalidInputError(f"{field}: hyperparameter {name!r} is not supported for "
                                f"{algorithm}: {reason}")
    valid = ", ".join(sorted(known)) if known else "none (it has no hyperparameters)"
    raise InvalidInputError(f"{field}: unknown hyperparameter {name!r} for algorithm {algorithm}; "
                            f"valid: {valid}")


def convert(hp: Hyperparameter, raw: Any, field: str) -> Any:
    """A given value (string, number, boolean or list) -> the typed value, bounds checked."""
    where = f"{field}: {hp.name}"
    if hp.kind == INT:
        value = _to_number(raw, where)
        if not float(value).is_integer():
            raise InvalidInputError(f"{where} must be an integer, got {raw!r}")
        value = int(value)
        hp.check_bound(value, field)
        return value
    if hp.kind == FLOAT:
        value = float(_to_number(raw, where))
        hp.check_bound(value, field)
        return value
    if hp.kind == BOOL:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise InvalidInputError(f"{where} must be true or false, got {raw!r}")
    if hp.kind == INT_LIST:
        items = raw
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("["):
                try:
                    items = json.loads(text)
                except ValueError:
                    raise InvalidInputError(f"{where} must be a list of integers such as "
                                            f"\"1,2,7\", got {raw!r}") from None
            else:
                items = [p for p in text.replace(";", ",").split(",") if p.strip()]
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            items = [raw]
        if not isinstance(items, list) or not items:
            raise InvalidInputError(f"{where} must be a non-empty list of integers such as "
                                    f"\"1,2,7\", got {raw!r}")
        out = []
        for item in items:
            number = _to_number(item, where)
            if not float(number).is_integer():
                raise InvalidInputError(f"{where} must list integers, got {item!r}")
            hp.check_bound(int(number), field)
            out.append(int(number))
        return sorted(set(out))
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InvalidInputError(f"{where} must be a string, got {raw!r}")
    text = str(raw).strip()
    if not text:
        raise InvalidInputError(f"{where} must not be empty")
    if hp.choices:
        match = next((c for c in hp.choices if c.lower() == text.lower()), None)
        if match is None:
            raise InvalidInputError(f"{where} must be one of {', '.join(hp.choices)}, got {raw!r}")
        return match
    return text


def _to_number(raw: Any, where: str) -> float:
    if isinstance(raw, bool):
        raise InvalidInputError(f"{where} must be a number, got {raw!r}")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise InvalidInputError(f"{where} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise InvalidInputError(f"{where} must be a finite number, got {raw!r}")
    return value


def as_string(value: Any) -> str:
    """A typed value the way SageMaker reports hyperparameters: a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def forecast_frequency(time_freq: Any, field: str) -> str:
    """SageMaker DeepAR's ``time_freq`` ("H", "1H", "5min", "5T", "D", "W", "M") -> our
    ForecastFrequency ("H", "5min" ...)."""
    from forecasthub.data.frequency import parse_frequency

    match = TIME_FREQ_RE.match(str(time_freq))
    if not match:
        raise InvalidInputError(f"{field}: time_freq {time_freq!r} is not a frequency such as "
                                "H, D, W, M or 5min")
    unit = PANDAS_UNITS.get(match.group(2), match.group(2))
    try:
        return str(parse_frequency(match.group(1) + unit))
    except InvalidInputError as exc:
        raise InvalidInputError(f"{field}: time_freq: {exc.message}") from None


def check_data_setting(name: str, raw: Any, horizon: int, frequency: str, field: str) -> None:
    """``prediction_length`` / ``time_freq`` may restate the data settings, not change them."""
    if name == "prediction_length":
        try:
            same = int(float(str(raw))) == horizon
        except ValueError:
            same = False
        if not same:
            raise InvalidInputError(f"{field}: prediction_length {raw!r} differs from "
                                    f"DataConfig.ForecastHorizon {horizon}; set the horizon there")
    elif forecast_frequency(raw, field).lower() != frequency.strip().lower():
        raise InvalidInputError(f"{field}: time_freq {raw!r} differs from "
                                f"DataConfig.ForecastFrequency {frequency!r}; set it there")


def parse_parameters(algorithm: str, values: Any, field: str, horizon: int | None = None,
                     frequency: str | None = None) -> dict[str, Any]:
    """``{name: value}`` (strings or JSON values) -> typed values keyed by the given names.

    ``prediction_length`` and ``time_freq`` are accepted when they equal the data settings
    (``horizon``, ``frequency``) and dropped.
    """
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise InvalidInputError(f"{field} must be a map of hyperparameter name to value")
    out: dict[str, Any] = {}
    used: dict[str, str] = {}
    for name, raw in values.items():
        if name in DATA_SETTINGS and horizon is not None and frequency is not None:
            check_data_setting(name, raw, horizon, frequency, field)
            continue
        hp = spec(algorithm, name, field)
        if hp.arg in used:
            raise InvalidInputError(f"{field}: {name!r} and {used[hp.arg]!r} set the same "
                                    f"parameter of {algorithm}; give one")
        used[hp.arg] = name
        out[name] = convert(hp, raw, field)
    return out


def model_kwargs(algorithm: str, params: dict[str, Any]) -> dict[str, Any]:
    """Typed parameters keyed by user names -> the adapter's keyword arguments."""
    known = specs(algorithm)
    out = {}
    for name, value in params.items():
        hp = known.get(name)
        if hp is None:
            raise InvalidInputError(f"unknown hyperparameter {name!r} for algorithm {algorithm}")
        out[hp.arg] = value
    return out


def build_model(algorithm: str, params: dict[str, Any] | None, train: Any = None, ctx: Any = None,
                n_jobs: int = 1) -> Any:
    """A new, unfitted ``algorithm`` with ``params`` over the defaults AutoML would use for it
    on ``train`` (LightGBM's transform and history cap depend on the data)."""
    from forecasthub.models.registry import create_model

    kwargs = model_kwargs(algorithm, params or {})
    if algorithm == "LightGBM" and train is not None and ctx is not None:
        from forecasthub.automl.candidates import DataProfile, lightgbm_for

        base = lightgbm_for(DataProfile.of(train), ctx, n_jobs)
        kwargs = {"target_transform": base.target_transform,
                  "max_rows_per_series": base.max_rows_per_series, **kwargs}
    try:
        return create_model(algorithm, n_jobs=n_jobs, **kwargs)
    except TypeError as exc:
        if "n_jobs" not in str(exc):
            raise InvalidInputError(f"{algorithm}: {exc}") from None
        return create_model(algorithm, **kwargs)

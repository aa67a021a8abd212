"""Request parsing and validation, hyperparameter conversion and the search spaces (pure: no
store, no training)."""

from __future__ import annotations

import copy
import json
import math

import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.tuning import hyperparameters as hps
from forecasthub.tuning import search
from forecasthub.tuning.config import ParameterRange, parse_ranges, parse_tuning_request
from tests.tuning.conftest import job_request

GROUP = "arn:aws:forecast:us-east-1:000000000000:dataset-group/daily"


def _req(**changes):
    req = job_request(GROUP, **changes)
    return req


def _with(req, path, value):
    req = copy.deepcopy(req)
    node = req
    for key in path[:-1]:
        node = node[key]
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return req


CFG = "HyperParameterTuningJobConfig"
TJD = "TrainingJobDefinition"


def test_parse_full_request_strings_and_numbers() -> None:
    req = _req()
    req[CFG]["ParameterRanges"]["IntegerParameterRanges"][0].update(MinValue=4, MaxValue="32")
    config = parse_tuning_request(req)
    assert (config.name, config.strategy, config.algorithm) == ("lgbm-tune", "Bayesian", "LightGBM")
    assert (config.metric_name, config.metric) == ("test:mean_wQuantileLoss",
                                                   "AverageWeightedQuantileLoss")
    assert (config.max_trials, config.max_parallel, config.seed) == (6, 1, 7)
    assert config.static == {"n_estimators": 20, "min_child_samples": 5}
    ranges = {r.name: r for r in config.ranges}
    assert (ranges["num_leaves"].type, ranges["num_leaves"].low, ranges["num_leaves"].high,
            ranges["num_leaves"].scaling) == ("Integer", 4, 32, "Logarithmic")
    assert ranges["learning_rate"].type == "Continuous"
    assert ranges["target_transform"].values == ["scale", "none"]
    assert config.data.horizon == 7 and config.data.frequency == "D"
    assert config.predictor_name == "lgbm_tune_best"
    assert config.algorithm_arn == "arn:aws:forecast:::algorithm/LightGBM"
    # round trip through the stored JSON
    from forecasthub.tuning.config import TuningConfig

    assert TuningConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize("name, expected", [
    ("Deep_AR_Plus", "DeepAR"), ("arn:aws:forecast:::algorithm/ETS", "ETS"), ("ETS", "ETS"),
    ("arn:aws:forecast:::algorithm/LightGBM", "LightGBM"),
])
def test_algorithm_names(name, expected) -> None:
    from forecasthub.models.registry import deep_models_available
    from forecasthub.tuning.config import resolve_algorithm

    if expected == "DeepAR" and not deep_models_available():
        pytest.skip("the deep extra is not installed")
    assert resolve_algorithm(name, "AlgorithmName") == expected


@pytest.mark.parametrize("path, value, message", [
    ((CFG, "ParameterRanges", "IntegerParameterRanges", 0, "MinValue"), "40",
     r"IntegerParameterRanges\[0\] \(num_leaves\): MinValue 40 is greater than MaxValue 32"),
    ((CFG, "ParameterRanges", "ContinuousParameterRanges", 0, "MinValue"), "0",
     r"ContinuousParameterRanges\[0\] \(learning_rate\).MinValue: learning_rate must be in \(0, 1\]"),
    ((CFG, "ParameterRanges", "ContinuousParameterRanges", 0, "MinValue"), "abc",
     r"learning_rate\).MinValue must be a number"),
    ((CFG, "ParameterRanges", "IntegerParameterRanges", 0, "Name"), "num_trees",
     r"unknown hyperparameter 'num_trees' for algorithm LightGBM; valid: .*n_estimators"),
    ((CFG, "ParameterRanges", "IntegerParameterRanges", 0, "ScalingType"), "Exponential",
     r"num_leaves\).ScalingType must be one of Auto, Linear, Logarithmic, ReverseLogarithmic"),
    ((CFG, "ParameterRanges", "IntegerParameterRanges", 0, "ScalingType"), "ReverseLogarithmic",
     r"ReverseLogarithmic scaling applies to continuous ranges only"),
    ((CFG, "ParameterRanges", "IntegerParameterRanges", 0, "MaxValue"), "8.5",
     r"num_leaves\).MaxValue must be an integer"),
    ((CFG, "HyperParameterTuningJobObjective", "MetricName"), "test:accuracy",
     r"MetricName: unknown objective metric 'test:accuracy'; valid: test:mean_wQuantileLoss"),
    ((CFG, "HyperParameterTuningJobObjective", "MetricName"), "test:wQuantileLoss[0.7]",
     r"needs quantile 0.7 in ForecastTypes"),
    ((CFG, "HyperParameterTuningJobObjective", "Type"), "Maximize",
     r"HyperParameterTuningJobObjective.Type: test:mean_wQuantileLoss is a loss"),
    ((CFG, "ResourceLimits", "MaxParallelTrainingJobs"), 8,
     r"MaxParallelTrainingJobs \(8\) is greater than MaxNumberOfTrainingJobs \(6\)"),
    ((CFG, "ResourceLimits", "MaxNumberOfTrainingJobs"), 0,
     r"MaxNumberOfTrainingJobs must be from 1 to 500"),
    ((CFG, "Strategy"), "Hyperband", r"Strategy must be one of Bayesian, Random"),
    ((TJD, "StaticHyperParameters", "num_leaf"), "8",
     r"StaticHyperParameters: unknown hyperparameter 'num_leaf' for algorithm LightGBM"),
    ((TJD, "StaticHyperParameters", "n_estimators"), "many",
     r"StaticHyperParameters: n_estimators must be a number"),
    ((TJD, "StaticHyperParameters", "num_leaves"), "8",
     r"num_leaves also has a range"),
    ((TJD, "AlgorithmSpecification", "AlgorithmName"), "XGBoost",
     r"AlgorithmName 'XGBoost' is not an algorithm"),
    ((TJD, "DataConfig", "ForecastHorizon"), None, r"DataConfig.ForecastHorizon is required"),
    ((TJD, "DataConfig", "BacktestWindowOffset"), 3,
     r"DataConfig.BacktestWindowOffset must be from 7 to 500"),
    (("HyperParameterTuningJobName",), "bad_name", r"HyperParameterTuningJobName 'bad_name'"),
])
def test_bad_requests_name_the_field(path, value, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_tuning_request(_with(_req(), path, value))


def test_log_scaling_needs_positive_min() -> None:
    bad = {"ContinuousParameterRanges": [{"Name": "reg_alpha", "MinValue": "0", "MaxValue": "1",
                                          "ScalingType": "Logarithmic"}]}
    with pytest.raises(InvalidInputError, match=r"reg_alpha\): Logarithmic scaling needs "
                                                r"MinValue > 0, got 0"):
        parse_ranges(bad, "LightGBM")
    bad_int = {"IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "0", "MaxValue": "8",
                                           "ScalingType": "Logarithmic"}]}
    with pytest.raises(InvalidInputError, match=r"integer range needs MinValue >= 1"):
        parse_ranges(bad_int, "LightGBM")
    reverse = {"ContinuousParameterRanges": [{"Name": "subsample", "MinValue": "0.5",
                                              "MaxValue": "1", "ScalingType": "ReverseLogarithmic"}]}
    with pytest.raises(InvalidInputError, match=r"0 <= MinValue <= MaxValue < 1"):
        parse_ranges(reverse, "LightGBM")


def test_range_kind_must_fit_the_parameter() -> None:
    with pytest.raises(InvalidInputError, match=r"n_estimators is a int hyperparameter, not a "
                                                r"continuous one; use IntegerParameterRanges"):
        parse_ranges({"ContinuousParameterRanges": [{"Name": "n_estimators", "MinValue": 1,
                                                     "MaxValue": 9}]}, "LightGBM")
    with pytest.raises(InvalidInputError, match=r"target_transform must be one of none, scale"):
        parse_ranges({"CategoricalParameterRanges": [{"Name": "target_transform",
                                                      "Values": ["scale", "log"]}]}, "LightGBM")
    with pytest.raises(InvalidInputError, match=r"more than one range"):
        parse_ranges({"IntegerParameterRanges": [{"Name": "num_leaves", "MinValue": 2,
                                                  "MaxValue": 9}],
                      "CategoricalParameterRanges": [{"Name": "num_leaves", "Values": ["4"]}]},
                     "LightGBM")


def test_auto_scaling() -> None:
    ranges = parse_ranges({"ContinuousParameterRanges": [
        {"Name": "learning_rate", "MinValue": "0.001", "MaxValue": "0.5"},
        {"Name": "subsample", "MinValue": "0.5", "MaxValue": "1", "ScalingType": "Auto"}]},
        "LightGBM")
    assert [r.scaling for r in ranges] == ["Logarithmic", "Linear"]


def test_deepar_sagemaker_names() -> None:
    typed = hps.parse_parameters("DeepAR", {
        "epochs": "2", "context_length": "14", "num_layers": "1", "num_cells": "8",
        "dropout_rate": "0.1", "learning_rate": "1e-3", "mini_batch_size": "16",
        "likelihood": "Student-T", "prediction_length": "7", "time_freq": "D"},
        "StaticHyperParameters", horizon=7, frequency="D")
    assert hps.model_kwargs("DeepAR", typed) == {
        "epochs": 2, "context_length": 14, "num_layers": 1, "num_cells": 8, "dropout_rate": 0.1,
        "learning_rate": 0.001, "batch_size": 16, "likelihood": "student-t"}
    with pytest.raises(InvalidInputError, match="prediction_length '14' differs from "
                                                "DataConfig.ForecastHorizon 7"):
        hps.parse_parameters("DeepAR", {"prediction_length": "14"}, "StaticHyperParameters", 7, "D")
    with pytest.raises(InvalidInputError, match="'embedding_dimension' is not supported for DeepAR"):
        hps.parse_parameters("DeepAR", {"embedding_dimension": "10"}, "StaticHyperParameters")
    with pytest.raises(InvalidInputError, match="'batch_size' and 'mini_batch_size' set the same"):
        hps.parse_parameters("DeepAR", {"mini_batch_size": "8", "batch_size": "8"}, "X")
    with pytest.raises(InvalidInputError, match="unknown hyperparameter 'alpha' for algorithm "
                                                "SeasonalNaive; valid: none"):
        hps.parse_parameters("SeasonalNaive", {"alpha": "1"}, "X")


def test_conversions() -> None:
    spec = hps.specs("LightGBM")
    assert hps.convert(spec["lags"], "7, 1,2", "X") == [1, 2, 7]
    assert hps.convert(spec["lags"], "[1, 14]", "X") == [1, 14]
    assert hps.convert(spec["n_estimators"], "20.0", "X") == 20
    assert hps.convert(hps.specs("ETS")["damped"], "True", "X") is True
    with pytest.raises(InvalidInputError, match="X: n_estimators must be an integer"):
        hps.convert(spec["n_estimators"], "2.5", "X")
    with pytest.raises(InvalidInputError, match="X: lags must be >= 1, got 0"):
        hps.convert(spec["lags"], "0,1", "X")
    assert hps.as_string([1, 2]) == "1,2" and hps.as_string(True) == "true"


def _space(*ranges: ParameterRange):
    return list(ranges)


@pytest.mark.parametrize("strategy", ["Random", "Bayesian"])
def test_log_ranges_only_propose_values_inside(strategy) -> None:
    from optuna.trial import TrialState

    ranges = [
        ParameterRange("lr", "Continuous", 1e-4, 1e-1, "Logarithmic"),
        ParameterRange("leaves", "Integer", 2, 256, "Logarithmic"),
        ParameterRange("keep", "Continuous", 0.9, 0.999, "ReverseLogarithmic"),
        ParameterRange("kind", "Categorical", values=[1, 7], labels=["1", "7"]),
    ]
    study = search.make_study(strategy, 3, "t", max_trials=60)
    seen = {r.name: [] for r in ranges}
    for i in range(60):
        trial = study.ask()
        values = {r.name: search.suggest(trial, r)[0] for r in ranges}
        for k, v in values.items():
            seen[k].append(v)
        study.tell(trial, values["lr"] if i % 7 else None,
                   state=None if i % 7 else TrialState.FAIL)
    assert all(1e-4 <= v <= 1e-1 for v in seen["lr"])
    assert all(2 <= v <= 256 and isinstance(v, int) for v in seen["leaves"])
    assert all(0.9 <= v <= 0.999 for v in seen["keep"])
    assert set(seen["kind"]) <= {1, 7}
    # log scale: a good share of proposals below the range's arithmetic midpoint decade
    assert sum(v < 1e-2 for v in seen["lr"]) >= 10
    assert sum(v > 0.99 for v in seen["keep"]) >= 10  # reverse log favours values near 1


def test_replay_restores_trials() -> None:
    ranges = [ParameterRange("keep", "Continuous", 0.5, 0.99, "ReverseLogarithmic"),
              ParameterRange("n", "Integer", 1, 9, "Linear"),
              ParameterRange("t", "Categorical", values=[True, False], labels=["true", "false"])]
    study = search.make_study("Bayesian", 0, "r")
    search.replay(study, ranges, {"keep": 0.9, "n": 3, "t": True}, 0.5)
    search.replay(study, ranges, {"keep": 0.7, "n": 4, "t": False}, None)
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL"]
    assert math.isclose(trials[0].params["keep"], 0.1) and trials[0].params["t"] == "true"
    assert study.best_value == 0.5


def test_the_documented_job_json_parses() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "tuning.md").read_text()
    example = json.loads(re.search(r"```json\n(.*?)```", text, re.DOTALL).group(1))
    config = parse_tuning_request(example)
    assert (config.name, config.max_trials, config.predictor_name) == (
        "lgbm-daily", 20, "lgbm_daily_best")
    ranges = {r.name: r for r in config.ranges}
    assert ranges["colsample_bytree"].scaling == "ReverseLogarithmic"
    assert ranges["lags"].values == [[1, 2, 3, 7], [1, 7, 14, 28]]
    assert config.data.backtest_offset == 14 and config.max_runtime_s == 3600


def test_every_listed_hyperparameter_is_an_adapter_argument() -> None:
    """The table stays in step with the model adapters' constructors."""
    import inspect

    from forecasthub.errors import InvalidInputError as Unavailable
    from forecasthub.models.registry import get_model_class

    for algorithm, listed in hps.HYPERPARAMETERS.items():
        try:
            cls = get_model_class(algorithm)
        except Unavailable:
            continue  # an extra that is not installed
        params = inspect.signature(cls.__init__).parameters
        passes_through = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for hp in listed:
            assert hp.arg in params or passes_through, (algorithm, hp.name)


def test_data_described_the_sagemaker_way() -> None:
    """Without DataConfig: DeepAR's prediction_length / time_freq and the train channel."""
    req = _req()
    definition = req["TrainingJobDefinition"]
    del definition["DataConfig"]
    definition["StaticHyperParameters"].update({"prediction_length": "14", "time_freq": "1H"})
    definition["InputDataConfig"] = [
        {"ChannelName": "test", "DataSource": {"S3DataSource": {"S3Uri": "s3://b/test"}}},
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": GROUP}}}]
    definition.update({"RoleArn": "arn:aws:iam::0:role/r", "StoppingCondition": {},
                       "ResourceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1}})
    config = parse_tuning_request(req)
    assert (config.data.dataset_group_arn, config.data.horizon, config.data.frequency) == \
        (GROUP, 14, "H")
    assert config.data.forecast_types == ["0.1", "0.5", "0.9"]
    assert "time_freq" not in config.static and "prediction_length" not in config.static
    by_name = _with(req, ["TrainingJobDefinition", "InputDataConfig", 1, "DataSource",
                          "S3DataSource", "S3Uri"], "forecasthub://dataset-group/daily")
    assert parse_tuning_request(by_name).data.dataset_group_arn == "daily"  # ARN made by the service
    for raw, ours in (("D", "D"), ("W", "W"), ("5min", "5min"), ("15T", "15min"), ("2h", "2H"),
                      ("M", "M")):
        assert hps.forecast_frequency(raw, "X") == ours
    for path, value, message in (
            (["TrainingJobDefinition", "StaticHyperParameters", "time_freq"], "W-SUN",
             "time_freq 'W-SUN' is not a frequency"),
            (["TrainingJobDefinition", "StaticHyperParameters", "time_freq"], "90min",
             "min takes a multiple from 1 to 59"),
            (["TrainingJobDefinition", "StaticHyperParameters", "prediction_length"], None,
             "TrainingJobDefinition.DataConfig is required, or else"),
            (["TrainingJobDefinition", "InputDataConfig"], [], "needs a 'train' channel"),
            (["TrainingJobDefinition", "InputDataConfig", 1, "DataSource", "S3DataSource",
              "S3Uri"], "s3://bucket/train/", "got 's3://bucket/train/'")):
        with pytest.raises(InvalidInputError, match=message):
            parse_tuning_request(_with(req, path, value))

    from forecasthub.models.registry import deep_models_available

    if not deep_models_available():  # building the DeepAR model needs the deep extra
        return
    deepar = _with(req, ["TrainingJobDefinition", "AlgorithmSpecification"], {
        "TrainingImage": "522234722520.dkr.ecr.us-east-1.amazonaws.com/forecasting-deepar:1",
        "TrainingInputMode": "File"})
    deepar["TrainingJobDefinition"]["StaticHyperParameters"] = {
        "prediction_length": "14", "time_freq": "H", "epochs": "1"}
    deepar["HyperParameterTuningJobConfig"]["ParameterRanges"] = {
        "IntegerParameterRanges": [{"Name": "num_cells", "MinValue": "4", "MaxValue": "8"}]}
    assert parse_tuning_request(deepar).algorithm == "DeepAR"
    with pytest.raises(InvalidInputError, match="is not SageMaker's DeepAR image"):
        parse_tuning_request(_with(deepar, ["TrainingJobDefinition", "AlgorithmSpecification",
                                            "TrainingImage"], "my/image:latest"))

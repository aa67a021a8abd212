"""Batch inference from the CLI over predictors trained through CreatePredictor: a 1-epoch
DeepAR (GluonTS sample paths) and ETS (a fresh fit on the instance histories); every output
line is checked against SageMaker DeepAR's response fields."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecasthub.cli.main import cli
from forecasthub.errors import InvalidInputError
from forecasthub.sagemaker.inference import Engine, InferenceConfig, invoke, load_predictor
from forecasthub.sagemaker.jsonlines import JsonLinesError, series_object, write_series
from tests.sagemaker.conftest import HORIZON, TrainedHome, check_prediction, panel_objects

FULL = {"num_samples": 30, "output_types": ["mean", "quantiles", "samples"],
        "quantiles": ["0.1", "0.5", "0.9"]}


def transform(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["sagemaker", "batch-transform", *args], env=env)


def instances(n: int = 5, **kwargs) -> list[dict]:
    return panel_objects(n_series=n, length=40, seed=3, **kwargs)


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def deepar(home: TrainedHome) -> str:
    pytest.importorskip("torch")
    pytest.importorskip("gluonts")
    if home.deepar is None:
        pytest.skip("the deep extra is not installed")
    return home.deepar


def test_deepar_batch_transform_from_the_cli(trained_env: TrainedHome, tmp_path: Path) -> None:
    name = deepar(trained_env)
    source = tmp_path / "in.jsonl.gz"
    objs = instances(5)
    objs[2]["target"][3] = "NaN"
    write_series(source, objs)
    out = tmp_path / "out.jsonl"
    result = transform("--predictor", name, "--input", str(source), "--output", str(out),
                       "--config", json.dumps(FULL))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["Instances"] == 5 and summary["Algorithm"] == "DeepAR"
    predictions = read_lines(out)
    assert len(predictions) == 5
    for p in predictions:
        check_prediction(p, horizon=HORIZON, output_types=FULL["output_types"],
                         quantiles=FULL["quantiles"], num_samples=30)
        samples = np.array(p["samples"])
        np.testing.assert_allclose(p["mean"], samples.mean(axis=0), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(p["quantiles"]["0.5"], np.quantile(samples, 0.5, axis=0),
                                   atol=1e-9)
    # seeded: the same request gives the same answer; the order follows the input
    again = tmp_path / "again.jsonl"
    env = {"DEEPAR_INFERENCE_CONFIG": json.dumps(FULL)}
    assert transform("--predictor", name, "--input", str(source), "--output", str(again),
                     env=env).exit_code == 0
    assert read_lines(again) == predictions


def test_deepar_uses_instance_features(trained_home: TrainedHome) -> None:
    name = deepar(trained_home)
    from forecasthub.services.context import Hub

    hub = Hub(trained_home.settings)
    engine = Engine(load_predictor(hub, name))
    assert engine.gluonts and engine.horizon == HORIZON
    body = {"instances": instances(2), "configuration": {"num_samples": 50,
                                                          "output_types": ["mean"]}}
    base = invoke(engine, body)["predictions"]
    changed = json.loads(json.dumps(body))
    changed["instances"][0]["dynamic_feat"][0][-HORIZON:] = [9.0] * HORIZON
    changed["instances"][1]["cat"] = [7, 1]
    moved = invoke(engine, changed)["predictions"]
    assert base[0]["mean"] != moved[0]["mean"]  # future covariates reach the network
    assert base[1]["mean"] != moved[1]["mean"]  # so do the categories
    hub.close()


@pytest.mark.parametrize(("mutate", "field", "text"), [
    (lambda o: o.update(cat=[99, 0]), "cat", "cat[0] = 99 is out of range"),
    (lambda o: o.update(cat=[1]), "cat", "1 cat value(s)"),
    (lambda o: o.pop("cat"), "cat", "needs cat"),
    (lambda o: o["dynamic_feat"][0].pop(), "dynamic_feat", "needs len(target) + prediction_length"),
    (lambda o: o.pop("dynamic_feat"), "dynamic_feat", "needs dynamic_feat"),
    (lambda o: o.update(start="yesterday"), "start", "cannot parse"),
])
def test_deepar_bad_instance_names_line_and_field(trained_env: TrainedHome, tmp_path: Path,
                                                  mutate, field: str, text: str) -> None:
    name = deepar(trained_env)
    objs = instances(3)
    mutate(objs[1])
    source = tmp_path / "bad.jsonl"
    write_series(source, objs)
    out = tmp_path / "out.jsonl"
    result = transform("--predictor", name, "--input", str(source), "--output", str(out))
    assert result.exit_code == 1
    assert f"line 2, field '{field}'" in result.output and text in result.output, result.output
    assert not out.exists()


def test_ets_batch_transform_refits_on_the_instances(trained_env: TrainedHome,
                                                     tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    objs = [series_object("2023-01-01 00:00:00", [10.0, 12, 11, "NaN", 13, 12, 14, 13] * 3),
            series_object("2023-02-01 00:00:00",
                          np.linspace(1, 30, 30) + np.tile([0.3, -0.2, 0.1], 10))]
    write_series(source, objs)
    out = tmp_path / "out.jsonl.gz"
    config = {"output_types": ["quantiles", "mean"], "quantiles": ["0.5", "0.05", "0.95"]}
    result = transform("--predictor", trained_env.ets, "--input", str(source), "--output",
                       str(out), "--config", json.dumps(config))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["Algorithm"] == "ETS"
    predictions = [json.loads(x) for x in gzip.decompress(out.read_bytes()).splitlines()]
    assert len(predictions) == 2
    for p in predictions:
        check_prediction(p, horizon=HORIZON, output_types=["mean", "quantiles"],
                         quantiles=["0.5", "0.05", "0.95"])
        assert p["quantiles"]["0.05"] < p["quantiles"]["0.95"]
    assert np.mean(predictions[1]["mean"]) > 25  # the trend of that instance, not the panel's
    # default configuration: SageMaker batch transform's (mean + 9 quantiles)
    plain = tmp_path / "plain.jsonl"
    assert transform("--predictor", trained_env.ets, "--input", str(source), "--output",
                     str(plain)).exit_code == 0
    check_prediction(read_lines(plain)[0], horizon=HORIZON, output_types=["mean", "quantiles"],
                     quantiles=[f"0.{i}" for i in range(1, 10)])


def test_samples_from_a_model_without_sample_paths_is_refused(trained_env: TrainedHome,
                                                              tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    write_series(source, instances(2))
    result = transform("--predictor", trained_env.ets, "--input", str(source), "--output",
                       str(tmp_path / "o.jsonl"), "--config", '{"output_types": ["samples"]}')
    assert result.exit_code == 1 and "does not draw sample paths" in result.output
    result = transform("--predictor", "nope", "--input", str(source), "--output",
                       str(tmp_path / "o.jsonl"))
    assert result.exit_code == 1 and "not found" in result.output
    result = transform("--predictor", trained_env.ets, "--input", str(source), "--output",
                       str(tmp_path / "o.jsonl"), "--config", '{"num_samples": -1}')
    assert result.exit_code == 1 and "num_samples" in result.output


def test_engine_rejects_bad_requests(trained_home: TrainedHome) -> None:
    from forecasthub.services.context import Hub

    hub = Hub(trained_home.settings)
    engine = Engine(load_predictor(hub, trained_home.ets))
    with pytest.raises(InvalidInputError, match="non-empty list"):
        invoke(engine, {"instances": []})
    with pytest.raises(InvalidInputError, match="unknown member"):
        invoke(engine, {"instances": instances(1), "config": {}})
    with pytest.raises(JsonLinesError, match=r"request instances, line 2, field 'target'"):
        invoke(engine, {"instances": [instances(1)[0], {"start": "2020-01-01", "target": "x"}]})
    assert InferenceConfig.from_env('{"num_samples": 3}').num_samples == 3
    hub.close()


def test_ensembles_answer_with_their_gluonts_member_or_refuse(trained_home: TrainedHome) -> None:
    from forecasthub.automl.ensemble import WeightedEnsemble
    from forecasthub.automl.fallback import FallbackForecaster
    from forecasthub.models.registry import create_model
    from forecasthub.sagemaker.inference import _unwrap
    from forecasthub.services.context import Hub

    local = WeightedEnsemble({"ETS": create_model("ETS"), "SeasonalNaive":
                              create_model("SeasonalNaive")}, {"ETS": 0.6, "SeasonalNaive": 0.4})
    with pytest.raises(InvalidInputError, match="ensemble of ETS .* without a GluonTS"):
        _unwrap(local, "auto")
    name = deepar(trained_home)
    hub = Hub(trained_home.settings)
    fitted = load_predictor(hub, name).model
    assert isinstance(fitted, FallbackForecaster)
    mixed = WeightedEnsemble({"DeepAR": fitted, "ETS": create_model("ETS")},
                             {"DeepAR": 0.3, "ETS": 0.7})
    model, algorithm = _unwrap(mixed, "auto")
    assert algorithm == "DeepAR" and model._state is not None
    hub.close()


def test_tft_answers_on_the_instances_scale(trained_home: TrainedHome) -> None:
    """TFT trains on series divided by their level; batch inference must scale back, so a
    series of thousands gets a forecast of thousands (a quantile model: no sample paths)."""
    deepar(trained_home)
    from forecasthub.client import Client
    from forecasthub.services.context import Hub

    client = Client(trained_home.settings)
    client.create_predictor(
        PredictorName="tft", wait=True, ForecastHorizon=HORIZON,
        InputDataConfig={"DatasetGroupArn": client.hub.arn("dataset-group", trained_home.group)},
        FeaturizationConfig={"ForecastFrequency": "D"},
        AlgorithmArn="arn:aws:forecast:::algorithm/TFT",
        TrainingParameters={"epochs": "1", "num_batches_per_epoch": "3", "hidden_dim": "8",
                            "variable_dim": "4", "num_heads": "2"})
    client.close()
    hub = Hub(trained_home.settings)
    engine = Engine(load_predictor(hub, "tft"))
    objs = instances(2, nan_at=None)
    for obj in objs:
        obj["target"] = [1000.0 * v for v in obj["target"]]
    config = {"output_types": ["mean", "quantiles"], "quantiles": ["0.1", "0.5", "0.9"]}
    predictions = invoke(engine, {"instances": objs, "configuration": config})["predictions"]
    for obj, prediction in zip(objs, predictions, strict=True):
        check_prediction(prediction, horizon=HORIZON, output_types=["mean", "quantiles"],
                         quantiles=["0.1", "0.5", "0.9"])
        level = np.nanmean(np.abs(np.array(obj["target"], dtype=float)))
        assert 0.2 * level < np.mean(prediction["quantiles"]["0.5"]) < 5 * level
    with pytest.raises(InvalidInputError, match="not sample paths"):
        invoke(engine, {"instances": objs[:1], "configuration": FULL})
    hub.close()

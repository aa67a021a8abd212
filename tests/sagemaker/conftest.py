"""Shared data for the SageMaker tests: a small synthetic panel as DeepAR JSON Lines, and (once
per session) a forecasthub home holding it with trained predictors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from forecasthub.sagemaker.jsonlines import series_object, write_series

HORIZON = 7
FREQ = "D"
END = np.datetime64("2024-03-31")  # every series ends here (related values run 7 days past)


def panel_objects(n_series: int = 12, length: int = 56, horizon: int = HORIZON,
                  seed: int = 0, nan_at: int | None = 5) -> list[dict[str, Any]]:
    """Weekly-seasonal series of different lengths ending on the same day, two cat features
    (the first with n_series categories, so codes reach two digits) and one dynamic feature
    covering target + horizon."""
    rng = np.random.default_rng(seed)
    objs = []
    for i in range(n_series):
        n = length - (i % 4)
        start = END - np.timedelta64(n - 1, "D")
        t = np.arange(n + horizon)
        price = np.round(1.0 + 0.2 * np.sin(t / 5.0 + i), 3)
        y = 20 + 2 * i + 5 * np.sin(2 * np.pi * t[:n] / 7) - 4 * price[:n] + rng.normal(0, .5, n)
        y = np.round(y, 3)
        if nan_at is not None and i == 1:
            y[nan_at] = np.nan
        objs.append(series_object(str(start) + " 00:00:00", y, [i, i % 3], [price]))
    return objs


def write_panel(path: Path, **kwargs: Any) -> Path:
    write_series(path, panel_objects(**kwargs))
    return path


@dataclass
class TrainedHome:
    root: Path
    settings: Any
    group: str
    ets: str
    deepar: str | None  # None when torch / gluonts are not installed
    panel: Path

    def env(self) -> dict[str, str]:
        return {"FORECASTHUB_HOME": str(self.root / "home"),
                "FORECASTHUB_IMPORT_ROOTS": str(self.root),
                "FORECASTHUB_NO_AUTOSTART": "1"}


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedHome]:
    """A home with the panel imported (TTS + RTS + IM) and two predictors trained through
    CreatePredictor: ETS, and a 1-epoch DeepAR (TrainingParameters) when the deep extra is
    installed."""
    from forecasthub.client import Client
    from forecasthub.models.registry import deep_models_available
    from forecasthub.sagemaker.convert import import_jsonlines
    from tests.api.conftest import make_settings

    root = tmp_path_factory.mktemp("sagemaker")
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("FORECASTHUB_")}
    try:
        settings = make_settings(root)
        client = Client(settings)
        panel = write_panel(root / "panel.jsonl")
        import_jsonlines(client, str(panel), "panel", FREQ)
        group = client.hub.arn("dataset-group", "panel")
        common = {"ForecastHorizon": HORIZON, "InputDataConfig": {"DatasetGroupArn": group},
                  "FeaturizationConfig": {"ForecastFrequency": FREQ}}
        out = client.create_predictor(PredictorName="ets", wait=True, **common,
                                      AlgorithmArn="arn:aws:forecast:::algorithm/ETS")
        assert client.describe_predictor(PredictorArn=out["PredictorArn"])["Status"] == "ACTIVE"
        deepar = None
        if deep_models_available():
            out = client.create_predictor(
                PredictorName="deepar", wait=True, **common,
                AlgorithmArn="arn:aws:forecast:::algorithm/Deep_AR_Plus",
                TrainingParameters={"epochs": "1", "num_batches_per_epoch": "3",
                                    "num_cells": "8", "num_layers": "1"})
            described = client.describe_predictor(PredictorArn=out["PredictorArn"])
            assert described["Status"] == "ACTIVE", described.get("Message")
            deepar = "deepar"
        client.close()
    finally:
        os.environ.update(saved)
    yield TrainedHome(root, settings, "panel", "ets", deepar, panel)


@pytest.fixture
def trained_env(trained_home: TrainedHome, monkeypatch: pytest.MonkeyPatch,
                tmp_path: Path) -> TrainedHome:
    """The trained home as the CLI's environment (the test's tmp_path may be read and written)."""
    for var in [k for k in os.environ if k.startswith("FORECASTHUB_")]:
        monkeypatch.delenv(var)
    for var, value in trained_home.env().items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS", f"{trained_home.root},{tmp_path}")
    monkeypatch.delenv("DEEPAR_INFERENCE_CONFIG", raising=False)
    monkeypatch.chdir(trained_home.root)
    return trained_home


def check_prediction(prediction: dict[str, Any], *, horizon: int, output_types: list[str],
                     quantiles: list[str], num_samples: int | None = None) -> None:
    """A prediction object has exactly SageMaker DeepAR's requested fields and shapes."""
    assert set(prediction) == set(output_types), prediction.keys()
    if "mean" in output_types:
        mean = prediction["mean"]
        assert isinstance(mean, list) and len(mean) == horizon
        assert all(isinstance(v, float) and np.isfinite(v) for v in mean)
    if "quantiles" in output_types:
        q = prediction["quantiles"]
        assert isinstance(q, dict) and list(q) == quantiles
        assert all(isinstance(k, str) for k in q)
        for values in q.values():
            assert isinstance(values, list) and len(values) == horizon
            assert all(isinstance(v, float) and np.isfinite(v) for v in values)
        ordered = [q[k] for k in sorted(q, key=float)]
        arr = np.array(ordered)
        assert (np.diff(arr, axis=0) >= -1e-9).all(), "quantiles must not cross"
    if "samples" in output_types:
        samples = prediction["samples"]
        assert isinstance(samples, list) and len(samples) == num_samples
        for path in samples:
            assert isinstance(path, list) and len(path) == horizon
            assert all(isinstance(v, float) and np.isfinite(v) for v in path)

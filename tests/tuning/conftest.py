"""A small daily dataset group (8 series x 120 days, weekly season) and tuning job requests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

HORIZON = 7
SCHEMA = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                         {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"}]}


def write_daily_csv(path: Path, n_series: int = 8, n_days: int = 120, seed: int = 0) -> Path:
    """Daily series with a level, a trend, a weekly pattern and noise (no header)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    rows = []
    for i in range(n_series):
        level, trend = rng.uniform(20, 200), rng.uniform(-0.1, 0.3)
        weekly = rng.uniform(0.5, 1.5, 7)
        values = (level + trend * np.arange(n_days)) * weekly[days.dayofweek]
        values = np.maximum(values + rng.normal(0, 0.05 * level, n_days), 0)
        rows.append(pd.DataFrame({"item_id": f"item_{i}", "timestamp": days.strftime("%Y-%m-%d"),
                                  "target_value": values.round(2)}))
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(rows).to_csv(path, index=False, header=False)
    return path


@pytest.fixture
def shop(fh, tmp_path) -> dict[str, Any]:
    """Dataset group ``daily`` with one imported target time series."""
    return make_shop(fh, tmp_path)


def make_shop(fh: Any, tmp_path: Path) -> dict[str, Any]:
    csv = write_daily_csv(tmp_path / "data" / "daily.csv")
    group = fh.create_dataset_group(DatasetGroupName="daily", Domain="CUSTOM")["DatasetGroupArn"]
    dataset = fh.create_dataset(DatasetName="daily_tts", Domain="CUSTOM",
                                DatasetType="TARGET_TIME_SERIES", DataFrequency="D",
                                Schema=SCHEMA)["DatasetArn"]
    job = fh.create_dataset_import_job(DatasetImportJobName="first", DatasetArn=dataset,
                                       TimestampFormat="yyyy-MM-dd",
                                       DataSource={"S3Config": {"Path": str(csv)}}, wait=True)
    desc = fh.describe_dataset_import_job(DatasetImportJobArn=job["DatasetImportJobArn"])
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[dataset])
    return {"fh": fh, "hub": fh.hub, "group": group, "dataset": dataset}


def job_request(group: str, name: str = "lgbm-tune", *, strategy: str = "Bayesian",
                trials: int = 6, parallel: int = 1, algorithm: str = "LightGBM",
                static: dict[str, str] | None = None, ranges: dict[str, Any] | None = None,
                metric: str = "test:mean_wQuantileLoss") -> dict[str, Any]:
    """A CreateHyperParameterTuningJob request; LightGBM with tiny trees by default."""
    if ranges is None:
        ranges = {
            "IntegerParameterRanges": [{"Name": "num_leaves", "MinValue": "4", "MaxValue": "32",
                                        "ScalingType": "Logarithmic"}],
            "ContinuousParameterRanges": [{"Name": "learning_rate", "MinValue": "0.02",
                                           "MaxValue": "0.3", "ScalingType": "Logarithmic"}],
            "CategoricalParameterRanges": [{"Name": "target_transform",
                                            "Values": ["scale", "none"]}],
        }
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy, "RandomSeed": 7,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": metric},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": trials,
                               "MaxParallelTrainingJobs": parallel},
            "ParameterRanges": copy.deepcopy(ranges),
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"AlgorithmName": algorithm, "TrainingInputMode": "File"},
            "StaticHyperParameters": dict(static if static is not None else
                                          {"n_estimators": "20", "min_child_samples": "5"}),
            "DataConfig": {"DatasetGroupArn": group, "ForecastHorizon": HORIZON,
                           "ForecastFrequency": "D",
                           "ForecastTypes": ["0.1", "0.5", "0.9", "mean"]},
        },
    }

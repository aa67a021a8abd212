"""A small retail home for the SQL, registry and pipeline tests: one dataset group (target series
only), one NPTS predictor and one forecast, made with the Python client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HORIZON = 4


def retail_files(folder: Path) -> Any:
    from forecasthub.data.synthetic import generate_retail, write_retail_csvs

    data = generate_retail(n_stores=1, n_depts=(3, 3), n_weeks=60, horizon=HORIZON, seed=3)
    return write_retail_csvs(data, folder)


def make_group(fh: Any, files: Any, name: str = "shop") -> tuple[str, str]:
    group = fh.create_dataset_group(DatasetGroupName=name, Domain="RETAIL")["DatasetGroupArn"]
    dataset = fh.create_dataset(DatasetName=f"{name}_tts", Domain="RETAIL", DatasetType="TARGET_TIME_SERIES",
                                DataFrequency="W", Schema=files.schemas["TARGET_TIME_SERIES"])["DatasetArn"]
    job = fh.create_dataset_import_job(
        DatasetImportJobName="first", DatasetArn=dataset, TimestampFormat="yyyy-MM-dd",
        DataSource={"S3Config": {"Path": str(files.paths["TARGET_TIME_SERIES"])}}, wait=True)
    desc = fh.describe_dataset_import_job(DatasetImportJobArn=job["DatasetImportJobArn"])
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[dataset])
    return group, dataset


def train(fh: Any, group: str, name: str, algorithm: str = "NPTS") -> str:
    arn = fh.create_predictor(PredictorName=name, AlgorithmArn=f"arn:aws:forecast:::algorithm/{algorithm}",
                              ForecastHorizon=HORIZON, ForecastTypes=["0.1", "0.5", "0.9", "mean"],
                              InputDataConfig={"DatasetGroupArn": group},
                              FeaturizationConfig={"ForecastFrequency": "W",
                                                   "ForecastDimensions": ["store_id"]},
                              wait=True)["PredictorArn"]
    desc = fh.describe_predictor(PredictorArn=arn)
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    return arn


def forecast(fh: Any, predictor: str, name: str) -> str:
    arn = fh.create_forecast(ForecastName=name, PredictorArn=predictor, wait=True)["ForecastArn"]
    desc = fh.describe_forecast(ForecastArn=arn)
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    return arn

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


def cold_start_flow(fh: Any, folder: Path, new_item: str = "a_new") -> tuple[str, str]:
    """Group `cold`: three daily series a1, a2, b1 plus item metadata for a fourth item
    ``new_item`` with no history; a LightGBM predictor `lgbm` (it serves the new item) and its
    forecast `fc`."""
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    stamps = pd.date_range("2024-01-01", periods=120, freq="D").strftime("%Y-%m-%d")
    rows = [pd.DataFrame({"item_id": item, "timestamp": stamps, "target_value": (
        20 + 10 * k + 5 * np.sin(2 * np.pi * np.arange(120) / 7) + rng.normal(0, 1, 120)).round(3)})
        for k, item in enumerate(["a1", "a2", "b1"])]
    paths = {"TARGET_TIME_SERIES": folder / "tts.csv", "ITEM_METADATA": folder / "im.csv"}
    pd.concat(rows).to_csv(paths["TARGET_TIME_SERIES"], index=False, header=False)
    pd.DataFrame({"item_id": ["a1", "a2", "b1", new_item], "category": ["a", "a", "b", "a"]}
                 ).to_csv(paths["ITEM_METADATA"], index=False, header=False)
    schemas = {"TARGET_TIME_SERIES": [("item_id", "string"), ("timestamp", "timestamp"),
                                      ("target_value", "float")],
               "ITEM_METADATA": [("item_id", "string"), ("category", "string")]}
    group = fh.create_dataset_group(DatasetGroupName="cold", Domain="CUSTOM")["DatasetGroupArn"]
    arns = []
    for dataset_type, path in paths.items():
        arn = fh.create_dataset(
            DatasetName=f"cold_{dataset_type.lower()}", Domain="CUSTOM", DatasetType=dataset_type,
            DataFrequency="D" if dataset_type == "TARGET_TIME_SERIES" else None,
            Schema={"Attributes": [{"AttributeName": n, "AttributeType": t}
                                   for n, t in schemas[dataset_type]]})["DatasetArn"]
        job = fh.create_dataset_import_job(DatasetImportJobName="one", DatasetArn=arn,
                                           TimestampFormat="yyyy-MM-dd",
                                           DataSource={"S3Config": {"Path": str(path)}}, wait=True)
        desc = fh.describe_dataset_import_job(DatasetImportJobArn=job["DatasetImportJobArn"])
        assert desc["Status"] == "ACTIVE", desc.get("Message")
        arns.append(arn)
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=arns)
    predictor = fh.create_predictor(
        PredictorName="lgbm", AlgorithmArn="arn:aws:forecast:::algorithm/LightGBM",
        ForecastHorizon=7, ForecastTypes=["0.1", "0.5", "0.9", "mean"],
        InputDataConfig={"DatasetGroupArn": group},
        FeaturizationConfig={"ForecastFrequency": "D"}, wait=True)["PredictorArn"]
    desc = fh.describe_predictor(PredictorArn=predictor)
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    return predictor, forecast(fh, predictor, "fc")

"""The production layout end to end: store on S3, imports from and exports to S3, metadata on
SQLite and on PostgreSQL. S3 is moto's server on 127.0.0.1 (tests/infra.py)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import polars as pl
import pytest

from forecasthub.errors import InvalidInputError, NotFoundError, StorageError

SCHEMA = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                         {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"}]}


def _csv(items: range, weeks: int = 80, start: int = 0) -> str:
    import datetime as dt

    first = dt.date(2020, 1, 6)
    lines = []
    for i in items:
        for w in range(start, start + weeks):
            day = first + dt.timedelta(weeks=w)
            value = 20 + 5 * i + 6 * math.sin(2 * math.pi * w / 13) + (w * 7 + i * 3) % 5
            lines.append(f"item_{i},{day.isoformat()},{value:.3f}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def s3_fh(home: Path, s3_bucket: str, s3_server, database_url: str, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch):
    """A client whose store lives in the bucket; imports and exports allowed under
    s3://bucket/input and s3://bucket/exports; metadata on SQLite or PostgreSQL."""
    from forecasthub.client import Client

    monkeypatch.setenv("FORECASTHUB_STORE_URL", f"s3://{s3_bucket}/store")
    monkeypatch.setenv("FORECASTHUB_DATABASE_URL", database_url)
    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS",
                       f"{tmp_path},s3://{s3_bucket}/input,s3://{s3_bucket}/exports")
    s3 = s3_server.client()
    s3.put_object(Bucket=s3_bucket, Key="input/tts/part-0.csv", Body=_csv(range(2)).encode())
    s3.put_object(Bucket=s3_bucket, Key="input/tts/part-1.csv", Body=_csv(range(2, 4)).encode())
    s3.put_object(Bucket=s3_bucket, Key="input/tts/_SUCCESS", Body=b"")
    s3.put_object(Bucket=s3_bucket, Key="input/tts/.part-1.csv.crc", Body=b"junk")
    s3.put_object(Bucket=s3_bucket, Key="input/more.csv", Body=_csv(range(4, 5)).encode())
    s3.put_object(Bucket=s3_bucket, Key="input/selector.csv", Body=b"item_1\nitem_4\nnope\n")
    client = Client()
    yield client, s3_bucket, s3
    client.close()


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def _import(fh, dataset: str, path: str, name: str, **extra) -> dict:
    arn = fh.create_dataset_import_job(
        DatasetImportJobName=name, DatasetArn=dataset, DataSource={"S3Config": {"Path": path}},
        TimestampFormat="yyyy-MM-dd", wait=True, **extra)["DatasetImportJobArn"]
    return fh.describe_dataset_import_job(DatasetImportJobArn=arn)


def test_s3_store_import_train_forecast_export(s3_fh) -> None:
    fh, bucket, s3 = s3_fh
    group = fh.create_dataset_group(DatasetGroupName="g", Domain="CUSTOM")["DatasetGroupArn"]
    dataset = fh.create_dataset(DatasetName="d", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                                DataFrequency="W", Schema=SCHEMA)["DatasetArn"]
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[dataset])

    desc = _import(fh, dataset, f"s3://{bucket}/input/tts/", "prefix")  # a prefix of parts
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    assert desc["FieldStatistics"]["item_id"]["CountDistinct"] == 4
    desc = _import(fh, dataset, f"s3://{bucket}/input/more.csv", "file", ImportMode="INCREMENTAL")
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    assert desc["FieldStatistics"]["item_id"]["CountDistinct"] == 5
    versions = _keys(s3, bucket, "store/datasets/d/versions/")
    assert sum(k.endswith("/_SUCCESS") for k in versions) == 2
    assert sum(k.endswith("/data.parquet") for k in versions) == 2

    predictor = fh.create_predictor(
        PredictorName="p", AlgorithmArn="arn:aws:forecast:::algorithm/ETS", ForecastHorizon=4,
        ForecastTypes=["0.1", "0.5", "0.9"], InputDataConfig={"DatasetGroupArn": group},
        FeaturizationConfig={"ForecastFrequency": "W"}, wait=True)["PredictorArn"]
    described = fh.describe_predictor(PredictorArn=predictor)
    assert described["Status"] == "ACTIVE", described.get("Message")
    artifacts = _keys(s3, bucket, "store/predictors/p/")
    assert any(k.endswith("/model.pkl") for k in artifacts)
    assert any(k.endswith("/_SUCCESS") for k in artifacts)

    forecast = fh.create_forecast(
        ForecastName="f", PredictorArn=predictor, wait=True,
        TimeSeriesSelector={"TimeSeriesIdentifiers": {"DataSource": {"S3Config": {
            "Path": f"s3://{bucket}/input/selector.csv"}}}})["ForecastArn"]
    assert fh.describe_forecast(ForecastArn=forecast)["Status"] == "ACTIVE"
    answer = fh.query_forecast(ForecastArn=forecast, Filters={"item_id": "item_4"})
    assert len(answer["Forecast"]["Predictions"]["p50"]) == 4
    with pytest.raises(NotFoundError):  # not selected
        fh.query_forecast(ForecastArn=forecast, Filters={"item_id": "item_0"})

    job = fh.create_forecast_export_job(
        ForecastExportJobName="e", ForecastArn=forecast, wait=True,
        Destination={"S3Config": {"Path": f"s3://{bucket}/exports/forecast"}})
    assert fh.describe_forecast_export_job(
        ForecastExportJobArn=job["ForecastExportJobArn"])["Status"] == "ACTIVE"
    parts = _keys(s3, bucket, "exports/forecast/")
    assert len(parts) == 1 and parts[0].startswith("exports/forecast/e_") and parts[0].endswith("_part0.csv")
    body = s3.get_object(Bucket=bucket, Key=parts[0])["Body"].read()
    exported = pl.read_csv(io.BytesIO(body))
    assert exported.columns == ["item_id", "date", "p10", "p50", "p90"]
    assert sorted(exported["item_id"].unique()) == ["item_1", "item_4"] and exported.height == 8

    bt = fh.create_predictor_backtest_export_job(
        PredictorBacktestExportJobName="b", PredictorArn=predictor, Format="PARQUET", wait=True,
        Destination={"S3Config": {"Path": f"s3://{bucket}/exports/bt"}})
    assert fh.describe_predictor_backtest_export_job(
        PredictorBacktestExportJobArn=bt["PredictorBacktestExportJobArn"])["Status"] == "ACTIVE"
    bt_keys = _keys(s3, bucket, "exports/bt/")
    assert any(k.startswith("exports/bt/forecasted-values/") for k in bt_keys)
    assert any(k.startswith("exports/bt/accuracy-metrics-values/") for k in bt_keys)

    fh.delete_forecast_export_job(ForecastExportJobArn=job["ForecastExportJobArn"])
    key_prefix = "store/forecasts/f/"
    assert _keys(s3, bucket, key_prefix)
    fh.delete_forecast(ForecastArn=forecast)
    assert _keys(s3, bucket, key_prefix) == []  # artifacts go with the forecast
    assert _keys(s3, bucket, "exports/forecast/") == parts  # exports outlive their jobs


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_s3_source_errors(s3_fh, monkeypatch: pytest.MonkeyPatch) -> None:
    fh, bucket, _ = s3_fh
    dataset = fh.create_dataset(DatasetName="d", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                                DataFrequency="W", Schema=SCHEMA)["DatasetArn"]
    with pytest.raises(InvalidInputError, match="outside the allowed import roots"):
        _import(fh, dataset, f"s3://{bucket}/store/datasets", "escape")
    with pytest.raises(InvalidInputError, match="invalid s3:// URL"):
        _import(fh, dataset, f"s3://{bucket}/input/../store", "dots")
    with pytest.raises(InvalidInputError, match="outside the allowed import roots"):
        _import(fh, dataset, "s3://other-bucket/input/x.csv", "other")
    with pytest.raises(NotFoundError, match="no such file"):
        _import(fh, dataset, f"s3://{bucket}/input/missing.csv", "missing")
    with pytest.raises(InvalidInputError, match="outside"):
        fh.create_forecast_export_job(ForecastExportJobName="e", ForecastArn=dataset.replace(
            "dataset/d", "forecast/f"), Destination={"S3Config": {"Path": "s3://elsewhere/x"}})

    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS", "s3://no-such-bucket-here")
    fh.hub.settings.import_roots = ["s3://no-such-bucket-here"]
    with pytest.raises(StorageError, match="bucket 'no-such-bucket-here' does not exist"):
        _import(fh, dataset, "s3://no-such-bucket-here/x.csv", "nobucket")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_job_with_wrong_credentials_fails_cleanly(s3_fh) -> None:
    fh, bucket, _ = s3_fh
    dataset = fh.create_dataset(DatasetName="d", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                                DataFrequency="W", Schema=SCHEMA)["DatasetArn"]
    assert _import(fh, dataset, f"s3://{bucket}/input/more.csv", "good")["Status"] == "ACTIVE"
    arn = fh.create_dataset_import_job(
        DatasetImportJobName="later", DatasetArn=dataset, TimestampFormat="yyyy-MM-dd",
        DataSource={"S3Config": {"Path": f"s3://{bucket}/input/tts"}})["DatasetImportJobArn"]
    fh.hub.settings.s3_access_key_id = "AKIAROTATEDAWAY00000"  # keys rotated before the job ran
    fh.run_pending()
    desc = fh.describe_dataset_import_job(DatasetImportJobArn=arn)
    assert desc["Status"] == "CREATE_FAILED"
    assert "access denied" in desc["Message"] and "Traceback" not in desc["Message"]
    assert fh.describe_dataset(DatasetArn=dataset)["Status"] == "ACTIVE"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_s3_import_size_limit(s3_fh, monkeypatch: pytest.MonkeyPatch) -> None:
    fh, bucket, _ = s3_fh
    dataset = fh.create_dataset(DatasetName="d", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                                DataFrequency="W", Schema=SCHEMA)["DatasetArn"]
    fh.hub.settings.s3_max_import_bytes = 1000
    desc = _import(fh, dataset, f"s3://{bucket}/input/tts", "big")
    assert desc["Status"] == "CREATE_FAILED"
    assert "FORECASTHUB_S3_MAX_IMPORT_BYTES" in desc["Message"]

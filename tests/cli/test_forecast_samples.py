"""End to end through the CLI on Amazon's samples: electricity with item metadata, bike with a
related series (derived as the notebook derives it), the what-if consumer electronics with a store
dimension and a price series."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from forecasthub.cli.main import cli
from tests.conftest import require_samples

ARN = "arn:aws:forecast:us-east-1:000000000000"


def run(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if result.stdout.strip() else {}


def attrs(*pairs: str) -> str:
    return json.dumps({"Attributes": [{"AttributeName": p.split(":")[0],
                                       "AttributeType": p.split(":")[1]} for p in pairs]})


def dataset(name: str, domain: str, kind: str, schema: str, path: Path, freq: str | None,
            ts_format: str | None = None) -> str:
    arn = run("create-dataset", "--dataset-name", name, "--domain", domain, "--dataset-type", kind,
              "--schema", schema, *(["--data-frequency", freq] if freq else []))["DatasetArn"]
    job = run("create-dataset-import-job", "--dataset-import-job-name", name, "--dataset-arn", arn,
              "--data-source", json.dumps({"S3Config": {"Path": str(path)}}),
              *(["--timestamp-format", ts_format] if ts_format else []), "--wait")
    status = run("describe-dataset-import-job", "--dataset-import-job-arn", job["DatasetImportJobArn"])
    assert status["Status"] == "ACTIVE", status.get("Message")
    return arn


def train_and_forecast(group: str, domain: str, datasets: list[str], predictor_args: list[str],
                       filters: dict) -> dict:
    run("create-dataset-group", "--dataset-group-name", group, "--domain", domain)
    group_arn = f"{ARN}:dataset-group/{group}"
    run("update-dataset-group", "--dataset-group-arn", group_arn, "--dataset-arns", ",".join(datasets))
    predictor = run("create-auto-predictor", "--predictor-name", f"{group}_p", *predictor_args,
                    "--data-config", json.dumps({"DatasetGroupArn": group_arn}),
                    "--wait")["PredictorArn"]
    described = run("describe-auto-predictor", "--predictor-arn", predictor)
    assert described["Status"] == "ACTIVE", described.get("Message")
    metrics = run("get-accuracy-metrics", "--predictor-arn", predictor)
    assert metrics["PredictorEvaluationResults"][0]["TestWindows"][0]["EvaluationType"] == "SUMMARY"
    forecast = run("create-forecast", "--forecast-name", f"{group}_f", "--predictor-arn", predictor,
                   "--wait")["ForecastArn"]
    assert run("describe-forecast", "--forecast-arn", forecast)["Status"] == "ACTIVE"
    return run("query-forecast", "--forecast-arn", forecast, "--filters", json.dumps(filters))


def test_electricity_with_item_metadata(home: Path) -> None:
    root = require_samples() / "electricity"
    tts = dataset("elec_tts", "CUSTOM", "TARGET_TIME_SERIES",
                  attrs("timestamp:timestamp", "target_value:float", "item_id:string"),
                  root / "item-demand-time.csv", "H", "yyyy-MM-dd hh:mm:ss")
    im = dataset("elec_im", "CUSTOM", "ITEM_METADATA", attrs("item_id:string", "region:string"),
                 root / "item-meta.csv", None)
    answer = train_and_forecast("elec", "CUSTOM", [tts, im], ["--forecast-horizon", "24",
                                "--forecast-frequency", "H"], {"item_id": "client_12"})
    p50 = answer["Forecast"]["Predictions"]["p50"]
    assert len(p50) == 24 and p50[0]["Timestamp"] == "2014-11-30T00:00:00"


def test_bike_with_related_series(home: Path, tmp_path: Path) -> None:
    raw = pl.read_csv(require_samples() / "bike" / "bike.csv", has_header=False, new_columns=[
        "timestamp", "season", "holiday", "workingday", "weather", "temp", "atemp", "humidity",
        "windspeed", "casual", "registered", "count", "item_id"])
    last = raw["timestamp"].max()
    history = raw.filter(pl.col("timestamp") < raw["timestamp"].sort()[-24])  # hold out a day
    assert history["timestamp"].max() < last
    history.select("timestamp", pl.col("count").alias("target_value"), "item_id").write_csv(
        tmp_path / "tts.csv", include_header=False)
    raw.select("timestamp", "workingday", "weather", "temp", "humidity", "item_id").write_csv(
        tmp_path / "rts.csv", include_header=False)
    tts = dataset("bike_tts", "CUSTOM", "TARGET_TIME_SERIES",
                  attrs("timestamp:timestamp", "target_value:float", "item_id:string"),
                  tmp_path / "tts.csv", "H")
    rts = dataset("bike_rts", "CUSTOM", "RELATED_TIME_SERIES",
                  attrs("timestamp:timestamp", "workingday:float", "weather:float", "temp:float",
                        "humidity:float", "item_id:string"), tmp_path / "rts.csv", "H")
    fill = [{"AttributeName": "target_value", "Transformations": {"middlefill": "nan"}},
            *({"AttributeName": a, "Transformations": {"middlefill": "median", "futurefill": "median"}}
              for a in ("workingday", "weather", "temp", "humidity"))]
    run("create-dataset-group", "--dataset-group-name", "bike", "--domain", "CUSTOM")
    group = f"{ARN}:dataset-group/bike"
    run("update-dataset-group", "--dataset-group-arn", group, "--dataset-arns", f"{tts},{rts}")
    predictor = run("create-auto-predictor", "--predictor-name", "bike_p", "--forecast-horizon", "24",
                    "--forecast-frequency", "H", "--data-config", json.dumps(
                        {"DatasetGroupArn": group, "AttributeConfigs": fill}), "--wait")["PredictorArn"]
    described = run("describe-auto-predictor", "--predictor-arn", predictor)
    assert described["Status"] == "ACTIVE", described.get("Message")
    forecast = run("create-forecast", "--forecast-name", "bike_f", "--predictor-arn", predictor,
                   "--wait")["ForecastArn"]
    answer = run("query-forecast", "--forecast-arn", forecast, "--filters", '{"item_id": "bike_12"}')
    assert len(answer["Forecast"]["Predictions"]["p90"]) == 24


def test_whatif_consumer_electronics_with_store_dimension(home: Path) -> None:
    root = require_samples() / "whatif"
    tts = dataset("ce_tts", "RETAIL", "TARGET_TIME_SERIES",
                  attrs("item_id:string", "store_id:string", "timestamp:timestamp", "demand:float"),
                  root / "consumer_electronics_TTS.csv", "M", "yyyy-MM-dd")
    rts = dataset("ce_rts", "RETAIL", "RELATED_TIME_SERIES",
                  attrs("item_id:string", "store_id:string", "timestamp:timestamp", "price:float"),
                  root / "consumer_electronics_RTS.csv", "M", "yyyy-MM-dd")
    run("create-dataset-group", "--dataset-group-name", "ce", "--domain", "RETAIL")
    group = f"{ARN}:dataset-group/ce"
    run("update-dataset-group", "--dataset-group-arn", group, "--dataset-arns", f"{tts},{rts}")
    predictor = run("create-auto-predictor", "--predictor-name", "ce_p", "--forecast-horizon", "3",
                    "--forecast-frequency", "M", "--forecast-dimensions", "store_id",
                    "--data-config", json.dumps({"DatasetGroupArn": group}), "--wait")["PredictorArn"]
    described = run("describe-auto-predictor", "--predictor-arn", predictor)
    assert described["Status"] == "ACTIVE", described.get("Message")
    forecast = run("create-forecast", "--forecast-name", "ce_f", "--predictor-arn", predictor,
                   "--wait")["ForecastArn"]
    answer = run("query-forecast", "--forecast-arn", forecast, "--filters",
                 '{"item_id": "item_001", "store_id": "store_001"}')
    p50 = answer["Forecast"]["Predictions"]["p50"]
    assert [p["Timestamp"] for p in p50] == ["2019-10-01T00:00:00", "2019-11-01T00:00:00",
                                             "2019-12-01T00:00:00"]
    with pytest.raises(AssertionError):  # one series must be selected: item alone is 500+ stores
        run("query-forecast", "--forecast-arn", forecast, "--filters", '{"item_id": "item_001"}')

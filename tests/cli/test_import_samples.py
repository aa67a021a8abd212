"""Amazon's sample files import as-is through the CLI, and the stored version equals the input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from forecasthub.cli.main import cli
from tests.conftest import require_samples


def attrs(*pairs: str) -> dict:
    return {"Attributes": [{"AttributeName": p.split(":")[0], "AttributeType": p.split(":")[1]}
                           for p in pairs]}


ELEC = attrs("timestamp:timestamp", "target_value:float", "item_id:string")
# file, domain, dataset type, frequency, timestamp format, schema, header row
SAMPLES = [
    ("electricity/item-demand-time.csv", "CUSTOM", "TARGET_TIME_SERIES", "H", "yyyy-MM-dd hh:mm:ss", ELEC, False),
    ("electricity/electricityusagedata.csv", "CUSTOM", "TARGET_TIME_SERIES", "H", None, ELEC, False),
    ("electricity/item-meta.csv", "CUSTOM", "ITEM_METADATA", None, None, attrs("item_id:string", "region:string"), False),
    ("cold-start/itemMetaData.csv", "CUSTOM", "ITEM_METADATA", None, None, attrs("item_id:string", "type:string"), True),
    ("retraining/elec_data_small_first.csv", "CUSTOM", "TARGET_TIME_SERIES", "H", None, ELEC, False),
    ("retraining/elec_data_small_new.csv", "CUSTOM", "TARGET_TIME_SERIES", "H", None, ELEC, False),
    ("bike/bike.csv", "CUSTOM", "RELATED_TIME_SERIES", "H", None, attrs(
        "timestamp:timestamp", "season:integer", "holiday:integer", "workingday:integer",
        "weather:integer", "temp:float", "atemp:float", "humidity:float", "windspeed:float",
        "casual:float", "registered:float", "count:float", "item_id:string"), False),
    ("whatif/consumer_electronics_TTS.csv", "RETAIL", "TARGET_TIME_SERIES", "M", "yyyy-MM-dd",
     attrs("item_id:string", "store_id:string", "timestamp:timestamp", "demand:float"), True),
    ("whatif/consumer_electronics_RTS.csv", "RETAIL", "RELATED_TIME_SERIES", "M", "yyyy-MM-dd",
     attrs("item_id:string", "store_id:string", "timestamp:timestamp", "price:float"), True),
    ("whatif/product_demand.csv", "RETAIL", "RELATED_TIME_SERIES", "M", "yyyy-MM-dd",
     attrs("item_id:string", "timestamp:timestamp", "demand:float", "price:float"), True),
    ("filling/tts.csv", "RETAIL", "TARGET_TIME_SERIES", "M", "yyyy-MM-dd",
     attrs("item_id:string", "timestamp:timestamp", "demand:float"), True),
    ("filling/rts.csv", "RETAIL", "RELATED_TIME_SERIES", "M", "yyyy-MM-dd",
     attrs("item_id:string", "timestamp:timestamp", "price:float"), True),
    ("custom-frequency/sample_demand.csv", "CUSTOM", "TARGET_TIME_SERIES", "H", None,
     attrs("timestamp:timestamp", "item_id:string", "target_value:float"), True),
    ("explainability/TTS.csv", "CUSTOM", "TARGET_TIME_SERIES", "M", None,
     attrs("timestamp:timestamp", "item_id:string", "target_value:float"), True),
    ("explainability/RTS.csv", "CUSTOM", "RELATED_TIME_SERIES", "M", None,
     attrs("timestamp:timestamp", "item_id:string", "loss_rate:float", "customer_request:float"), True),
    ("explainability/IM.csv", "CUSTOM", "ITEM_METADATA", None, None,
     attrs("item_id:string", "model_type:string"), True),
]


def run(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(("path", "domain", "dataset_type", "freq", "ts_format", "schema", "header"),
                         SAMPLES, ids=[s[0] for s in SAMPLES])
def test_sample_imports_and_round_trips(home: Path, tmp_path: Path, path: str, domain: str,
                                       dataset_type: str, freq: str | None, ts_format: str | None,
                                       schema: dict, header: bool) -> None:
    source = require_samples() / path
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema))
    dataset = run("create-dataset", "--dataset-name", "sample", "--domain", domain,
                  "--dataset-type", dataset_type, "--schema", f"file://{schema_file}",
                  *(["--data-frequency", freq] if freq else []))["DatasetArn"]
    job = run("create-dataset-import-job", "--dataset-import-job-name", "first",
              "--dataset-arn", dataset, "--data-source",
              json.dumps({"S3Config": {"Path": str(source), "RoleArn": "arn:aws:iam::1:role/x"}}),
              *(["--timestamp-format", ts_format] if ts_format else []), "--wait")
    described = run("describe-dataset-import-job", "--dataset-import-job-arn",
                    job["DatasetImportJobArn"])
    assert described["Status"] == "ACTIVE", described.get("Message")
    names = [a["AttributeName"] for a in schema["Attributes"]]
    assert set(described["FieldStatistics"]) == set(names)

    # round trip: the stored version holds exactly the file's rows and values
    version = next((home / "store" / "datasets" / "sample" / "versions").iterdir())
    stored = pl.read_parquet(version / "data.parquet")
    assert stored.columns == names
    raw = pl.read_csv(source, has_header=header, new_columns=names, infer_schema=False,
                      encoding="utf8-lossy")
    assert stored.height == raw.height
    assert described["FieldStatistics"][names[0]]["Count"] == raw.height
    for attribute in schema["Attributes"]:
        name, kind = attribute["AttributeName"], attribute["AttributeType"]
        got, want = stored[name], raw[name]
        if kind in ("float", "integer"):
            want = want.cast(pl.Float64)
            assert sorted(got.cast(pl.Float64).drop_nulls().to_list()) == pytest.approx(
                sorted(want.drop_nulls().to_list()))
            assert got.null_count() == want.null_count()
        elif kind == "timestamp":
            assert sorted(got.dt.strftime("%Y-%m-%d %H:%M:%S").to_list()) == sorted(
                want.str.strptime(pl.Datetime, strict=False).dt.strftime("%Y-%m-%d %H:%M:%S").to_list())
        else:
            assert sorted(got.to_list()) == sorted(want.str.strip_prefix("\ufeff").to_list())


def test_cli_is_a_real_command(home: Path, cli_env: dict) -> None:
    """The installed entry point runs and fails with one line and a non-zero code."""
    ok = subprocess.run([sys.executable, "-m", "forecasthub.cli.main", "create-dataset-group",
                         "--dataset-group-name", "g", "--domain", "CUSTOM"],
                        capture_output=True, text=True, env=cli_env, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["DatasetGroupArn"].endswith("dataset-group/g")
    bad = subprocess.run([sys.executable, "-m", "forecasthub.cli.main", "describe-dataset-group",
                          "--dataset-group-arn", "arn:aws:forecast:us-east-1:000000000000:dataset-group/x"],
                         capture_output=True, text=True, env=cli_env, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.strip().count("\n") == 0 and "ResourceNotFoundException" in bad.stderr
    assert "Traceback" not in bad.stderr

"""Every real Amazon Forecast sample imports and round-trips through the stored Parquet.

The oracle is Python's csv module: the stored values must equal the file's values converted by
the schema types (independently of the polars/pyarrow fast path).
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from forecasthub.data.importer import read_canonical, read_import_files, write_canonical
from forecasthub.data.reader import canonical_schema
from forecasthub.data.schema import (
    ITEM_METADATA,
    RELATED_TIME_SERIES,
    TARGET_TIME_SERIES,
    Schema,
    schema_roles,
)
from forecasthub.data.statistics import field_statistics, import_summary

from .conftest import schema

ELEC = schema(("timestamp", "timestamp"), ("target_value", "float"), ("item_id", "string"))
BIKE_COLUMNS = [
    ("datetime", "timestamp"), ("season", "integer"), ("holiday", "integer"),
    ("workingday", "integer"), ("weather", "integer"), ("temp", "float"), ("atemp", "float"),
    ("humidity", "integer"), ("windspeed", "float"), ("casual", "integer"),
    ("registered", "integer"),
]
HOURLY = "yyyy-MM-dd hh:mm:ss"
DAILY = "yyyy-MM-dd"

# file, schema, dataset type, TimestampFormat, has header
CASES: list[tuple[str, Schema, str, str | None, bool]] = [
    ("electricity/item-demand-time.csv", ELEC, TARGET_TIME_SERIES, HOURLY, False),
    ("electricity/electricityusagedata.csv", ELEC, TARGET_TIME_SERIES, HOURLY, False),
    ("electricity/item-meta.csv", schema(("item_id", "string"), ("region", "string")),
     ITEM_METADATA, None, False),
    ("cold-start/itemMetaData.csv", schema(("item_id", "string"), ("type", "string")),
     ITEM_METADATA, None, True),
    ("retraining/elec_data_small_first.csv", ELEC, TARGET_TIME_SERIES, HOURLY, False),
    ("retraining/elec_data_small_new.csv", ELEC, TARGET_TIME_SERIES, None, False),
    ("bike/train.csv", schema(*BIKE_COLUMNS, ("count", "integer")), TARGET_TIME_SERIES, None,
     True),
    ("bike/bike.csv", schema(*BIKE_COLUMNS, ("count", "float"), ("item_id", "string")),
     TARGET_TIME_SERIES, HOURLY, False),
    ("whatif/consumer_electronics_TTS.csv",
     schema(("item_id", "string"), ("store_id", "string"), ("timestamp", "timestamp"),
            ("demand", "float")), TARGET_TIME_SERIES, DAILY, True),
    ("whatif/consumer_electronics_RTS.csv",
     schema(("item_id", "string"), ("store_id", "string"), ("timestamp", "timestamp"),
            ("price", "float")), RELATED_TIME_SERIES, DAILY, True),
    ("whatif/product_demand.csv",
     schema(("item_id", "string"), ("timestamp", "timestamp"), ("demand", "float"),
            ("price", "float")), TARGET_TIME_SERIES, DAILY, True),
    ("filling/tts.csv", schema(("item_id", "string"), ("timestamp", "timestamp"),
                               ("demand", "float")), TARGET_TIME_SERIES, DAILY, True),
    ("filling/rts.csv", schema(("item_id", "string"), ("timestamp", "timestamp"),
                               ("price", "float")), RELATED_TIME_SERIES, DAILY, True),
    ("custom-frequency/sample_demand.csv",
     schema(("timestamp", "timestamp"), ("item_id", "string"), ("target_value", "integer")),
     TARGET_TIME_SERIES, None, True),
    ("explainability/TTS.csv",
     schema(("timestamp", "timestamp"), ("item_id", "string"), ("target_value", "float")),
     TARGET_TIME_SERIES, None, True),
    ("explainability/RTS.csv",
     schema(("timestamp", "timestamp"), ("item_id", "string"), ("loss_rate", "float"),
            ("customer_request", "integer")), RELATED_TIME_SERIES, None, True),
    ("explainability/IM.csv", schema(("item_id", "string"), ("model_type", "string")),
     ITEM_METADATA, None, True),
]


def _oracle(path: Path, sch: Schema, has_header: bool) -> list[tuple]:
    """The file's rows converted by the schema, with Python's csv module."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.reader(fh) if any(v.strip() for v in r)]
    if has_header:
        rows = rows[1:]
    out = []
    for r in rows:
        values = []
        for attr, v in zip(sch, r, strict=True):
            if v == "":
                values.append(None)
            elif attr.type == "float":
                values.append(float(v))
            elif attr.type == "integer":
                values.append(int(v))
            elif attr.type == "timestamp":
                fmt = "%Y-%m-%d" if len(v) == 10 else "%Y-%m-%d %H:%M:%S"
                values.append(datetime.strptime(v, fmt))
            else:
                values.append(v)
        out.append(tuple(values))
    return out


@pytest.mark.parametrize(("name", "sch", "dataset_type", "fmt", "has_header"), CASES,
                         ids=[c[0] for c in CASES])
def test_sample_round_trip(samples: Path, tmp_path: Path, name: str, sch: Schema,
                           dataset_type: str, fmt: str | None, has_header: bool) -> None:
    path = samples / name
    frame = read_import_files([str(path)], sch, dataset_type, "CSV", fmt)
    assert frame.columns == sch.names
    assert dict(frame.schema) == canonical_schema(sch)
    roles = schema_roles(sch, dataset_type)
    assert frame.select(roles.sort_columns).is_duplicated().sum() == 0 or (
        dataset_type == TARGET_TIME_SERIES
    )
    assert frame.sort(roles.sort_columns, maintain_order=True).equals(frame)

    stored = tmp_path / "data.parquet"
    write_canonical(frame, stored, sch)
    back = read_canonical(stored)
    assert back.equals(frame)
    expected = _oracle(path, sch, has_header)
    assert sorted(back.rows(), key=repr) == sorted(expected, key=repr)

    stats = field_statistics(back, sch)
    assert set(stats) == set(sch.names)
    for attr in sch:
        assert stats[attr.name]["Count"] + stats[attr.name]["CountNull"] == len(expected)
    summary = import_summary(back, sch, dataset_type, input_bytes=path.stat().st_size)
    assert summary["Rows"] == len(expected)


def test_headerless_folder_import(samples: Path) -> None:
    from forecasthub.data.importer import list_import_files

    files = list_import_files(samples / "retraining")
    assert [Path(f).name for f in files] == ["elec_data_small_first.csv", "elec_data_small_new.csv"]
    frame = read_import_files(files, ELEC, TARGET_TIME_SERIES, timestamp_format=HOURLY)
    assert frame.height == 960 + 984  # TTS duplicates are kept for aggregation


def test_statistics_shape(samples: Path) -> None:
    sch = ELEC
    frame = read_import_files([str(samples / "electricity/item-demand-time.csv")], sch,
                              TARGET_TIME_SERIES, timestamp_format=HOURLY)
    stats = field_statistics(frame, sch)
    assert stats["timestamp"]["Min"] == "2014-01-01T01:00:00Z"
    assert stats["timestamp"]["Max"] == "2014-11-29T23:00:00Z"
    assert stats["item_id"] == {"Count": 23973, "CountDistinct": 3, "CountNull": 0}
    target = stats["target_value"]
    assert target["Min"] == "0.0" and target["CountNan"] == 0
    assert isinstance(target["Avg"], float) and isinstance(target["Stddev"], float)
    summary = import_summary(frame, sch, TARGET_TIME_SERIES)
    assert summary["SeriesCount"] == 3
    assert summary["FirstTimestamp"] == "2014-01-01T01:00:00Z"

"""Import jobs end to end in the service: good imports publish a version; bad input fails the
job with a message naming file, row and column, and the previous version stays the data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from forecasthub.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from forecasthub.services.import_jobs import read_version

SCHEMA = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                         {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"}]}
GOOD = "item_id,timestamp,target_value\na,2020-01-01,1\na,2020-01-02,2\nb,2020-01-01,5\n"


@pytest.fixture
def dataset(fh) -> str:
    return fh.create_dataset(DatasetName="d", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                             DataFrequency="D", Schema=SCHEMA)["DatasetArn"]


def _import(fh, dataset: str, path: Path | str, name: str, **extra) -> dict:
    arn = fh.create_dataset_import_job(
        DatasetImportJobName=name, DatasetArn=dataset, DataSource={"S3Config": {"Path": str(path)}},
        TimestampFormat="yyyy-MM-dd", wait=True, **extra)["DatasetImportJobArn"]
    return fh.describe_dataset_import_job(DatasetImportJobArn=arn)


def _current(fh, dataset: str) -> pl.DataFrame:
    from forecasthub.store.orm import DatasetRow

    with fh.hub.db.session() as s:
        key = s.get(DatasetRow, dataset).current_version
    return read_version(fh.hub, key)


def test_good_import_then_incremental_upsert(fh, dataset: str, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text(GOOD)
    desc = _import(fh, dataset, first, "first")
    assert desc["Status"] == "ACTIVE"
    stats = desc["FieldStatistics"]
    assert stats["target_value"]["Count"] == 3 and stats["target_value"]["Max"] == "5.0"
    assert stats["item_id"]["CountDistinct"] == 2
    assert desc["DataSize"] >= 0
    more = tmp_path / "more.csv"
    more.write_text("a,2020-01-02,20\nc,2020-01-01,7\n")
    assert _import(fh, dataset, more, "more", ImportMode="INCREMENTAL")["Status"] == "ACTIVE"
    data = _current(fh, dataset)
    assert data.height == 4
    assert data.filter((pl.col("item_id") == "a") & (pl.col("target_value") == 20)).height == 1
    assert fh.describe_dataset(DatasetArn=dataset)["Status"] == "ACTIVE"


BAD_FILES = {
    "wrong column count": ("a,2020-01-01,1\nb,2020-01-02\n", ["row 2"]),
    "unparseable timestamp": ("a,2020-01-01,1\na,2020-13-45,2\n", ["row 2", "timestamp", "2020-13-45"]),
    "non-numeric target": ("a,2020-01-01,1\na,2020-01-02,lots\n", ["row 2", "target_value", "lots"]),
    "missing item id": ("a,2020-01-01,1\n,2020-01-02,2\n", ["row 2", "item_id"]),
    "empty file": ("", ["empty"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_fails_the_job_and_keeps_the_previous_version(fh, dataset: str, tmp_path: Path,
                                                                case: str) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    _import(fh, dataset, good, "good")
    before = _current(fh, dataset)
    content, expected = BAD_FILES[case]
    bad = tmp_path / "bad file.csv"
    bad.write_text(content)
    desc = _import(fh, dataset, bad, "bad")
    assert desc["Status"] == "CREATE_FAILED"
    assert "bad file.csv" in desc["Message"]
    for fragment in expected:
        assert fragment.lower() in desc["Message"].lower(), desc["Message"]
    assert "Traceback" not in desc["Message"]
    assert _current(fh, dataset).equals(before)
    assert fh.describe_dataset(DatasetArn=dataset)["Status"] == "ACTIVE"


def test_non_utf8_bytes_name_the_row(fh, dataset: str, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("a,2020-01-01,1\nb\xe9,2020-01-02,2\n".encode("latin-1"))
    desc = _import(fh, dataset, bad, "latin")
    assert desc["Status"] == "CREATE_FAILED"
    assert "utf-8" in desc["Message"].lower() and "row 2" in desc["Message"]


def test_synchronous_errors(fh, dataset: str, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    _import(fh, dataset, good, "first")
    with pytest.raises(AlreadyExistsError):
        _import(fh, dataset, good, "first")
    with pytest.raises(NotFoundError):
        _import(fh, dataset.replace("dataset/d", "dataset/nope"), good, "x")
    with pytest.raises(InvalidInputError, match="outside the allowed import roots"):
        _import(fh, dataset, Path("/etc/passwd"), "escape")
    with pytest.raises(InvalidInputError, match="outside the allowed import roots"):
        _import(fh, dataset, tmp_path / ".." / ".." / "etc", "escape2")
    with pytest.raises(NotFoundError, match="no such file"):
        _import(fh, dataset, tmp_path / "missing.csv", "missing")
    with pytest.raises(InvalidInputError, match="Format"):
        _import(fh, dataset, good, "fmt", Format="XLSX")
    with pytest.raises(InvalidInputError, match="TimeZone"):
        _import(fh, dataset, good, "tz", TimeZone="Mars/Olympus")


def test_folder_import_and_file_url(fh, dataset: str, tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "part0.csv").write_text("a,2020-01-01,1\n")
    (folder / "part1.csv").write_text("b,2020-01-01,2\n")
    (folder / "_SUCCESS").write_text("")
    desc = _import(fh, dataset, f"file://{folder}", "folder")
    assert desc["Status"] == "ACTIVE", desc.get("Message")
    assert _current(fh, dataset).height == 2


def test_delete_import_job_keeps_current_data(fh, dataset: str, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    desc = _import(fh, dataset, good, "first")
    fh.delete_dataset_import_job(DatasetImportJobArn=desc["DatasetImportJobArn"])
    assert _current(fh, dataset).height == 3
    with pytest.raises(NotFoundError):
        fh.describe_dataset_import_job(DatasetImportJobArn=desc["DatasetImportJobArn"])

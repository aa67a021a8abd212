"""Bad input gives a DataError naming the file, the 1-based row (a header counts) and column."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from forecasthub.data.importer import read_import_files
from forecasthub.data.schema import ITEM_METADATA, RELATED_TIME_SERIES, TARGET_TIME_SERIES
from forecasthub.errors import DataError, InvalidInputError

from .conftest import schema, write

TTS = schema(("item_id", "string"), ("timestamp", "timestamp"), ("target_value", "float"))
TTS_INT = schema(("item_id", "string"), ("timestamp", "timestamp"), ("target_value", "integer"))
IM = schema(("item_id", "string"), ("color", "string"))
GOOD = "a,2020-01-01 00:00:00,1\na,2020-01-02 00:00:00,2\n"


def _error(tmp_path: Path, data: bytes | str, sch=TTS, dataset_type=TARGET_TIME_SERIES,
           name: str = "bad.csv", **kwargs) -> DataError:
    path = write(tmp_path, name, data)
    with pytest.raises(DataError) as err:
        read_import_files([path], sch, dataset_type, **kwargs)
    e = err.value
    assert e.file == path
    assert path in str(e)
    return e


@pytest.mark.parametrize(
    ("data", "row", "column", "words"),
    [
        (GOOD + "b,2020-01-01 00:00:00\n", 3, "target_value", "expected 3 columns"),
        (GOOD + "b,2020-01-01 00:00:00,1,9\n", 3, "#4", "found 4"),
        ("item_id,timestamp,target_value\n" + GOOD + "b,2020-01-32 00:00:00,1\n", 4, "timestamp",
         "2020-01-32"),
        (GOOD + "b,2020-01-01,1\n", 3, "timestamp", "yyyy-MM-dd HH:mm:ss"),
        (GOOD + "b,2020-01-01 00:00:00,abc\n", 3, "target_value", "'abc'"),
        (GOOD + ",2020-01-01 00:00:00,1\n", 3, "item_id", "missing value"),
        (GOOD + "b,,1\n", 3, "timestamp", "missing value"),
        (GOOD + "\n\nb,2020-01-01 00:00:00,x\n", 5, "target_value", "'x'"),  # blank lines count
        (GOOD + 'b,"2020-01-01 00:00:00",1\n"c,d",2020-13-01 00:00:00,1\n', 4, "timestamp",
         "2020-13-01"),
    ],
)
def test_row_and_column_named(tmp_path: Path, data: str, row: int, column: str,
                              words: str) -> None:
    fmt = "yyyy-MM-dd HH:mm:ss" if "HH:mm" in words else None
    e = _error(tmp_path, data, timestamp_format=fmt)
    assert (e.row, e.column) == (row, column)
    assert words in str(e)
    assert f"row {row}" in str(e) and repr(column) in str(e)


def test_decimals_in_integer_column(tmp_path: Path) -> None:
    e = _error(tmp_path, GOOD + "b,2020-01-03 00:00:00,1.5\n", sch=TTS_INT)
    assert (e.row, e.column) == (3, "target_value")
    assert "decimals" in str(e)


def test_first_bad_row_wins_across_checks(tmp_path: Path) -> None:
    data = GOOD + "b,2020-01-01 00:00:00,zz\nb,not a time,1\nb,2020-01-01 00:00:00\n"
    e = _error(tmp_path, data)
    assert (e.row, e.column) == (3, "target_value")


def test_non_utf8(tmp_path: Path) -> None:
    e = _error(tmp_path, GOOD.encode() + "caf\u00e9,2020-01-01 00:00:00,1\n".encode("latin-1"))
    assert (e.row, e.column) == (3, "item_id")
    assert "UTF-8" in str(e)


def test_empty_and_header_only(tmp_path: Path) -> None:
    e = _error(tmp_path, b"")
    assert "empty" in str(e)
    e = _error(tmp_path, "\n \n", name="blank.csv")
    assert "empty" in str(e)
    e = _error(tmp_path, "item_id,timestamp,target_value\n", name="header.csv")
    assert "no data rows" in str(e)


def test_wrong_format(tmp_path: Path) -> None:
    parquet = tmp_path / "real.parquet"
    pl.DataFrame({"item_id": ["a"], "timestamp": [datetime(2020, 1, 1)],
                  "target_value": [1.0]}).write_parquet(parquet)
    e = _error(tmp_path, parquet.read_bytes(), name="data.csv")
    assert "Parquet" in str(e)
    e = _error(tmp_path, GOOD, name="data.parquet", fmt="PARQUET")
    assert "not a Parquet file" in str(e)
    e = _error(tmp_path, b"\x1f\x8b\x08\x00rest", name="data.csv.gz")
    assert "compressed" in str(e)
    with pytest.raises(InvalidInputError, match="Format"):
        read_import_files([str(parquet)], TTS, TARGET_TIME_SERIES, fmt="JSON")


def test_rts_duplicates_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "one.csv", GOOD)
    second = write(tmp_path, "two.csv", "b,2020-01-01 00:00:00,5\na,2020-01-02 00:00:00,7\n")
    with pytest.raises(DataError) as err:
        read_import_files([first, second], TTS, RELATED_TIME_SERIES)
    e = err.value
    assert (e.file, e.row, e.column) == (second, 2, "timestamp")
    assert f"{first} row 2" in str(e) and "a" in str(e)
    # the same rows in a TTS are fine: they are aggregated at training time
    frame = read_import_files([first, second], TTS, TARGET_TIME_SERIES)
    assert frame.height == 4


def test_item_metadata_duplicate_ids(tmp_path: Path) -> None:
    e = _error(tmp_path, "item_id,color\nx,red\ny,blue\n\nx,green\n", sch=IM,
               dataset_type=ITEM_METADATA)
    assert (e.row, e.column) == (5, "item_id")
    assert "duplicate" in str(e)


def test_parquet_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pl.DataFrame({"item_id": ["a", "b"], "timestamp": ["2020-01-01 00:00:00", "oops"],
                  "target_value": [1.0, 2.0]}).write_parquet(path)
    with pytest.raises(DataError) as err:
        read_import_files([str(path)], TTS, TARGET_TIME_SERIES, fmt="PARQUET")
    assert (err.value.row, err.value.column) == (2, "timestamp")
    path2 = tmp_path / "dec.parquet"
    pl.DataFrame({"item_id": ["a", "b"], "timestamp": [datetime(2020, 1, 1)] * 2,
                  "target_value": [1.0, 2.5]}).write_parquet(path2)
    with pytest.raises(DataError) as err:
        read_import_files([str(path2)], TTS_INT, TARGET_TIME_SERIES, fmt="PARQUET")
    assert (err.value.row, err.value.column) == (2, "target_value")

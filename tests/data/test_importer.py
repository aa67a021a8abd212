"""CSV/Parquet reading rules, sorting, folders, writing and incremental merges."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from forecasthub.data import importer
from forecasthub.data.importer import (
    list_import_files,
    merge_incremental,
    read_canonical,
    read_import_files,
    write_canonical,
)
from forecasthub.data.schema import ITEM_METADATA, RELATED_TIME_SERIES, TARGET_TIME_SERIES
from forecasthub.errors import InvalidInputError

from .conftest import schema, write

TTS = schema(("timestamp", "timestamp"), ("target_value", "float"), ("item_id", "string"))
D = datetime


def test_header_by_name_maps_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "\ufeffITEM_ID,Timestamp,target_value\r\n"
                 "48,2020-01-02 00:00:00,2\r\n201,2020-01-01 00:00:00,\r\n48,2020-01-01 00:00:00,1")
    frame = read_import_files([path], TTS, TARGET_TIME_SERIES)
    assert frame.columns == ["timestamp", "target_value", "item_id"]
    assert frame.rows() == [
        (D(2020, 1, 1), None, "201"), (D(2020, 1, 1), 1.0, "48"), (D(2020, 1, 2), 2.0, "48"),
    ]


def test_other_header_is_skipped_and_columns_stay_positional(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "when,demand,sku\n2020-01-01 00:00:00,1,x\n")
    assert read_import_files([path], TTS, TARGET_TIME_SERIES).rows() == [(D(2020, 1, 1), 1.0, "x")]
    im = schema(("item_id", "string"), ("model_type", "string"))
    path = write(tmp_path, "im.csv", "Model_ID,Model_Type\nGuitar_1,Guitar\n")
    assert read_import_files([path], im, ITEM_METADATA).rows() == [("Guitar_1", "Guitar")]
    path = write(tmp_path, "im2.csv", "Guitar_1,Guitar\nDrums_1,Drums\n")
    assert read_import_files([path], im, ITEM_METADATA).height == 2


def test_quotes_blank_lines_and_missing_values(tmp_path: Path) -> None:
    path = write(tmp_path, "q.csv", '2020-01-01 00:00:00,1.5,"a,b"\n\n'
                 '2020-01-02 00:00:00,,"a,b"\n2020-01-03 00:00:00,NaN,"a,b"\n')
    frame = read_import_files([path], TTS, TARGET_TIME_SERIES)
    values = frame["target_value"].to_list()
    assert values[0] == 1.5 and values[1] is None and values[2] != values[2]  # NaN
    assert frame["item_id"].unique().to_list() == ["a,b"]


def test_unsorted_rows_are_sorted_with_dimensions(tmp_path: Path) -> None:
    sch = schema(("item_id", "string"), ("store", "string"), ("timestamp", "timestamp"),
                 ("demand", "float"))
    path = write(tmp_path, "u.csv", "b,s1,2020-01-02,1\na,s2,2020-01-01,2\na,s1,2020-01-02,3\n"
                 "a,s1,2020-01-01,4\n")
    frame = read_import_files([path], sch, TARGET_TIME_SERIES, timestamp_format="yyyy-MM-dd")
    assert frame.select("item_id", "store", "demand").rows() == [
        ("a", "s1", 4.0), ("a", "s1", 3.0), ("a", "s2", 2.0), ("b", "s1", 1.0)]


def test_epoch_and_time_zone(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", "1577836800,1,a\n1577840400,2,a\n")
    frame = read_import_files([path], TTS, TARGET_TIME_SERIES, timestamp_format="epoch",
                              time_zone="America/New_York")
    assert frame["timestamp"].to_list() == [D(2019, 12, 31, 19), D(2019, 12, 31, 20)]
    default = read_import_files([path], TTS, TARGET_TIME_SERIES)  # numeric column -> epoch
    assert default["timestamp"].to_list() == [D(2020, 1, 1), D(2020, 1, 1, 1)]
    custom = write(tmp_path, "c.csv", "01/02/2020 13:30,1,a\n")
    frame = read_import_files([custom], TTS, TARGET_TIME_SERIES,
                              timestamp_format="dd/MM/yyyy HH:mm")
    assert frame["timestamp"].to_list() == [D(2020, 2, 1, 13, 30)]
    with pytest.raises(InvalidInputError, match="TimeZone"):
        read_import_files([path], TTS, TARGET_TIME_SERIES, time_zone="Nowhere/Land")


def test_parquet_by_name_and_by_position(tmp_path: Path) -> None:
    named = tmp_path / "n.parquet"
    pl.DataFrame({"ITEM_ID": [48, 7], "timestamp": [D(2020, 1, 2), D(2020, 1, 1)],
                  "target_value": [1, 2]}).write_parquet(named)
    frame = read_import_files([str(named)], TTS, TARGET_TIME_SERIES, fmt="parquet")
    assert frame.rows() == [(D(2020, 1, 2), 1.0, "48"), (D(2020, 1, 1), 2.0, "7")]
    positional = tmp_path / "p.parquet"
    pl.DataFrame({"a": [1577836800], "b": [1.5], "c": ["x"]}).write_parquet(positional)
    frame = read_import_files([str(positional)], TTS, TARGET_TIME_SERIES, fmt="PARQUET")
    assert frame.rows() == [(D(2020, 1, 1), 1.5, "x")]
    aware = tmp_path / "tz.parquet"
    pl.DataFrame({"timestamp": [D(2020, 1, 1, 12)], "target_value": [1.0], "item_id": ["x"]}
                 ).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC")
                                ).write_parquet(aware)
    frame = read_import_files([str(aware)], TTS, TARGET_TIME_SERIES, fmt="PARQUET",
                              time_zone="Europe/Berlin")
    assert frame["timestamp"].to_list() == [D(2020, 1, 1, 13)]


def test_folder_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "part").mkdir()
    (tmp_path / ".hidden").mkdir()
    write(tmp_path, "part/b.csv", "2020-01-02 00:00:00,2,a\n")
    write(tmp_path, "a.csv", "2020-01-01 00:00:00,1,a\n")
    write(tmp_path, "_SUCCESS", "")
    write(tmp_path, ".a.csv.crc", "x")
    write(tmp_path, ".hidden/c.csv", "junk")
    files = list_import_files(tmp_path)
    assert [Path(f).relative_to(tmp_path).as_posix() for f in files] == ["a.csv", "part/b.csv"]
    assert read_import_files(files, TTS, TARGET_TIME_SERIES).height == 2
    monkeypatch.setattr(importer, "MAX_FILES", 1)
    with pytest.raises(InvalidInputError, match="more than 1 files"):
        list_import_files(tmp_path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        list_import_files(tmp_path / "missing")


def test_write_to_path_and_file_object(tmp_path: Path) -> None:
    frame = read_import_files([write(tmp_path, "w.csv", "2020-01-01 00:00:00,1,a\n")], TTS,
                              TARGET_TIME_SERIES)
    buffer = io.BytesIO()
    write_canonical(frame, buffer, TTS)
    buffer.seek(0)
    assert read_canonical(buffer).equals(frame)
    write_canonical(frame, tmp_path / "out.parquet", TTS)
    meta = pl.read_parquet_metadata(tmp_path / "out.parquet")
    assert TTS.to_json() == meta[importer.SCHEMA_METADATA_KEY]


def test_merge_incremental() -> None:
    keys = ["item_id", "timestamp"]
    previous = pl.DataFrame({"item_id": ["a", "a", "b"],
                             "timestamp": [D(2020, 1, 1), D(2020, 1, 2), D(2020, 1, 1)],
                             "price": [1.0, 2.0, 3.0]})
    new = pl.DataFrame({"item_id": ["a", "c"], "timestamp": [D(2020, 1, 2), D(2020, 1, 1)],
                        "price": [20.0, 5.0]})
    merged = merge_incremental(previous, new, keys)
    assert merged.rows() == [("a", D(2020, 1, 1), 1.0), ("a", D(2020, 1, 2), 20.0),
                             ("b", D(2020, 1, 1), 3.0), ("c", D(2020, 1, 1), 5.0)]
    with pytest.raises(InvalidInputError):
        merge_incremental(previous, new.rename({"price": "cost"}), keys)


def test_retraining_files_incremental(samples: Path) -> None:
    folder = samples / "retraining"
    fmt = "yyyy-MM-dd hh:mm:ss"
    first = read_import_files([str(folder / "elec_data_small_first.csv")], TTS,
                              RELATED_TIME_SERIES, timestamp_format=fmt)
    new = read_import_files([str(folder / "elec_data_small_new.csv")], TTS,
                            RELATED_TIME_SERIES, timestamp_format=fmt)
    merged = merge_incremental(first, new, ["item_id", "timestamp"])
    assert merged.height == 984
    assert merged.equals(new)


def test_is_sorted_matches_a_real_sort() -> None:
    from forecasthub.data.importer import is_sorted

    frame = pl.DataFrame({"k": ["a", "a", "b", "b", "c"], "d": ["x", "y", "x", "x", "x"],
                          "t": [1, 0, 2, 3, 0]})
    for columns in (["k"], ["k", "t"], ["k", "d"], ["k", "d", "t"], ["d", "t"]):
        expected = frame.equals(frame.sort(columns, maintain_order=True))
        assert is_sorted(frame, columns) == expected, columns
        ordered = frame.sort(columns)
        assert is_sorted(ordered, columns)

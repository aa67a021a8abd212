"""Property tests: random clean files round-trip; one bad cell is reported at its exact row."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasthub.data.importer import read_import_files
from forecasthub.data.schema import TARGET_TIME_SERIES
from forecasthub.errors import DataError

from .conftest import schema

SCHEMA = schema(("item_id", "string"), ("timestamp", "timestamp"), ("qty", "integer"),
                ("target_value", "float"))
IDS = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00", min_codepoint=32),
              min_size=1, max_size=8).filter(lambda s: s.strip() != "" and s.strip() == s)
ROWS = st.lists(
    st.tuples(
        IDS,
        st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)).map(
            lambda d: d.replace(microsecond=0)),
        st.one_of(st.none(), st.integers(-(2**53), 2**53)),
        st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)),
    ),
    min_size=1, max_size=30,
)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _csv(rows: list[tuple], header: bool, crlf: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    if header:
        writer.writerow(SCHEMA.names)
    for item, ts, qty, value in rows:
        writer.writerow([item, ts.strftime("%Y-%m-%d %H:%M:%S"), "" if qty is None else qty,
                         "" if value is None else repr(value)])
    return buffer.getvalue().encode()


@SETTINGS
@given(rows=ROWS, header=st.booleans(), crlf=st.booleans())
def test_clean_files_round_trip(tmp_path: Path, rows: list[tuple], header: bool,
                                crlf: bool) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(_csv(rows, header, crlf))
    frame = read_import_files([str(path)], SCHEMA, TARGET_TIME_SERIES)
    assert sorted(frame.rows(), key=repr) == sorted(rows, key=repr)
    keys = frame.select("item_id", "timestamp")
    assert keys.equals(keys.sort(["item_id", "timestamp"], maintain_order=True))


@SETTINGS
@given(rows=ROWS, header=st.booleans(), data=st.data())
def test_one_bad_cell_is_located(tmp_path: Path, rows: list[tuple], header: bool,
                                 data: st.DataObject) -> None:
    text = _csv(rows, header, False).decode().split("\n")[:-1]
    index = data.draw(st.integers(0, len(rows) - 1))
    column, bad = data.draw(st.sampled_from([
        (1, "2020-02-30 00:00:00"), (1, "yesterday"), (2, "1.5"), (2, "ten"), (3, "abc"),
        (0, ""), (1, ""),
    ]))
    line = int(header) + index
    cells = next(csv.reader([text[line]]))
    cells[column] = bad
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    text[line] = out.getvalue().rstrip("\n")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_import_files([str(path)], SCHEMA, TARGET_TIME_SERIES)
    e = err.value
    assert e.file == str(path)
    assert e.row == line + 1
    assert e.column == SCHEMA.names[column]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["b", "a", "ab", "é", "10", "9"]),
                               st.sampled_from(["s2", "s1"]),
                               st.integers(0, 5).map(lambda d: datetime(2020, 1, 1 + d)),
                               st.integers(0, 1000)), min_size=1, max_size=40))
def test_canonical_sort_matches_polars(rows: list[tuple]) -> None:
    import polars as pl

    from forecasthub.data.importer import sort_canonical
    from forecasthub.data.schema import schema_roles

    sch = schema(("item_id", "string"), ("store", "string"), ("timestamp", "timestamp"),
                 ("qty", "integer"))
    frame = pl.DataFrame(rows, schema=["item_id", "store", "timestamp", "qty"], orient="row")
    roles = schema_roles(sch, TARGET_TIME_SERIES)
    expected = frame.sort(roles.sort_columns, maintain_order=True)
    assert sort_canonical(frame, roles).equals(expected)

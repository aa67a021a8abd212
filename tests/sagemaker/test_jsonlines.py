"""The JSON Lines format alone: round trips and a clear error (file, line, field) per bad input."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest

from forecasthub.errors import DataError, InvalidInputError
from forecasthub.sagemaker.inference import DEFAULT_QUANTILES, InferenceConfig
from forecasthub.sagemaker.jsonlines import (
    Consistency,
    JsonLinesError,
    check_dynamic_length,
    read_series,
    series_object,
    write_series,
)

GOOD = '{"start": "2020-01-01 00:00:00", "target": [1, 2, 3]}'


@pytest.mark.parametrize("name", ["data.jsonl", "data.json.gz"])
def test_round_trip_keeps_values_nan_cat_and_dynamic_feat(tmp_path: Path, name: str) -> None:
    target = np.array([1.5, np.nan, 3.25, 1e-7, -2.0])
    objs = [series_object("2009-11-01 00:00:00", target, [0, 3], [[1, 2, 3, 4, 5, 6]]),
            series_object(np.datetime64("2012-01-30T06:00"), [1.0], None, None)]
    path = tmp_path / name
    assert write_series(path, objs) == 2
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        text = gzip.decompress(path.read_bytes()).decode()
    else:
        text = path.read_text()
    first = json.loads(text.splitlines()[0])
    assert first["target"][1] == "NaN" and first["start"] == "2009-11-01 00:00:00"
    series = list(read_series(path))
    assert [s.line for s in series] == [1, 2]
    np.testing.assert_array_equal(series[0].target, target)
    assert series[0].cat == (0, 3)
    np.testing.assert_array_equal(series[0].dynamic_feat, [[1, 2, 3, 4, 5, 6]])
    assert series[1].start.isoformat() == "2012-01-30T06:00:00"
    assert series[1].cat is None and series[1].dynamic_feat is None
    rewritten = tmp_path / ("again_" + name)
    write_series(rewritten, (series_object(s.start, s.target, s.cat, s.dynamic_feat)
                             for s in series))
    assert next(iter(read_series(rewritten))).target.tobytes() == series[0].target.tobytes()


def test_reader_accepts_sagemaker_variants(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_bytes(b'\xef\xbb\xbf{"start": "2012-01-30", "target": [1.0, null, "nan"], '
                     b'"cat": 2, "id": "sku-1"}\r\n\n   \n'
                     b'{"start": "2012-01-30T01:00:00", "target": [NaN, 4]}')
    first, second = list(read_series(path))
    assert first.cat == (2,) and first.item_id == "sku-1"
    assert np.isnan(first.target[1]) and np.isnan(first.target[2])
    assert second.line == 4 and math.isnan(second.target[0])


BAD = [
    ("not JSON", "{start: 1}", None, "not valid JSON"),
    ("not an object", "[1, 2]", None, "JSON object"),
    ("missing start", '{"target": [1]}', "start", "missing"),
    ("missing target", '{"start": "2020-01-01"}', "target", "missing"),
    ("unparseable start", '{"start": "2020-02-30 00:00:00", "target": [1]}', "start",
     "cannot parse"),
    ("start with time zone", '{"start": "2020-01-01T00:00:00+02:00", "target": [1]}', "start",
     "time zone"),
    ("start not text", '{"start": 20200101, "target": [1]}', "start", "timestamp string"),
    ("target not a list", '{"start": "2020-01-01", "target": 3}', "target", "list"),
    ("target empty", '{"start": "2020-01-01", "target": []}', "target", "empty"),
    ("target text", '{"start": "2020-01-01", "target": [1, "x"]}', "target", "target[1]"),
    ("target infinite", '{"start": "2020-01-01", "target": [1, Infinity]}', "target",
     "infinite"),
    ("cat negative", '{"start": "2020-01-01", "target": [1], "cat": [0, -1]}', "cat", "cat[1]"),
    ("cat fraction", '{"start": "2020-01-01", "target": [1], "cat": [0.5]}', "cat", "cat[0]"),
    ("cat text", '{"start": "2020-01-01", "target": [1], "cat": "a"}', "cat", "non-negative"),
    ("dynamic_feat not nested", '{"start": "2020-01-01", "target": [1], "dynamic_feat": [1]}',
     "dynamic_feat", "list of lists"),
    ("dynamic_feat ragged",
     '{"start": "2020-01-01", "target": [1], "dynamic_feat": [[1, 2], [1]]}', "dynamic_feat",
     "dynamic_feat[1] has 1 values"),
    ("dynamic_feat NaN", '{"start": "2020-01-01", "target": [1], "dynamic_feat": [[1, "NaN"]]}',
     "dynamic_feat", "missing"),
]


@pytest.mark.parametrize(("case", "line", "field", "text"), BAD, ids=[b[0] for b in BAD])
def test_bad_line_names_file_line_and_field(tmp_path: Path, case: str, line: str,
                                            field: str | None, text: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{GOOD}\n\n{line}\n{GOOD}\n")
    with pytest.raises(JsonLinesError) as info:
        list(read_series(path, source="bad.jsonl"))
    err = info.value
    assert isinstance(err, DataError) and err.http_status == 400
    assert (err.file, err.line, err.field) == ("bad.jsonl", 3, field)
    message = str(err)
    assert message.startswith("file bad.jsonl, line 3") and text in message
    if field:
        assert f"field {field!r}" in message


def test_bad_gzip_and_utf8_are_data_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.json.gz"
    path.write_bytes(gzip.compress(f"{GOOD}\n{GOOD}\n".encode())[:-12])
    with pytest.raises(JsonLinesError, match="cannot read the file"):
        list(read_series(path))
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(GOOD.encode() + b'\n{"start": "2020-01-01", "target": [1], "id": "\xe9"}\n')
    with pytest.raises(JsonLinesError, match="line 2") as info:
        list(read_series(latin))
    assert "UTF-8" in str(info.value)


def test_consistency_and_dynamic_length(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"start": "2020-01-01", "target": [1, 2], "cat": [0, 1], '
                    '"dynamic_feat": [[1, 2, 3]]}\n'
                    '{"start": "2020-01-01", "target": [1], "cat": [0]}\n')
    first, second = list(read_series(path))
    check = Consistency()
    check.check(first)
    with pytest.raises(JsonLinesError, match=r"line 2, field 'cat'.*1 cat value\(s\).*line 1"):
        check.check(second)
    with pytest.raises(JsonLinesError, match=r"line 1, field 'dynamic_feat'.*3 values.*needs 4"):
        check_dynamic_length(first, 4, "len(target) + prediction_length")


def test_inference_configuration_parsing() -> None:
    default = InferenceConfig.parse(None)
    assert (default.num_samples, default.output_types, default.quantiles) == (
        100, ("mean", "quantiles"), DEFAULT_QUANTILES)
    config = InferenceConfig.parse('{"num_samples": 5, "output_types": ["samples", "mean"], '
                                   '"quantiles": ["0.50", 0.9]}')
    assert config.quantiles == ("0.50", "0.9") and config.quantile_values == (0.5, 0.9)
    for bad, text in [({"num_samples": 0}, "num_samples"), ({"output_types": ["median"]},
                      "median"), ({"quantiles": ["1.5"]}, "strictly between"),
                      ({"quantiles": ["x"]}, "not a number"), ({"foo": 1}, "unknown"),
                      ("{", "not valid JSON"), ({"quantiles": ["0.1", "0.1"]}, "twice")]:
        with pytest.raises(InvalidInputError, match=text):
            InferenceConfig.parse(bad)

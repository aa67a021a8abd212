"""JSON Lines <-> dataset group through the real import path: round trips, channels, mapping."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from forecasthub.cli.main import cli
from forecasthub.errors import InvalidInputError
from forecasthub.sagemaker.convert import category_order, export_jsonlines, import_jsonlines
from forecasthub.sagemaker.jsonlines import JsonLinesError, read_series, write_series
from forecasthub.services.import_jobs import load_group_data
from tests.sagemaker.conftest import panel_objects, write_panel


def run(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def attrs(*pairs: str) -> dict:
    return {"Attributes": [{"AttributeName": p.split(":")[0], "AttributeType": p.split(":")[1]}
                           for p in pairs]}


def csv_group(fh, tmp_path: Path) -> str:
    """A CUSTOM group imported from CSV: 3 items x 10 days (one missing value), price running
    3 days past the target, a string category."""
    days = [f"2024-01-{d:02d}" for d in range(1, 14)]
    tts = ["item_id,timestamp,target_value"]
    rts = ["item_id,timestamp,price"]
    for k, item in enumerate(["b_item", "a_item", "c_item"]):
        for d, day in enumerate(days):
            if d < 10:
                value = "" if (item == "a_item" and d == 4) else f"{10 * k + d + 0.25}"
                tts.append(f"{item},{day},{value}")
            rts.append(f"{item},{day},{1 + k + d / 10:.2f}")
    (tmp_path / "tts.csv").write_text("\n".join(tts) + "\n")
    (tmp_path / "rts.csv").write_text("\n".join(rts) + "\n")
    (tmp_path / "im.csv").write_text("item_id,category\nb_item,toys\na_item,food\nc_item,toys\n")
    fh.create_dataset_group(DatasetGroupName="shop", Domain="CUSTOM")
    arns = []
    for name, kind, schema, freq in [
            ("shop_tts", "TARGET_TIME_SERIES",
             attrs("item_id:string", "timestamp:timestamp", "target_value:float"), "D"),
            ("shop_rts", "RELATED_TIME_SERIES",
             attrs("item_id:string", "timestamp:timestamp", "price:float"), "D"),
            ("shop_im", "ITEM_METADATA", attrs("item_id:string", "category:string"), None)]:
        arn = fh.create_dataset(DatasetName=name, Domain="CUSTOM", DatasetType=kind,
                                Schema=schema, DataFrequency=freq)["DatasetArn"]
        job = fh.create_dataset_import_job(
            DatasetImportJobName="first", DatasetArn=arn, wait=True,
            DataSource={"S3Config": {"Path": str(tmp_path / f"{name[5:]}.csv")}})
        assert fh.describe_dataset_import_job(
            DatasetImportJobArn=job["DatasetImportJobArn"])["Status"] == "ACTIVE"
        arns.append(arn)
    group = fh.hub.arn("dataset-group", "shop")
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=arns)
    return group


def frames(fh, group: str) -> dict[str, pl.DataFrame]:
    datasets, _ = load_group_data(fh.hub, fh.hub.arn("dataset-group", group))
    return {kind: frame for kind, (_, frame) in datasets.items()}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_channels_and_mapping_then_import_round_trips(fh, tmp_path: Path) -> None:
    csv_group(fh, tmp_path)
    out = tmp_path / "channels"
    summary = run("sagemaker", "export", "--dataset-group", "shop", "--prediction-length", "3",
                  "--out", str(out), "--validation")
    assert summary["Counts"] == {"train": 3, "test": 3, "validation": 3}
    mapping = json.loads((out / "mapping.json").read_text())
    assert mapping["items"] == ["a_item", "b_item", "c_item"]
    assert mapping["cat"] == [{"column": "category", "values": ["food", "toys"]}]
    assert mapping["dynamic_feat"] == ["price"] and mapping["frequency"] == "D"
    assert mapping["test_dynamic_feat_covers_prediction"] is True
    test, train, val = (lines(out / f) for f in ("test.json", "train.json", "validation.json"))
    for t, tr, v in zip(test, train, val, strict=True):
        assert len(t["target"]) == 10
        assert len(t["target"]) - len(v["target"]) == 3
        assert len(t["target"]) - len(tr["target"]) == 6
        assert len(t["dynamic_feat"][0]) == 13  # covers the 3 future steps
        assert len(tr["dynamic_feat"][0]) == len(tr["target"])
        assert len(v["dynamic_feat"][0]) == len(v["target"])
        assert t["start"] == tr["start"] == "2024-01-01 00:00:00"
    assert [t["cat"] for t in test] == [[0], [1], [1]]  # food, toys, toys
    assert test[0]["target"][4] == "NaN" and test[0]["target"][5] == 15.25
    assert test[1]["dynamic_feat"][0][:2] == [1.0, 1.1]

    # back into a new group: item ids, category values and attribute names come back
    run("sagemaker", "import", str(out / "test.json"), "--dataset-group", "shop_copy",
        "--mapping", str(out / "mapping.json"))
    original, copy = frames(fh, "shop"), frames(fh, "shop_copy")
    for kind in ("TARGET_TIME_SERIES", "RELATED_TIME_SERIES", "ITEM_METADATA"):
        a, b = original[kind], copy[kind]
        assert a.columns == b.columns, kind
        keys = [c for c in ("item_id", "timestamp") if c in a.columns]
        assert a.sort(keys).equals(b.sort(keys)), kind
    again = tmp_path / "again"
    export_jsonlines(fh.hub, "shop_copy", 3, again, validation=True)
    for name in ("train.json", "validation.json", "test.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    second = json.loads((again / "mapping.json").read_text())
    assert {k: v for k, v in second.items() if k != "dataset_group"} == \
        {k: v for k, v in mapping.items() if k != "dataset_group"}


def test_jsonlines_import_export_round_trip(fh, tmp_path: Path) -> None:
    objs = panel_objects(n_series=12, length=30)
    source = tmp_path / "panel.jsonl.gz"
    write_series(source, objs)
    result = import_jsonlines(fh, str(source), "panel", "D")
    assert result["Series"] == 12 and set(result["Imports"]) == {
        "TARGET_TIME_SERIES", "RELATED_TIME_SERIES", "ITEM_METADATA"}
    data = frames(fh, "panel")
    assert data["TARGET_TIME_SERIES"].columns == ["item_id", "timestamp", "target_value"]
    assert data["RELATED_TIME_SERIES"].columns == ["item_id", "timestamp", "feat_0"]
    assert data["ITEM_METADATA"].columns == ["item_id", "cat_0", "cat_1"]
    assert data["TARGET_TIME_SERIES"]["target_value"].null_count() == 1  # the "NaN"
    out = tmp_path / "out"
    export_jsonlines(fh.hub, "panel", 7, out)
    mapping = json.loads((out / "mapping.json").read_text())
    assert mapping["items"] == sorted(f"ts_{i}" for i in range(1, 13))
    assert mapping["cat"][0]["values"] == [str(i) for i in range(12)]  # 2 before 10
    exported = {item: obj for item, obj in zip(mapping["items"], lines(out / "test.json"),
                                               strict=True)}
    for i, obj in enumerate(objs, start=1):
        assert exported[f"ts_{i}"] == obj  # same start, values, NaN, cat codes, dynamic_feat
    for tr, te in zip(lines(out / "train.json"), lines(out / "test.json"), strict=True):
        assert len(te["target"]) - len(tr["target"]) == 7


def test_category_order() -> None:
    assert category_order(["10", "2", None, "1"]) == ["1", "2", "10", None]
    assert category_order(["toys", "Food", "10"]) == ["10", "Food", "toys"]


def test_bad_line_fails_before_anything_changes(fh, tmp_path: Path) -> None:
    good = write_panel(tmp_path / "good.jsonl", n_series=3, length=20)
    import_jsonlines(fh, str(good), "keep", "D")
    tts_arn = fh.hub.arn("dataset", "keep_tts")
    before = fh.describe_dataset(DatasetArn=tts_arn)
    versions = load_group_data(fh.hub, fh.hub.arn("dataset-group", "keep"))[1]

    bad = tmp_path / "bad.jsonl"
    rows = good.read_text().splitlines()
    rows[2] = rows[2].replace('"cat":[2,2]', '"cat":[2]')
    bad.write_text("\n".join(rows) + "\n")
    with pytest.raises(JsonLinesError) as info:
        import_jsonlines(fh, str(bad), "keep", "D")
    assert (info.value.line, info.value.field) == (3, "cat")
    assert str(info.value).startswith(f"file {bad}, line 3, field 'cat'")
    assert load_group_data(fh.hub, fh.hub.arn("dataset-group", "keep"))[1] == versions
    assert fh.describe_dataset(DatasetArn=tts_arn)["Status"] == before["Status"] == "ACTIVE"

    with pytest.raises(JsonLinesError, match="line 3"):
        import_jsonlines(fh, str(bad), "never_created", "D")
    assert "never_created" not in json.dumps(fh.list_dataset_groups())


def test_mapping_out_of_range_duplicate_ids_and_cli_errors(fh, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"frequency": "D", "cat": [
        {"column": "color", "values": ["red", "blue"]}]}))
    path = tmp_path / "in.jsonl"
    path.write_text('{"start": "2020-01-01", "target": [1, 2], "cat": [1], "id": "a"}\n'
                    '{"start": "2020-01-01", "target": [1, 2], "cat": [2], "id": "b"}\n')
    with pytest.raises(JsonLinesError, match=r"line 2, field 'cat': cat\[0\] = 2 is out of "
                                             r"range.*'color' has 2 value"):
        import_jsonlines(fh, str(path), "colors", mapping=str(mapping))
    path.write_text('{"start": "2020-01-01", "target": [1, 2], "cat": [1], "id": "a"}\n'
                    '{"start": "2020-01-01", "target": [3], "cat": [0], "id": "a"}\n')
    with pytest.raises(JsonLinesError, match=r"line 2, field 'id': duplicate item id 'a'"):
        import_jsonlines(fh, str(path), "colors", mapping=str(mapping))
    path.write_text('{"start": "2020-01-01", "target": [1, 2], "cat": [1], "sku": "a"}\n'
                    '{"start": "2020-01-01", "target": [3], "cat": [0], "sku": "b"}\n')
    result = import_jsonlines(fh, str(path), "colors", item_id_field="sku",
                              mapping=str(mapping))
    assert result["Series"] == 2
    im = frames(fh, "colors")["ITEM_METADATA"].sort("item_id")
    assert im.rows() == [("a", "blue"), ("b", "red")]
    result = CliRunner().invoke(cli, ["sagemaker", "import", str(tmp_path / "missing.jsonl"),
                                      "--dataset-group", "x", "--frequency", "D"])
    assert result.exit_code == 1 and "no such file" in result.output
    empty = tmp_path / "blank.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(JsonLinesError, match="no series"):
        import_jsonlines(fh, str(empty), "x", "D")


def test_export_needs_history_longer_than_prediction_length(fh, tmp_path: Path) -> None:
    write_series(tmp_path / "short.jsonl", [
        {"start": "2020-01-01 00:00:00", "target": [1.0, 2.0]},
        {"start": "2020-01-01 00:00:00", "target": [1.0, 2.0, 3.0, 4.0, 5.0]}])
    import_jsonlines(fh, str(tmp_path / "short.jsonl"), "short", "D")
    summary = export_jsonlines(fh.hub, "short", 3, tmp_path / "o")
    assert summary["Counts"] == {"train": 1, "test": 2}
    assert summary["Skipped"] == {"train": 1}
    assert [len(s.target) for s in read_series(tmp_path / "o" / "train.json")] == [2]
    with pytest.raises(InvalidInputError, match="too short"):
        export_jsonlines(fh.hub, "short", 5, tmp_path / "p")
    assert not (tmp_path / "p" / "test.json").exists()


def test_import_into_existing_datasets_follows_their_schema(fh, tmp_path: Path) -> None:
    fh.create_dataset_group(DatasetGroupName="elec", Domain="CUSTOM")
    tts = fh.create_dataset(DatasetName="elec_target", Domain="CUSTOM",
                            DatasetType="TARGET_TIME_SERIES", DataFrequency="H",
                            Schema=attrs("timestamp:timestamp", "target_value:float",
                                         "item_id:string"))["DatasetArn"]
    im = fh.create_dataset(DatasetName="elec_meta", Domain="CUSTOM", DatasetType="ITEM_METADATA",
                           Schema=attrs("region:string", "item_id:string"))["DatasetArn"]
    group = fh.hub.arn("dataset-group", "elec")
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[tts, im])
    source = tmp_path / "elec.jsonl"
    source.write_text('{"start": "2014-01-01 01:00:00", "target": [1.5, 2.5], "cat": [0], '
                      '"item_id": "client_12"}\n'
                      '{"start": "2014-01-01 02:00:00", "target": [7.0], "cat": [1], '
                      '"item_id": "client_10"}\n')
    result = import_jsonlines(fh, str(source), "elec", "H")
    assert result["Imports"]["TARGET_TIME_SERIES"]["DatasetArn"] == tts
    data = frames(fh, "elec")
    target = data["TARGET_TIME_SERIES"]
    assert target.columns == ["timestamp", "target_value", "item_id"]
    assert target.sort("item_id", "timestamp").rows() == [
        (np.datetime64("2014-01-01T02:00").astype(object), 7.0, "client_10"),
        (np.datetime64("2014-01-01T01:00").astype(object), 1.5, "client_12"),
        (np.datetime64("2014-01-01T02:00").astype(object), 2.5, "client_12")]
    assert data["ITEM_METADATA"].sort("item_id").rows() == [("1", "client_10"),
                                                            ("0", "client_12")]
    with pytest.raises(InvalidInputError, match="frequency|DataFrequency"):
        import_jsonlines(fh, str(source), "elec", "D")
    fh.create_dataset_group(DatasetGroupName="wide", Domain="CUSTOM")
    wide = fh.create_dataset(DatasetName="wide_tts", Domain="CUSTOM",
                             DatasetType="TARGET_TIME_SERIES", DataFrequency="H",
                             Schema=attrs("item_id:string", "timestamp:timestamp",
                                          "target_value:float", "store:string"))["DatasetArn"]
    fh.update_dataset_group(DatasetGroupArn=fh.hub.arn("dataset-group", "wide"),
                            DatasetArns=[wide])
    with pytest.raises(InvalidInputError, match="dimension attributes"):
        import_jsonlines(fh, str(source), "wide", "H")

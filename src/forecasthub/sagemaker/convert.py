"""A dataset group <-> SageMaker DeepAR JSON Lines.

Import (:func:`import_jsonlines`): every line is one series. ``target`` becomes the group's
TARGET_TIME_SERIES (timestamps ``start + i * frequency``), ``dynamic_feat`` its
RELATED_TIME_SERIES (one float attribute per feature, ``feat_0`` ... or the names in the
mapping; it may run past the target: known future values), ``cat`` its ITEM_METADATA (one
string attribute per feature, ``cat_0`` ... holding the index as text, or, with a mapping, the
original value and attribute name). The item id comes from a field (``--item-id-field``, else
``id`` or ``item_id`` when present), else the mapping's ``items`` (by line order), else
``ts_<n>`` (n = 1-based series number in file order). The lines are validated while they are
streamed into Parquet files (DataError: file, line, field), and those go through the normal
CreateDatasetImportJob path: versions, statistics and the previous good version when a job fails.

Export (:func:`export_jsonlines`): the group's current data -> ``train.json`` (each series
without its last ``prediction_length`` points; without the last ``2 x`` with validation),
``validation.json`` (without the last ``prediction_length``, on request) and ``test.json`` (the
full series), as SageMaker's DeepAR channels want them, plus ``mapping.json``: the categorical
codes (sorted values of each string metadata attribute -> 0..N-1), the item ids in line order,
the dynamic feature names and the frequency, so that results map back to the original names.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from forecasthub.data.frequency import Frequency, infer_frequency, parse_frequency, step_grid
from forecasthub.data.keys import SERIES_KEY_SEPARATOR, make_series_key
from forecasthub.data.schema import (
    ITEM_METADATA,
    RELATED_TIME_SERIES,
    TARGET_TIME_SERIES,
    Schema,
    domain_fields,
    schema_roles,
)
from forecasthub.errors import InvalidInputError, NotFoundError
from forecasthub.sagemaker.jsonlines import (
    Consistency,
    JsonLinesError,
    JsonLinesWriter,
    Series,
    read_series,
    series_object,
)

MAPPING_FORMAT = "forecasthub-sagemaker-mapping/1"
SHORT_TYPES = {TARGET_TIME_SERIES: "tts", RELATED_TIME_SERIES: "rts", ITEM_METADATA: "im"}
ROW_BATCH = 500_000  # rows buffered before a Parquet row group is written
KEY_JOIN = "|"  # how a series key with forecast dimensions is written in mapping["items"]


def category_order(values: list[Any]) -> list[Any]:
    """The order that gives categories their codes 0..N-1: numerically when every value is a
    whole number written as text (``"2"`` before ``"10"``, so codes read as SageMaker ``cat``
    indexes survive an import/export round trip), else lexicographically; null last."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, str) and v.isdigit() for v in present):
        ordered = sorted(set(present), key=lambda v: (int(v), v))
    else:
        ordered = sorted(set(present), key=str)
    return ordered + ([None] if len(present) != len(values) else [])


# -- the mapping ---------------------------------------------------------------------------------


@dataclass
class Mapping:
    """What ``mapping.json`` holds (only the parts an import uses are required)."""

    cat: list[tuple[str, list[Any]]] = field(default_factory=list)  # (column, values by code)
    items: list[str] | None = None
    dynamic_feat: list[str] | None = None
    frequency: str | None = None

    @classmethod
    def load(cls, source: str | Path | dict[str, Any]) -> Mapping:
        name = "mapping"
        if isinstance(source, dict):
            data = source
        else:
            name = str(source)
            try:
                data = json.loads(Path(source).read_text(encoding="utf-8"))
            except OSError as exc:
                raise InvalidInputError(f"cannot read the mapping {name}: {exc.strerror}") from None
            except json.JSONDecodeError as exc:
                raise JsonLinesError(f"not valid JSON: {exc.msg}", file=name,
                                     row=exc.lineno) from None
        if not isinstance(data, dict):
            raise JsonLinesError("the mapping must be a JSON object", file=name)
        cats = []
        for i, entry in enumerate(data.get("cat") or []):
            if (not isinstance(entry, dict) or not isinstance(entry.get("column"), str)
                    or not isinstance(entry.get("values"), list)):
                raise JsonLinesError(f'cat[{i}] must be {{"column": "name", "values": [...]}}',
                                     file=name, column="cat")
            cats.append((entry["column"], list(entry["values"])))
        items = data.get("items")
        if items is not None and (not isinstance(items, list)
                                  or not all(isinstance(v, str) and v for v in items)):
            raise JsonLinesError("items must be a list of item id strings", file=name,
                                 column="items")
        dynamic = data.get("dynamic_feat")
        if dynamic is not None and (not isinstance(dynamic, list)
                                    or not all(isinstance(v, str) for v in dynamic)):
            raise JsonLinesError("dynamic_feat must be a list of attribute names", file=name,
                                 column="dynamic_feat")
        frequency = data.get("frequency")
        if frequency is not None:
            frequency = str(parse_frequency(str(frequency)))
        return cls(cats, items, dynamic, frequency)


# -- import --------------------------------------------------------------------------------------


class _ParquetSink:
    """Rows appended in column batches, written as row groups of one Parquet file."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.schema = path, schema
        self.writer: pq.ParquetWriter | None = None
        self.parts: dict[str, list[Any]] = {n: [] for n in schema.names}
        self.buffered = 0
        self.rows = 0

    def add(self, columns: dict[str, Any], n: int) -> None:
        for name, values in columns.items():
            self.parts[name].append(values)
        self.buffered += n
        if self.buffered >= ROW_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.buffered:
            return
        arrays = []
        for name in self.schema.names:
            typ = self.schema.field(name).type
            chunks = [pa.array(c, type=typ) if not isinstance(c, pa.Array) else c
                      for c in self.parts[name]]
            arrays.append(pa.concat_arrays(chunks))
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="snappy")
        self.writer.write_table(table)
        self.rows += self.buffered
        self.parts = {n: [] for n in self.schema.names}
        self.buffered = 0

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()


@dataclass
class _Plan:
    """Column names of the three datasets the import writes."""

    id_field: str
    target_field: str
    dynamic: list[str]
    cat: list[str]


def _default_names(mapping: Mapping | None, n_cat: int, n_dyn: int, domain: str) -> _Plan:
    fields = domain_fields(domain)
    dynamic = [f"feat_{j}" for j in range(n_dyn)]
    cat = [f"cat_{j}" for j in range(n_cat)]
    if mapping is not None and mapping.dynamic_feat is not None and n_dyn:
        if len(mapping.dynamic_feat) != n_dyn:
            raise InvalidInputError(f"the mapping names {len(mapping.dynamic_feat)} dynamic "
                                    f"feature(s) but the series have {n_dyn}")
        dynamic = list(mapping.dynamic_feat)
    if mapping is not None and mapping.cat and n_cat:
        cat = [c for c, _ in mapping.cat]
    return _Plan(fields.id_field, fields.target_field, dynamic, cat)


def _decode_cat(series: Series, mapping: Mapping | None) -> list[str]:
    assert series.cat is not None
    if mapping is None or not mapping.cat:
        return [str(c) for c in series.cat]
    if len(mapping.cat) != len(series.cat):
        raise series.error(f"has {len(series.cat)} cat value(s) but the mapping describes "
                           f"{len(mapping.cat)} categorical column(s)", "cat")
    out = []
    for j, (code, (column, values)) in enumerate(zip(series.cat, mapping.cat, strict=True)):
        if code >= len(values):
            raise series.error(f"cat[{j}] = {code} is out of range: the mapping's column "
                               f"{column!r} has {len(values)} value(s) "
                               f"(codes 0..{len(values) - 1})",
                               "cat")
        value = values[code]
        out.append(None if value is None else str(value))
    return out


def stage_jsonlines(files: list[str], out_dir: Path, frequency: Frequency, *,
                    mapping: Mapping | None = None, item_id_field: str | None = None,
                    domain: str = "CUSTOM", names: list[str] | None = None) -> dict[str, Any]:
    """Validate JSON Lines ``files`` while streaming them into ``tts.parquet`` (+ ``rts.parquet``,
    ``im.parquet``) under ``out_dir``; returns what was written (counts, column names).

    DataError names the file, the line and the field of the first bad value.
    """
    names = names or files
    consistency = Consistency()
    seen: dict[str, tuple[str, int]] = {}
    sinks: dict[str, _ParquetSink] = {}
    plan: _Plan | None = None
    n = 0
    target_points = 0
    try:
        for path, name in zip(files, names, strict=True):
            for series in read_series(path, source=name, id_field=item_id_field):
                n += 1
                consistency.check(series)
                if plan is None:
                    plan = _default_names(mapping, series.n_cat, series.n_dynamic, domain)
                    sinks = _open_sinks(out_dir, plan)
                item = series.item_id
                if item is None and mapping is not None and mapping.items is not None:
                    if n > len(mapping.items):
                        raise series.error(f"this is series {n} but the mapping lists only "
                                           f"{len(mapping.items)} item ids", "items")
                    item = mapping.items[n - 1]
                if item is None:
                    item = f"ts_{n}"
                if item in seen:
                    where = seen[item]
                    raise series.error(f"duplicate item id {item!r} (first at file {where[0]} "
                                       f"line {where[1]})", item_id_field or "id")
                seen[item] = (series.source, series.line)
                length = len(series.target)
                stamps = step_grid(series.start, length, frequency)
                sinks["tts"].add({"item_id": pa.array([item] * length, pa.string()),
                                  "timestamp": stamps,
                                  "target": pa.array(series.target, pa.float64(),
                                                     from_pandas=True)}, length)
                target_points += length
                if series.dynamic_feat is not None:
                    width = series.dynamic_feat.shape[1]
                    if width < length:
                        raise series.error(
                            f"each dynamic_feat list has {width} values but the target has "
                            f"{length}; they must cover at least the target", "dynamic_feat")
                    cols: dict[str, Any] = {
                        "item_id": pa.array([item] * width, pa.string()),
                        "timestamp": step_grid(series.start, width, frequency)}
                    for j, col in enumerate(plan.dynamic):
                        cols[col] = series.dynamic_feat[j]
                    sinks["rts"].add(cols, width)
                if series.cat is not None:
                    values = _decode_cat(series, mapping)
                    cols = {"item_id": pa.array([item], pa.string())}
                    for col, value in zip(plan.cat, values, strict=True):
                        cols[col] = pa.array([value], pa.string())
                    sinks["im"].add(cols, 1)
    finally:
        for sink in sinks.values():
            sink.close()
    if plan is None:
        raise JsonLinesError("the input has no series (no non-blank line)",
                             file=names[0] if len(names) == 1 else None)
    return {"series": n, "target_points": target_points, "plan": plan,
            "files": {k: s.path for k, s in sinks.items()},
            "rows": {k: s.rows for k, s in sinks.items()}}


def _open_sinks(out_dir: Path, plan: _Plan) -> dict[str, _ParquetSink]:
    ts = pa.timestamp("us")
    sinks = {"tts": _ParquetSink(out_dir / "tts.parquet", pa.schema(
        [("item_id", pa.string()), ("timestamp", ts), ("target", pa.float64())]))}
    if plan.dynamic:
        sinks["rts"] = _ParquetSink(out_dir / "rts.parquet", pa.schema(
            [("item_id", pa.string()), ("timestamp", ts),
             *[(c, pa.float64()) for c in plan.dynamic]]))
    if plan.cat:
        sinks["im"] = _ParquetSink(out_dir / "im.parquet", pa.schema(
            [("item_id", pa.string()), *[(c, pa.string()) for c in plan.cat]]))
    return sinks


def _conform(path: Path, columns: list[str], names: list[str]) -> None:
    """Rewrite ``path`` (streamed, by row group) with ``columns`` in that order, named ``names``."""
    source = pq.ParquetFile(path)
    if source.schema_arrow.names == names:
        return
    tmp = path.with_name(path.name + ".tmp")
    writer = None
    try:
        for i in range(source.num_row_groups):
            table = source.read_row_group(i, columns=columns).rename_columns(names)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    source.close()
    tmp.replace(path)


def _schema_for(kind: str, plan: _Plan) -> Schema:
    if kind == "tts":
        return Schema.from_attributes([(plan.id_field, "string"), ("timestamp", "timestamp"),
                                       (plan.target_field, "float")])
    if kind == "rts":
        return Schema.from_attributes([(plan.id_field, "string"), ("timestamp", "timestamp"),
                                       *[(c, "float") for c in plan.dynamic]])
    return Schema.from_attributes([(plan.id_field, "string"), *[(c, "string") for c in plan.cat]])


def _columns_for(kind: str, schema: Schema, domain: str, plan: _Plan, dataset: str
                 ) -> list[str]:
    """Our staged column for each attribute of an existing dataset's schema (schema order)."""
    dtype = {"tts": TARGET_TIME_SERIES, "rts": RELATED_TIME_SERIES, "im": ITEM_METADATA}[kind]
    roles = schema_roles(schema, dtype, domain)
    if roles.dimensions:
        raise InvalidInputError(
            f"dataset {dataset!r} has dimension attributes {list(roles.dimensions)}; a JSON Lines "
            "import has one series per line and fills only the item id")
    staged = plan.dynamic if kind == "rts" else plan.cat
    features = [a.name for a in schema if a.name in roles.features]
    out = []
    for attr in schema:
        if attr.name == roles.item_id:
            out.append("item_id")
        elif attr.name == roles.timestamp:
            out.append("timestamp")
        elif kind == "tts" and attr.name == roles.target:
            out.append("target")
        elif kind != "tts" and attr.name in features:
            out.append("")  # a feature: filled below
        else:
            raise InvalidInputError(f"dataset {dataset!r} has attribute {attr.name!r}, which a "
                                    "JSON Lines import cannot fill")
    if kind == "tts":
        return out
    if len(features) != len(staged):
        what = "dynamic_feat features" if kind == "rts" else "cat values"
        raise InvalidInputError(f"dataset {dataset!r} has {len(features)} attribute(s) "
                                f"{features} but the series have {len(staged)} {what}")
    wanted = "float" if kind == "rts" else "string"
    bad = [a.name for a in schema if a.name in features and
           (a.type != wanted if kind == "im" else not a.is_numeric)]
    if bad:
        raise InvalidInputError(f"dataset {dataset!r} has attributes {bad} of the wrong type; "
                                f"{'dynamic_feat' if kind == 'rts' else 'cat'} values import "
                                f"into {'numeric' if kind == 'rts' else 'string'} attributes")
    # same names (e.g. from a mapping): by name; otherwise by position
    source = {f: f for f in features} if set(staged) == set(features) else \
        dict(zip(features, staged, strict=True))
    return [col or source[attr.name] for attr, col in zip(schema, out, strict=True)]


def import_jsonlines(client: Any, path: str, dataset_group: str, frequency: str | None = None,
                     *, item_id_field: str | None = None,
                     mapping: str | Path | dict[str, Any] | None = None, domain: str = "CUSTOM",
                     import_mode: str = "FULL") -> dict[str, Any]:
    """Import a JSON Lines file or folder (``.json``/``.jsonl``, optionally gzip) into
    ``dataset_group``, creating the group and its datasets when missing.

    ``client`` is a :class:`forecasthub.client.Client`; the import jobs run in this process.
    """
    from forecasthub.data.importer import list_import_files
    from forecasthub.services import paths

    hub = client.hub
    loaded = Mapping.load(mapping) if mapping is not None else None
    freq_text = frequency or (loaded.frequency if loaded else None)
    if not freq_text:
        raise InvalidInputError("--frequency is required (or a mapping with a frequency)")
    freq = parse_frequency(freq_text)
    source = paths.resolve_local(str(path), hub.settings.import_roots)
    files = list_import_files(source)
    group_arn = hub.arn("dataset-group", dataset_group)
    try:
        group = client.describe_dataset_group(DatasetGroupArn=group_arn)
    except NotFoundError:
        group = None
    domain = group["Domain"] if group else domain
    domain_fields(domain)
    staging = _staging_dir(hub)
    try:
        staged = stage_jsonlines(files, staging, freq, mapping=loaded,
                                 item_id_field=item_id_field, domain=domain)
        plan: _Plan = staged["plan"]
        if group is None:
            client.create_dataset_group(DatasetGroupName=dataset_group, Domain=domain)
            group = client.describe_dataset_group(DatasetGroupArn=group_arn)
        existing = _group_datasets(client, group)
        jobs: dict[str, Any] = {}
        member_arns = list(group["DatasetArns"])
        kinds = [k for k in ("tts", "rts", "im") if k in staged["files"]]
        targets = {}
        for kind in kinds:  # check every dataset before any import starts
            dtype = {"tts": TARGET_TIME_SERIES, "rts": RELATED_TIME_SERIES,
                     "im": ITEM_METADATA}[kind]
            ds = existing.get(dtype)
            if ds is None:
                schema = _schema_for(kind, plan)
                columns = list(schema.names)
                staged_cols = (["item_id", "timestamp", "target"] if kind == "tts" else
                               ["item_id", "timestamp", *plan.dynamic] if kind == "rts" else
                               ["item_id", *plan.cat])
                targets[kind] = (None, schema, staged_cols, columns)
            else:
                if kind != "im" and ds.get("DataFrequency") and \
                        parse_frequency(ds["DataFrequency"]) != freq:
                    raise InvalidInputError(f"dataset {ds['DatasetName']!r} has DataFrequency "
                                            f"{ds['DataFrequency']}, the import {freq}")
                schema = Schema.from_json(ds["Schema"])
                staged_cols = _columns_for(kind, schema, domain, plan, ds["DatasetName"])
                targets[kind] = (ds["DatasetArn"], schema, staged_cols, list(schema.names))
        for kind in kinds:
            arn, schema, staged_cols, columns = targets[kind]
            _conform(staged["files"][kind], staged_cols, columns)
            dtype = {"tts": TARGET_TIME_SERIES, "rts": RELATED_TIME_SERIES,
                     "im": ITEM_METADATA}[kind]
            if arn is None:
                name = f"{dataset_group}_{SHORT_TYPES[dtype]}"
                arn = client.create_dataset(
                    DatasetName=name, Domain=domain, DatasetType=dtype,
                    Schema=schema.to_dict(),
                    DataFrequency=None if kind == "im" else str(freq))["DatasetArn"]
            if arn not in member_arns:
                member_arns.append(arn)
                client.update_dataset_group(DatasetGroupArn=group_arn, DatasetArns=member_arns)
            targets[kind] = (arn, schema, staged_cols, columns)
        for kind in kinds:
            arn = targets[kind][0]
            job_name = f"sagemaker_{kind}_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:6]}"
            job = client.call("CreateDatasetImportJob", {
                "DatasetImportJobName": job_name, "DatasetArn": arn,
                "DataSource": {"S3Config": {"Path": str(staged["files"][kind])}},
                "Format": "PARQUET", "ImportMode": import_mode}, wait=True)
            described = client.describe_dataset_import_job(
                DatasetImportJobArn=job["DatasetImportJobArn"])
            jobs[kind] = {"DatasetArn": arn, "DatasetImportJobArn": job["DatasetImportJobArn"],
                          "Status": described["Status"]}
            if described["Status"] != "ACTIVE":
                raise InvalidInputError(
                    f"import job {job_name} failed: "
                    f"{described.get('Message', described['Status'])}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"DatasetGroupArn": group_arn, "Series": staged["series"],
            "TargetPoints": staged["target_points"], "Frequency": str(freq),
            "Imports": {_TYPE_NAMES[k]: v for k, v in jobs.items()}}


_TYPE_NAMES = {"tts": TARGET_TIME_SERIES, "rts": RELATED_TIME_SERIES, "im": ITEM_METADATA}


def _staging_dir(hub: Any) -> Path:
    """A fresh folder for the staged Parquet files, inside the import roots (the home's
    ``tmp``); InvalidInputError when the home is outside them."""
    from forecasthub.services import paths

    root = Path(hub.settings.home) / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f"sagemaker-import-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        paths.resolve_local(str(staging), hub.settings.import_roots)
    except InvalidInputError:
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidInputError(
            f"the JSON Lines import stages Parquet files in {root}, which is outside the "
            "allowed import roots; add the forecasthub home to FORECASTHUB_IMPORT_ROOTS") from None
    return staging


def _group_datasets(client: Any, group: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for arn in group["DatasetArns"]:
        ds = client.describe_dataset(DatasetArn=arn)
        out[ds["DatasetType"]] = ds
    return out


# -- export --------------------------------------------------------------------------------------


def _steps(frame: pl.DataFrame, freq: Frequency) -> pl.Expr:
    """Whole periods from the series start (``start`` column) to ``ts``."""
    if freq.is_fixed:
        return ((pl.col("ts") - pl.col("start")).dt.total_minutes() // freq.step_minutes)
    months = (pl.col("ts").dt.year() * 12 + pl.col("ts").dt.month()) - (
        pl.col("start").dt.year() * 12 + pl.col("start").dt.month())
    return months // freq.months


def _dense(frame: pl.DataFrame, value_cols: list[str]) -> dict[str, tuple[np.ndarray, ...]]:
    """key -> (idx, values of each column) from a frame of key, idx, values (any order)."""
    grouped = frame.group_by("key").agg(
        pl.col("idx"), *[pl.col(c) for c in value_cols])
    out = {}
    for row in grouped.iter_rows():
        out[row[0]] = tuple(np.asarray(v, dtype=np.float64 if i else np.int64)
                            for i, v in enumerate(row[1:]))
    return out


def export_jsonlines(hub: Any, dataset_group: str, prediction_length: int,
                     out_dir: str | Path, *, validation: bool = False,
                     id_field: str | None = None) -> dict[str, Any]:
    """Write the group's current data as DeepAR channels (see the module docstring); returns a
    summary with the files, series counts and the mapping."""
    from forecasthub.services.import_jobs import load_group_data

    if not isinstance(prediction_length, int) or prediction_length < 1:
        raise InvalidInputError(f"prediction_length must be a positive integer, got "
                                f"{prediction_length!r}")
    n = prediction_length
    group_arn = dataset_group if dataset_group.startswith("arn:") else \
        hub.arn("dataset-group", dataset_group)
    datasets, _ = load_group_data(hub, group_arn)
    tts_row, tts = datasets[TARGET_TIME_SERIES]
    schema = Schema.from_json(tts_row.schema)
    roles = schema_roles(schema, TARGET_TIME_SERIES, tts_row.domain)
    assert roles.item_id and roles.timestamp and roles.target
    dims = list(roles.dimensions)
    if tts_row.data_frequency:
        freq = parse_frequency(tts_row.data_frequency)
    else:
        inferred = infer_frequency(tts[roles.timestamp],
                                   make_series_key(tts, roles.item_id, dims))
        if inferred is None:
            raise InvalidInputError("the target time series has no DataFrequency and its "
                                    "frequency cannot be inferred")
        freq = inferred
    frame = pl.DataFrame({
        "key": make_series_key(tts, roles.item_id, dims),
        "item": tts[roles.item_id].cast(pl.String),
        "ts": tts[roles.timestamp],
        "y": tts[roles.target].cast(pl.Float64),
    })
    starts = frame.group_by("key").agg(pl.col("ts").min().alias("start"),
                                       pl.col("item").first())
    frame = frame.drop("item").join(starts.drop("item"), on="key")
    frame = frame.with_columns(idx=_steps(frame, freq).cast(pl.Int64))
    target = frame.group_by(["key", "idx"]).agg(  # duplicates summed, all-missing stays null
        y=pl.when(pl.col("y").count() > 0).then(pl.col("y").sum()))
    series = _dense(target, ["y"])
    starts = starts.sort("key")
    keys = starts["key"].to_list()
    items_of = dict(zip(keys, starts["item"].to_list(), strict=True))
    start_of = dict(zip(keys, starts["start"].to_list(), strict=True))
    lengths = {k: int(series[k][0].max()) + 1 for k in keys}

    dynamic, dyn_names, covers_future = _related(datasets, keys, items_of, dims, starts, freq,
                                                 lengths, n)
    cats, cat_columns = _categorical(datasets, keys, items_of)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"train": out / "train.json", "test": out / "test.json"}
    if validation:
        files["validation"] = out / "validation.json"
    cut = {"train": 2 * n if validation else n, "validation": n, "test": 0}
    skipped: dict[str, list[str]] = {k: [] for k in files}
    names = [k.replace(SERIES_KEY_SEPARATOR, KEY_JOIN) for k in keys]
    with ExitStack() as stack:
        writers = {k: stack.enter_context(JsonLinesWriter(p)) for k, p in files.items()}
        for key, name in zip(keys, names, strict=True):
            idx, values = series[key]
            length = lengths[key]
            y = np.full(length, np.nan)
            y[idx] = values
            feats = dynamic.get(key) if dynamic is not None else None
            for channel, writer in writers.items():
                keep = length - cut[channel]
                if keep < 1:
                    skipped[channel].append(name)
                    continue
                width = keep + (n if channel == "test" and covers_future else 0)
                extra = {id_field: name} if id_field else None
                writer.write(series_object(
                    start_of[key], y[:keep], cats.get(key),
                    None if feats is None else feats[:, :width], extra))
    counts = {k: w.count for k, w in writers.items()}
    if counts["train"] == 0:
        for p in files.values():
            p.unlink(missing_ok=True)
        raise InvalidInputError(f"every series is too short for prediction_length {n}: train "
                                "would be empty")
    mapping: dict[str, Any] = {
        "format": MAPPING_FORMAT,
        "dataset_group": group_arn.rsplit("/", 1)[-1],
        "frequency": str(freq),
        "prediction_length": n,
        "item_id_field": roles.item_id,
        "target_field": roles.target,
        "dimensions": dims,
        "items": names,
        "cat": [{"column": c, "values": v} for c, v in cat_columns],
        "dynamic_feat": dyn_names,
        "test_dynamic_feat_covers_prediction": bool(dynamic is not None and covers_future),
        "files": {k: p.name for k, p in files.items()},
        "counts": counts,
        "skipped": {k: v for k, v in skipped.items() if v},
    }
    (out / "mapping.json").write_text(json.dumps(mapping, indent=1, default=str),
                                      encoding="utf-8")
    return {"OutputDir": str(out), "Files": {k: str(p) for k, p in files.items()},
            "Mapping": str(out / "mapping.json"), "Series": len(keys), "Counts": counts,
            "Skipped": {k: len(v) for k, v in skipped.items() if v}}


def _related(datasets: dict[str, Any], keys: list[str], items_of: dict[str, str], dims: list[str],
             starts: pl.DataFrame, freq: Frequency, lengths: dict[str, int], n: int
             ) -> tuple[dict[str, np.ndarray] | None, list[str], bool]:
    """Per series key: (n_features, length + n) related values on the target's grid."""
    if RELATED_TIME_SERIES not in datasets:
        return None, [], False
    row, rts = datasets[RELATED_TIME_SERIES]
    schema = Schema.from_json(row.schema)
    roles = schema_roles(schema, RELATED_TIME_SERIES, row.domain)
    features = [a.name for a in schema if a.name in roles.features and a.is_numeric]
    if not features:
        return None, [], False
    assert roles.item_id and roles.timestamp
    rdims = list(roles.dimensions)
    if rdims and rdims != dims:
        raise InvalidInputError(f"the related time series has dimensions {rdims}, the target "
                                f"{dims}; they must match")
    join_on = "key" if rdims == dims else "item"
    frame = pl.DataFrame({
        join_on: (make_series_key(rts, roles.item_id, rdims) if join_on == "key"
                  else rts[roles.item_id].cast(pl.String)),
        "ts": rts[roles.timestamp],
        **{f: rts[f].cast(pl.Float64) for f in features},
    })
    base = starts.select("key", "start", "item").with_columns(
        length=pl.col("key").replace_strict(lengths, return_dtype=pl.Int64))
    frame = frame.join(base, on=join_on).drop("item")
    frame = frame.with_columns(idx=_steps(frame, freq).cast(pl.Int64))
    frame = frame.filter((pl.col("idx") >= 0) & (pl.col("idx") < pl.col("length") + n))
    frame = frame.group_by(["key", "idx"]).agg([pl.col(f).drop_nulls().first()
                                                 for f in features])
    dense = _dense(frame, features)
    out = {}
    covers = True
    for key in keys:
        length = lengths[key]
        values = np.full((len(features), length + n), np.nan)
        if key not in dense:
            raise InvalidInputError(
                f"series {items_of[key]!r} has no related time series values; dynamic_feat "
                "needs values for every series")
        idx, *cols = dense[key]
        for j, col in enumerate(cols):
            values[j, idx] = col
        if np.isnan(values[:, length:]).any():
            covers = False
        out[key] = _fill(values, length)
    return out, features, covers


def _fill(values: np.ndarray, length: int) -> np.ndarray:
    """Forward- then backward-fill gaps inside the history (dynamic_feat has no missing values);
    the future part is filled the same way, and is only written when it had no gap."""
    out = values.copy()
    for row in out:
        mask = np.isnan(row)
        if not mask.any():
            continue
        if mask.all():
            row[:] = 0.0
            continue
        index = np.where(~mask, np.arange(row.size), 0)
        np.maximum.accumulate(index, out=index)
        filled = row[index]
        first = int(np.argmax(~mask))
        filled[:first] = row[first]
        row[:] = filled
    return out


def _categorical(datasets: dict[str, Any], keys: list[str], items_of: dict[str, str]
                 ) -> tuple[dict[str, list[int]], list[tuple[str, list[Any]]]]:
    """Per series key: the codes of its item's string metadata (sorted values -> 0..N-1)."""
    if ITEM_METADATA not in datasets:
        return {}, []
    row, im = datasets[ITEM_METADATA]
    schema = Schema.from_json(row.schema)
    roles = schema_roles(schema, ITEM_METADATA, row.domain)
    assert roles.item_id
    columns = [a.name for a in schema if a.name != roles.item_id and a.type == "string"]
    if not columns:
        return {}, []
    im = im.unique(subset=[roles.item_id], keep="first", maintain_order=True)
    mapping: list[tuple[str, list[Any]]] = []
    codes: dict[str, list[int]] = {}
    lookup = {}
    for col in columns:
        values = category_order(im[col].unique().to_list())
        mapping.append((col, values))
        lookup[col] = {v: i for i, v in enumerate(values)}
    rows = {r[0]: r[1:] for r in im.select([roles.item_id, *columns]).iter_rows()}
    missing = []
    for key in keys:
        item = items_of[key]
        found = rows.get(item)
        if found is None:
            missing.append(item)
            continue
        codes[key] = [lookup[c][v] for c, v in zip(columns, found, strict=True)]
    if missing:
        raise InvalidInputError(
            f"{len(missing)} item(s) have no item metadata, e.g. {missing[:5]}; cat needs a "
            "value for every series")
    return codes, mapping

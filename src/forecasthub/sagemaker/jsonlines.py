"""SageMaker DeepAR's JSON Lines format: read (streamed, validated) and write (streamed, atomic).

One JSON object per line, one time series per object (SageMaker's DeepAR input/output interface):

    {"start": "2009-11-01 00:00:00", "target": [4.3, "NaN", 5.1], "cat": [0, 1],
     "dynamic_feat": [[1.1, 1.2, 0.5, ...], [...]]}

* ``start``: ``YYYY-MM-DD HH:MM:SS`` (a date alone, or ISO ``T``, also accepted); no time zone;
* ``target``: numbers, missing values as ``"NaN"`` (or JSON null); at least one value;
* ``cat`` (optional): non-negative integers (a single integer is read as a list of one, as the
  first DeepAR release wrote it);
* ``dynamic_feat`` (optional): a list of equally long lists of finite numbers (no missing
  values); how long depends on the use: ``len(target)`` for training, ``len(target) +
  prediction_length`` at inference (:func:`check_dynamic_length`).

Files may be gzip-compressed (detected from the content, any name). Blank lines are skipped.
Every problem is a :class:`~forecasthub.errors.DataError` naming the file, the 1-based line and
the field. Readers yield one :class:`Series` at a time: a file is never loaded whole.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Self

import numpy as np

from forecasthub.errors import DataError


class JsonLinesError(DataError):
    """A DataError about JSON Lines input, worded for it: ``file F, line N, field 'cat': ...``
    (``row`` is the 1-based line, ``column`` the field)."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        super().__init__(message, file=file, row=row, column=column)
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"line {row}")
        if column is not None:
            where.append(f"field {column!r}")
        text = f"{', '.join(where)}: {message}" if where else message
        self.message = text
        self.args = (text,)

    @property
    def line(self) -> int | None:
        return self.row

    @property
    def field(self) -> str | None:
        return self.column

START_FORMAT = "%Y-%m-%d %H:%M:%S"
FIELDS = ("start", "target", "cat", "dynamic_feat")
GZIP_MAGIC = b"\x1f\x8b"
ID_FIELDS = ("id", "item_id")  # where an item id is looked for when no field is named


@dataclass
class Series:
    """One parsed line: a time series with its static and dynamic features."""

    line: int  # 1-based physical line in ``source``
    source: str  # how errors name the file
    start: datetime
    target: np.ndarray  # float64, NaN for missing values
    cat: tuple[int, ...] | None = None
    dynamic_feat: np.ndarray | None = None  # (n_features, length) float64
    item_id: str | None = None
    raw: dict[str, Any] | None = None  # the parsed object (other fields), when asked for

    @property
    def n_cat(self) -> int:
        return 0 if self.cat is None else len(self.cat)

    @property
    def n_dynamic(self) -> int:
        return 0 if self.dynamic_feat is None else int(self.dynamic_feat.shape[0])

    def error(self, message: str, field: str | None = None) -> JsonLinesError:
        return JsonLinesError(message, file=self.source, row=self.line, column=field)


# -- parsing -------------------------------------------------------------------------------------


def parse_start(value: Any, *, source: str, line: int, field: str = "start") -> datetime:
    """``YYYY-MM-DD HH:MM:SS`` (or a date, or ISO with ``T``) -> a naive datetime."""
    if not isinstance(value, str) or not value.strip():
        raise JsonLinesError(f'expected a timestamp string such as "2009-11-01 00:00:00", found '
                             f"{_show(value)}", file=source, row=line, column=field)
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise JsonLinesError(f"cannot parse {text!r} as a timestamp; expected "
                             '"YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD"', file=source, row=line,
                             column=field) from None
    if parsed.tzinfo is not None:
        raise JsonLinesError(f"timestamp {text!r} has a time zone offset; SageMaker DeepAR "
                             "timestamps are local times without one", file=source, row=line,
                             column=field)
    return parsed


def format_start(value: Any) -> str:
    """A timestamp as SageMaker writes ``start``: ``YYYY-MM-DD HH:MM:SS``."""
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return value.strftime(START_FORMAT)


def parse_target(value: Any, *, source: str, line: int, field: str = "target") -> np.ndarray:
    """A list of numbers with ``"NaN"``/null for missing values -> float64 array."""
    if not isinstance(value, list):
        raise JsonLinesError(f"expected a list of numbers, found {_show(value)}", file=source,
                             row=line, column=field)
    if not value:
        raise JsonLinesError("the target is empty; a series needs at least one value", file=source,
                             row=line, column=field)
    array = None
    if not any(v is None or isinstance(v, (bool, str)) for v in value):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        if array is not None and array.ndim != 1:
            array = None
    if array is None:
        array = _slow_numbers(value, source, line, field, allow_nan=True)
    if np.isinf(array).any():
        i = int(np.argmax(np.isinf(array)))
        raise JsonLinesError(f"{field}[{i}] is infinite; use \"NaN\" for a missing value",
                             file=source, row=line, column=field)
    return array


def parse_cat(value: Any, *, source: str, line: int, field: str = "cat") -> tuple[int, ...]:
    """Non-negative integers (a single integer counts as a list of one)."""
    values = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(values, list):
        raise JsonLinesError(f"expected a list of non-negative integers, found {_show(value)}",
                             file=source, row=line, column=field)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (
                isinstance(v, float) and not v.is_integer()):
            raise JsonLinesError(f"{field}[{i}] must be a non-negative integer (a category index "
                                 f"0..N-1), found {_show(v)}", file=source, row=line, column=field)
        if v < 0:
            raise JsonLinesError(f"{field}[{i}] = {int(v)} is negative; category indexes are "
                                 "0..N-1",
                                 file=source, row=line, column=field)
        out.append(int(v))
    return tuple(out)


def parse_dynamic_feat(value: Any, *, source: str, line: int,
                       field: str = "dynamic_feat") -> np.ndarray:
    """A list of equally long lists of finite numbers -> (n_features, length) float64."""
    if not isinstance(value, list) or not value or not all(isinstance(v, list) for v in value):
        raise JsonLinesError("expected a non-empty list of lists of numbers (one list per "
                             "feature), "
                             f"found {_show(value)}", file=source, row=line, column=field)
    lengths = [len(v) for v in value]
    if len(set(lengths)) > 1:
        j = next(k for k, n in enumerate(lengths) if n != lengths[0])
        raise JsonLinesError(f"{field}[{j}] has {lengths[j]} values but {field}[0] has "
                             f"{lengths[0]}; "
                             "every feature needs the same length", file=source, row=line,
                             column=field)
    rows = []
    for j, v in enumerate(value):
        try:
            if any(x is None or isinstance(x, (bool, str)) for x in v):
                raise ValueError
            row = np.asarray(v, dtype=np.float64)
            if row.ndim != 1:
                raise ValueError
        except (TypeError, ValueError):
            row = _slow_numbers(v, source, line, field, allow_nan=False, label=f"{field}[{j}]")
        bad = ~np.isfinite(row)
        if bad.any():
            i = int(np.argmax(bad))
            raise JsonLinesError(f"{field}[{j}][{i}] is {row[i]}; dynamic features may not have "
                                 "missing or infinite values", file=source, row=line, column=field)
        rows.append(row)
    return np.stack(rows)


def parse_object(obj: Any, *, source: str, line: int, id_field: str | None = None,
                 keep_raw: bool = False) -> Series:
    """One decoded JSON value -> a validated :class:`Series`."""
    if not isinstance(obj, dict):
        raise JsonLinesError(f"expected a JSON object with start and target, found {_show(obj)}",
                             file=source, row=line)
    for name in ("start", "target"):
        if name not in obj or obj[name] is None:
            raise JsonLinesError(f"the required field {name!r} is missing", file=source, row=line,
                                 column=name)
    start = parse_start(obj["start"], source=source, line=line)
    target = parse_target(obj["target"], source=source, line=line)
    cat = None
    if obj.get("cat") is not None:
        cat = parse_cat(obj["cat"], source=source, line=line)
    dynamic = None
    if obj.get("dynamic_feat") is not None:
        dynamic = parse_dynamic_feat(obj["dynamic_feat"], source=source, line=line)
    item_id = None
    for name in ([id_field] if id_field else ID_FIELDS):
        if name in obj and obj[name] is not None:
            value = obj[name]
            if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
                raise JsonLinesError(f"the item id must be a non-empty string or an integer, found "
                                     f"{_show(value)}", file=source, row=line, column=name)
            item_id = str(value)
            break
    else:
        if id_field:
            raise JsonLinesError(f"the item id field {id_field!r} is missing", file=source,
                                 row=line,
                                 column=id_field)
    return Series(line=line, source=source, start=start, target=target, cat=cat,
                  dynamic_feat=dynamic, item_id=item_id, raw=obj if keep_raw else None)


def decode_line(raw: bytes | str, *, source: str, line: int) -> Any:
    """JSON text of one line -> its value; DataError naming the line when it is not JSON."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise JsonLinesError(f"the line is not UTF-8 text ({exc.reason})", file=source,
                             row=line) from None
    except json.JSONDecodeError as exc:
        raise JsonLinesError(f"not valid JSON: {exc.msg} (character {exc.colno})", file=source,
                             row=line) from None


def iter_lines(path: str | os.PathLike[str], *, source: str | None = None
               ) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, bytes) of the non-blank lines of a plain or gzip file."""
    name = source or os.fspath(path)
    try:
        with open(path, "rb") as probe:
            head = probe.read(2)
    except OSError as exc:
        raise JsonLinesError(f"cannot read the file: {exc.strerror}", file=name) from None
    opener = gzip.open if head == GZIP_MAGIC else open
    number = 0
    try:
        with opener(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if raw.strip():
                    yield number, raw
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise JsonLinesError(f"cannot read the file after line {number}: {exc}",
                             file=name) from None


def iter_lines_text(text: bytes | str, *, source: str) -> Iterator[tuple[int, bytes | str]]:
    """(1-based line number, line) of the non-blank lines of an in-memory body."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if number == 1 and isinstance(raw, bytes) and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if raw.strip():
            yield number, raw


def read_series(path: str | os.PathLike[str], *, source: str | None = None,
                id_field: str | None = None, keep_raw: bool = False) -> Iterator[Series]:
    """Validated series of one JSON Lines file (plain or gzip), streamed line by line."""
    name = source or os.fspath(path)
    for number, raw in iter_lines(path, source=name):
        obj = decode_line(raw, source=name, line=number)
        yield parse_object(obj, source=name, line=number, id_field=id_field, keep_raw=keep_raw)


def parse_lines(lines: Iterable[tuple[int, bytes | str]], *, source: str,
                id_field: str | None = None) -> Iterator[Series]:
    for number, raw in lines:
        obj = decode_line(raw, source=source, line=number)
        yield parse_object(obj, source=source, line=number, id_field=id_field)


class Consistency:
    """Checks that every series has the same number of ``cat`` and ``dynamic_feat`` values
    (SageMaker: "all time series must have this feature")."""

    def __init__(self) -> None:
        self.n_cat: int | None = None
        self.n_dynamic: int | None = None
        self.first: tuple[str, int] | None = None

    def check(self, series: Series) -> None:
        if self.first is None:
            self.n_cat, self.n_dynamic = series.n_cat, series.n_dynamic
            self.first = (series.source, series.line)
            return
        where = f"the first series (file {self.first[0]} line {self.first[1]})"
        if series.n_cat != self.n_cat:
            raise series.error(f"has {series.n_cat} cat value(s) but {where} has {self.n_cat}; "
                               "every series needs the same number", "cat")
        if series.n_dynamic != self.n_dynamic:
            raise series.error(f"has {series.n_dynamic} dynamic feature(s) but {where} has "
                               f"{self.n_dynamic}; every series needs the same number",
                               "dynamic_feat")


def check_dynamic_length(series: Series, expected: int, what: str) -> None:
    """DataError unless each dynamic feature has ``expected`` values (``what`` explains it)."""
    if series.dynamic_feat is None:
        return
    n = series.dynamic_feat.shape[1]
    if n != expected:
        raise series.error(f"each dynamic_feat list has {n} values but needs {expected} "
                           f"({what})", "dynamic_feat")


# -- writing -------------------------------------------------------------------------------------


def series_object(start: Any, target: np.ndarray | list[float], cat: Iterable[int] | None = None,
                  dynamic_feat: np.ndarray | list[list[float]] | None = None,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object of one series (NaN targets written as ``"NaN"``)."""
    obj: dict[str, Any] = dict(extra or {})
    obj["start"] = start if isinstance(start, str) else format_start(start)
    if isinstance(target, np.ndarray):
        values = target.astype(np.float64, copy=False).tolist()
        if np.isnan(target).any():
            values = ["NaN" if v != v else v for v in values]  # noqa: PLR0124 - NaN test
    else:
        values = ["NaN" if v is None or (isinstance(v, float) and math.isnan(v)) else v
                  for v in target]
    obj["target"] = values
    if cat is not None:
        obj["cat"] = [int(c) for c in cat]
    if dynamic_feat is not None:
        obj["dynamic_feat"] = (np.asarray(dynamic_feat, dtype=np.float64).tolist()
                               if isinstance(dynamic_feat, np.ndarray) else
                               [[float(x) for x in row] for row in dynamic_feat])
    return obj


def dumps(obj: dict[str, Any]) -> str:
    """One compact JSON line (no NaN tokens: non-finite floats are an error here)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


class JsonLinesWriter:
    """Writes one JSON object per line to ``path`` (gzip when it ends with ``.gz``); the file
    appears complete or not at all (temporary file in the same folder, then a rename)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.count = 0
        self._tmp: str | None = None
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        raw = os.fdopen(fd, "wb")
        gz = self.path.suffix == ".gz"
        self._fh = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) if gz else raw
        self._raw = raw
        return self

    def write(self, obj: dict[str, Any] | str) -> None:
        assert self._fh is not None
        line = obj if isinstance(obj, str) else dumps(obj)
        self._fh.write(line.encode("utf-8") + b"\n")
        self.count += 1

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._fh is not None and self._tmp is not None
        try:
            self._fh.close()
            if self._fh is not self._raw:
                self._raw.close()
        finally:
            if exc_type is None:
                os.replace(self._tmp, self.path)
            else:
                Path(self._tmp).unlink(missing_ok=True)


def write_series(path: str | os.PathLike[str], objects: Iterable[dict[str, Any]]) -> int:
    """Write ``objects`` (e.g. from :func:`series_object`) as JSON Lines; returns the count."""
    with JsonLinesWriter(path) as out:
        for obj in objects:
            out.write(obj)
    return out.count


# -- helpers -------------------------------------------------------------------------------------


def _is_nan_text(v: Any) -> bool:
    return isinstance(v, str) and v.strip().lower() == "nan"


def _slow_numbers(values: list[Any], source: str, line: int, field: str, *, allow_nan: bool,
                  label: str | None = None) -> np.ndarray:
    """Element by element, to name the first value that is not a number."""
    label = label or field
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if v is None or _is_nan_text(v):
            if not allow_nan:
                raise JsonLinesError(f"{label}[{i}] is missing; dynamic features may not have "
                                     "missing values", file=source, row=line, column=field)
            out[i] = np.nan
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[i] = float(v)
        else:
            hint = ' (write missing values as "NaN")' if allow_nan else ""
            raise JsonLinesError(f"{label}[{i}] must be a number, found {_show(v)}{hint}",
                                 file=source, row=line, column=field)
    return out


def _show(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

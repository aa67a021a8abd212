"""`forecasthub watch`: landing folders per dataset group; each new file runs the inference
pipeline (import -> forecast with the deployed model -> export -> SQL catalog refresh).

The YAML::

    poll_seconds: 10        # how often the folders are scanned (default 10)
    settle_seconds: 30      # a file must keep its size and mtime this long before it is taken
                            # (files still being written are left alone; default 30)
    groups:
      shop:                                 # dataset group name; it needs a deployed (or
                                            # pinned, FORECASTHUB_MODEL_PINS) model version
        landing: /data/landing/shop         # watched folder (inside FORECASTHUB_IMPORT_ROOTS)
        pattern: "*.csv"                    # file names taken (default *.csv)
        dataset: shop_tts                   # default: the group's TARGET_TIME_SERIES dataset
        import_mode: INCREMENTAL            # or FULL (default INCREMENTAL)
        format: CSV                         # or PARQUET (default: from the extension)
        timestamp_format: yyyy-MM-dd        # as CreateDatasetImportJob's TimestampFormat
        time_zone: Europe/Paris             # optional
        export: /data/exports/shop          # forecast export destination; omit for no export
        export_format: CSV                  # or PARQUET

Exactly once: a file is identified by path + size + mtime and written to the ``watch_ledger``
table before its run starts, so a restarted watcher (or a second one on the same metadata
store) never takes it again; a changed file (new size or mtime) is a new file. Names starting
with ``.`` or ``_`` and ``*.tmp``/``*.part`` files are ignored, so writers can land files
atomically by writing a temporary name and renaming it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from forecasthub.errors import InvalidInputError
from forecasthub.pipelines.inference import GroupPipeline, run_inference
from forecasthub.store.orm import WatchLedgerRow

log = logging.getLogger(__name__)
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".swp")


@dataclass
class WatchConfig:
    groups: list[GroupPipeline]
    poll_seconds: float = 10.0
    settle_seconds: float = 30.0
    source: str = ""


def parse_config(data: Any, source: str = "watch config") -> WatchConfig:
    if not isinstance(data, dict):
        raise InvalidInputError(f"{source}: expected a mapping with `groups:`")
    unknown = set(data) - {"poll_seconds", "settle_seconds", "groups"}
    if unknown:
        raise InvalidInputError(f"{source}: unknown keys {sorted(unknown)}")
    groups = data.get("groups")
    if not isinstance(groups, dict) or not groups:
        raise InvalidInputError(f"{source}: `groups:` must map dataset group names to settings")
    allowed = {f.name for f in fields(GroupPipeline)} - {"dataset_group"}
    out = []
    for name, options in groups.items():
        options = options or {}
        if not isinstance(options, dict):
            raise InvalidInputError(f"{source}: groups.{name} must be a mapping")
        bad = set(options) - allowed
        if bad:
            raise InvalidInputError(f"{source}: groups.{name}: unknown keys {sorted(bad)}; "
                                    f"use {sorted(allowed)}")
        if not options.get("landing"):
            raise InvalidInputError(f"{source}: groups.{name}.landing (a folder) is required")
        cfg = GroupPipeline(dataset_group=str(name), **{k: v for k, v in options.items()})
        if cfg.import_mode not in ("INCREMENTAL", "FULL"):
            raise InvalidInputError(f"{source}: groups.{name}.import_mode must be INCREMENTAL or FULL")
        if cfg.format not in (None, "CSV", "PARQUET") or cfg.export_format not in ("CSV", "PARQUET"):
            raise InvalidInputError(f"{source}: groups.{name}: formats are CSV or PARQUET")
        out.append(cfg)
    try:
        poll, settle = float(data.get("poll_seconds", 10)), float(data.get("settle_seconds", 30))
    except (TypeError, ValueError):
        raise InvalidInputError(f"{source}: poll_seconds and settle_seconds must be numbers") from None
    if poll <= 0 or settle < 0:
        raise InvalidInputError(f"{source}: poll_seconds must be > 0 and settle_seconds >= 0")
    return WatchConfig(out, poll, settle, source)


def load_config(path: str | Path) -> WatchConfig:
    import yaml

    try:
        text = Path(path).read_text()
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InvalidInputError(f"cannot read watch config {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"watch config {path} is not valid YAML: {exc}") from None
    return parse_config(data, str(path))


def ledger_key(path: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(f"{path}|{size}|{mtime_ns}".encode()).hexdigest()


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float


@dataclass
class Watcher:
    hub: Any
    config: WatchConfig
    poll_seconds: float | None = None
    _seen: dict[str, _Seen] = field(default_factory=dict)
    _done: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        from forecasthub.services.paths import resolve_local

        self.folders: list[tuple[GroupPipeline, Path]] = []
        for cfg in self.config.groups:
            folder = resolve_local(cfg.landing, self.hub.settings.import_roots, must_exist=False)
            folder.mkdir(parents=True, exist_ok=True)
            self.folders.append((cfg, folder))

    def _candidates(self, cfg: GroupPipeline, folder: Path) -> list[os.DirEntry[str]]:
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return []
        return sorted((e for e in entries if e.is_file(follow_symlinks=False)
                       and not e.name.startswith((".", "_")) and not e.name.endswith(IGNORED_SUFFIXES)
                       and fnmatch.fnmatch(e.name, cfg.pattern)), key=lambda e: e.name)

    def _taken(self, key: str) -> bool:
        with self.hub.db.session() as s:
            return s.get(WatchLedgerRow, key) is not None

    def _claim(self, key: str, path: str, size: int, mtime_ns: int, group: str) -> bool:
        try:
            with self.hub.db.session() as s:
                s.add(WatchLedgerRow(key=key, path=path, size=size, mtime_ns=str(mtime_ns),
                                     dataset_group=group))
            return True
        except IntegrityError:  # another watcher took it
            return False

    def _record_run(self, key: str, run_id: str) -> None:
        with self.hub.db.session() as s:
            row = s.get(WatchLedgerRow, key)
            if row is not None:
                row.run_id = run_id

    def scan_once(self) -> list[dict[str, Any]]:
        """Look at every landing folder once; run the pipeline for each settled new file."""
        runs = []
        now = time.monotonic()
        present = set()
        for cfg, folder in self.folders:
            for entry in self._candidates(cfg, folder):
                path = os.path.realpath(entry.path)
                present.add(path)
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                size, mtime_ns = stat.st_size, stat.st_mtime_ns
                seen = self._seen.get(path)
                if seen is None or (seen.size, seen.mtime_ns) != (size, mtime_ns):
                    self._seen[path] = _Seen(size, mtime_ns, now)  # new or still changing
                    if self.config.settle_seconds > 0:
                        continue
                    seen = self._seen[path]
                if now - seen.since < self.config.settle_seconds:
                    continue
                key = ledger_key(path, size, mtime_ns)
                if key in self._done:
                    continue
                if self._taken(key) or not self._claim(key, path, size, mtime_ns, cfg.dataset_group):
                    self._done.add(key)
                    continue
                self._done.add(key)
                log.info("watch: %s landed for %s; running the pipeline", path, cfg.dataset_group)
                run = run_inference(self.hub, cfg, path, trigger=f"file {path}")
                self._record_run(key, run["RunId"])
                runs.append(run)
        for path in set(self._seen) - present:
            del self._seen[path]
        return runs

    def run(self, stop: threading.Event | None = None) -> None:
        """Scan until ``stop`` is set (or forever); a failing scan is logged and retried."""
        stop = stop or threading.Event()
        poll = self.poll_seconds or self.config.poll_seconds
        while not stop.is_set():
            try:
                self.scan_once()
            except Exception:
                log.exception("watch: scan failed; retrying in %s s", poll)
            stop.wait(poll)

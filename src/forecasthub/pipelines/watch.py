"""`forecasthub watch`: landing locations per dataset group; each new file runs the inference
pipeline (or, with ``on_file: retrain``, the retraining pipeline); retraining schedules (cron)
fire; a drifted accuracy after an inference run starts a retraining run.

The YAML is described in :mod:`forecasthub.pipelines.config` and docs/automation.md.

Exactly once: a file is identified by location + size + mtime (local) or ETag (s3) and written
to the ``watch_ledger`` table before its run starts, so a restarted watcher (or a second one on
the same metadata store) never takes it again; a changed file (new size, mtime or ETag) is a new
file. A file is taken once its size and version stayed the same for ``settle_seconds`` (files
still being written are left alone), or at once when its folder has the ``_SUCCESS`` marker
that ``require_success_marker`` asks for. Runs are sequential: files dropped while a run goes
queue behind it and run in name order.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from forecasthub.errors import InvalidInputError, NotFoundError
from forecasthub.pipelines.config import GroupConfig, WatchConfig, load_config, parse_config
from forecasthub.pipelines.inference import GroupPipeline, run_inference
from forecasthub.pipelines.landing import IGNORED_SUFFIXES, Candidate, S3Landing, list_local
from forecasthub.store.orm import WatchLedgerRow

log = logging.getLogger(__name__)
__all__ = ["IGNORED_SUFFIXES", "GroupPipeline", "WatchConfig", "Watcher", "ledger_key",
           "load_config", "parse_config"]


def ledger_key(path: str, size: int, version: int | str) -> str:
    """sha256 of location | size | mtime_ns (local) or ETag (s3)."""
    return hashlib.sha256(f"{path}|{size}|{version}".encode()).hexdigest()


@dataclass
class _Seen:
    size: int
    version: str
    since: float


@dataclass
class Watcher:
    hub: Any
    config: WatchConfig
    poll_seconds: float | None = None
    _seen: dict[str, _Seen] = field(default_factory=dict)
    _done: set[str] = field(default_factory=set)
    _settling: int = 0  # new files the last scan left alone because they had not settled yet

    def __post_init__(self) -> None:
        from forecasthub.registry.versions import group_row
        from forecasthub.services.paths import is_s3, resolve_local, resolve_s3

        roots = self.hub.settings.import_roots
        self.landings: list[tuple[GroupConfig, Path | S3Landing]] = []
        for cfg in self.config.groups:
            where = f"{self.config.source or 'watch config'}: groups.{cfg.dataset_group}"
            location: Path | S3Landing | None = None
            try:
                if cfg.landing and is_s3(cfg.landing):
                    location = S3Landing(resolve_s3(cfg.landing, roots), self.hub.settings)
                elif cfg.landing:
                    location = resolve_local(cfg.landing, roots, must_exist=False)
            except InvalidInputError as exc:
                raise InvalidInputError(f"{where}.landing: {exc.message}") from None
            try:
                with self.hub.db.session() as s:
                    group_row(s, self.hub, cfg.dataset_group)
            except NotFoundError:
                raise InvalidInputError(f"{where}: dataset group {cfg.dataset_group!r} does not "
                                        "exist (create it first, or fix the name)") from None
            if isinstance(location, Path):
                location.mkdir(parents=True, exist_ok=True)
            if location is not None:
                self.landings.append((cfg, location))
        # kept for callers of the former attribute: local landing folders
        self.folders = [(c, loc) for c, loc in self.landings if isinstance(loc, Path)]
        from forecasthub.pipelines.runs import reap_dead_runs

        reap_dead_runs(self.hub)  # runs a previous watcher left RUNNING when it died

    # the ledger ------------------------------------------------------------------------------
    def _taken(self, key: str) -> bool:
        with self.hub.db.session() as s:
            return s.get(WatchLedgerRow, key) is not None

    def _claim(self, key: str, item: Candidate, group: str) -> bool:
        try:
            with self.hub.db.session() as s:
                s.add(WatchLedgerRow(key=key, path=item.path, size=item.size,
                                     mtime_ns=item.version[:32], dataset_group=group))
            return True
        except IntegrityError:  # another watcher took it
            return False

    def _record_run(self, key: str, run_id: str) -> None:
        with self.hub.db.session() as s:
            row = s.get(WatchLedgerRow, key)
            if row is not None:
                row.run_id = run_id

    # scanning --------------------------------------------------------------------------------
    def _list(self, cfg: GroupConfig, location: Path | S3Landing) -> list[Candidate]:
        if isinstance(location, S3Landing):
            return location.list(cfg.pattern, cfg.require_success_marker)
        return list_local(location, cfg.pattern, cfg.require_success_marker)

    def _ready(self, item: Candidate, now: float) -> bool:
        """Settled: same size and version for settle_seconds (or committed by a marker)."""
        if item.committed:
            return True
        seen = self._seen.get(item.path)
        if seen is None or (seen.size, seen.version) != (item.size, item.version):
            self._seen[item.path] = _Seen(item.size, item.version, now)  # new or still changing
            if self.config.settle_seconds > 0:
                return False
            seen = self._seen[item.path]
        return now - seen.since >= self.config.settle_seconds

    def scan_once(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Look at every landing location once and run the pipeline for each settled new file;
        then fire due retraining schedules. Returns the runs, in the order they ran."""
        runs: list[dict[str, Any]] = []
        clock = time.monotonic()
        present: set[str] = set()
        self._settling = 0
        for cfg, location in self.landings:
            for item in self._list(cfg, location):
                present.add(item.path)
                key = ledger_key(item.path, item.size, item.version)
                if not self._ready(item, clock):
                    if key not in self._done and not self._taken(key):
                        self._settling += 1
                    continue
                if key in self._done:
                    continue
                self._done.add(key)
                if self._taken(key) or not self._claim(key, item, cfg.dataset_group):
                    continue
                log.info("watch: %s landed for %s; running the %s pipeline", item.path,
                         cfg.dataset_group, cfg.on_file)
                group_runs = self._run_for_file(cfg, item.path)
                self._record_run(key, group_runs[0]["RunId"])
                runs += group_runs
        for path in set(self._seen) - present:
            del self._seen[path]
        runs += self.fire_schedules(now)
        return runs

    def scan_settled(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """``watch --once``: one scan; when it found new files that still have to settle (a
        fresh process has not seen them before), wait ``settle_seconds`` and scan once more, so
        files that kept their size and version meanwhile run. Returns the runs."""
        runs = self.scan_once(now)
        if self._settling and self.config.settle_seconds > 0:
            log.info("watch: %d new file(s) settling; looking again in %s s", self._settling,
                     self.config.settle_seconds)
            time.sleep(self.config.settle_seconds)
            runs += self.scan_once(now)
        return runs

    def _run_for_file(self, cfg: GroupConfig, path: str) -> list[dict[str, Any]]:
        from forecasthub.pipelines.retrain import run_retraining

        if cfg.on_file == "retrain":
            return [run_retraining(self.hub, cfg, trigger=f"file {path}", source=path)]
        run = run_inference(self.hub, cfg, path, trigger=f"file {path}")
        runs = [run]
        drift = (run.get("Outputs") or {}).get("Drift") or {}
        if run["Status"] == "SUCCEEDED" and drift.get("Drifted"):
            runs.append(self._retrain(cfg, f"drift: {drift.get('Reason') or 'accuracy drifted'}"))
        return runs

    def _retrain(self, cfg: GroupConfig, trigger: str) -> dict[str, Any]:
        from forecasthub.errors import ResourceInUseError
        from forecasthub.pipelines.retrain import run_retraining

        try:
            return run_retraining(self.hub, cfg, trigger=trigger)
        except ResourceInUseError as exc:  # one already runs (started from the API, say)
            log.warning("watch: %s", exc.message)
            return {"RunId": None, "Status": "SKIPPED", "Trigger": trigger, "Message": exc.message}

    def fire_schedules(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Start a retraining run for each group whose cron time has come (once per time)."""
        from forecasthub.pipelines import schedule
        from forecasthub.pipelines.inference import group_arn_of

        runs = []
        for cfg in self.config.groups:
            cron = cfg.retrain.schedule if cfg.retrain is not None else None
            if not cron:
                continue
            group_arn = group_arn_of(self.hub, cfg.dataset_group)
            due = schedule.claim_due(self.hub, group_arn, cron, now)
            if due is None:
                continue
            log.info("watch: retraining schedule %r of %s is due (%s)", cron, cfg.dataset_group,
                     due.isoformat())
            run = self._retrain(cfg, f"schedule {cron} (due {due.isoformat()})")
            if run.get("RunId"):
                schedule.record_run(self.hub, group_arn, run["RunId"])
            runs.append(run)
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

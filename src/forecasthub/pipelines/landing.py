"""Listing a landing location: a local folder or an ``s3://bucket/prefix`` (through s3fs).

Each file found is a :class:`Candidate` with a ``version`` that changes when its content does
(the mtime in ns locally, the ETag on S3). Names starting with ``.`` or ``_`` and
``*.tmp``/``*.part``/``*.crdownload``/``*.swp`` files are ignored.

With ``require_success_marker`` the landing location and each of its direct subfolders is a
batch whose files are taken only once a ``_SUCCESS`` file exists beside them (the way Spark,
Hadoop and our own exports mark a finished write); without it only the files directly in the
landing location are looked at.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "_SUCCESS"
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".swp")


@dataclass(frozen=True)
class Candidate:
    path: str  # local absolute path, or s3://bucket/key
    size: int
    version: str  # mtime_ns (local) or ETag (s3)
    committed: bool = False  # its folder has the _SUCCESS marker


def _wanted(name: str, pattern: str) -> bool:
    return (not name.startswith((".", "_")) and not name.endswith(IGNORED_SUFFIXES)
            and fnmatch.fnmatch(name, pattern))


def list_local(folder: Path, pattern: str, require_marker: bool = False) -> list[Candidate]:
    batches = [folder]
    if require_marker:
        try:
            batches += sorted(Path(e.path) for e in os.scandir(folder)
                              if e.is_dir(follow_symlinks=False) and not e.name.startswith((".", "_")))
        except FileNotFoundError:
            return []
    out: list[Candidate] = []
    for batch in batches:
        if require_marker and not (batch / MARKER).is_file():
            continue
        try:
            entries = sorted(os.scandir(batch), key=lambda e: e.name)
        except FileNotFoundError:
            continue
        for entry in entries:
            if not entry.is_file(follow_symlinks=False) or not _wanted(entry.name, pattern):
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            out.append(Candidate(os.path.realpath(entry.path), stat.st_size, str(stat.st_mtime_ns),
                                 require_marker))
    return out


class S3Landing:
    """An ``s3://bucket/prefix`` landing location, listed with a fresh (uncached) listing."""

    def __init__(self, url: str, settings: Any) -> None:
        from forecasthub.storage.s3 import s3_filesystem, split_s3_url

        bucket, key = split_s3_url(url)
        self.url, self.base = url, f"{bucket}/{key}".rstrip("/")
        self.endpoint = settings.s3_endpoint_url or None
        self.fs = s3_filesystem(settings.s3_options())

    def _ls(self, path: str) -> list[dict[str, Any]]:
        from forecasthub.storage.s3 import s3_errors

        with s3_errors("list", f"s3://{path}", self.endpoint):
            try:
                return list(self.fs.ls(path, detail=True, refresh=True))
            except FileNotFoundError:
                return []

    def list(self, pattern: str, require_marker: bool = False) -> list[Candidate]:
        top = self._ls(self.base)
        batches: list[tuple[str, list[dict[str, Any]]]] = [(self.base, top)]
        if require_marker:
            for entry in sorted(top, key=lambda e: e["name"]):
                name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
                if entry.get("type") == "directory" and not name.startswith((".", "_")):
                    batches.append((entry["name"].rstrip("/"), self._ls(entry["name"])))
        out: list[Candidate] = []
        for _, entries in batches:
            files = [e for e in entries if e.get("type") == "file"]
            names = {e["name"].rsplit("/", 1)[-1] for e in files}
            if require_marker and MARKER not in names:
                continue
            for entry in sorted(files, key=lambda e: e["name"]):
                name = entry["name"].rsplit("/", 1)[-1]
                if not _wanted(name, pattern):
                    continue
                etag = str(entry.get("ETag") or entry.get("etag") or "").strip('"')
                if not etag:  # no ETag (unusual): the modification time stands in
                    etag = str(entry.get("LastModified") or entry.get("mtime") or "")
                out.append(Candidate(f"s3://{entry['name']}", int(entry.get("size") or 0), etag,
                                     require_marker))
        return out

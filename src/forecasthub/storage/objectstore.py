"""One small object-store interface over fsspec: a local folder now, ``s3://`` with issue #7.

Keys are ``/``-separated paths relative to the store root. Writes are atomic: a file is written
to a temporary name and moved into place; a multi-file *version* is written under a temporary
prefix and published by one rename (local) or by a ``_SUCCESS`` marker written last (object
stores), so readers never see a partial version.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

import fsspec

from forecasthub.errors import InvalidInputError, NotFoundError, StorageError

MARKER = "_SUCCESS"


def _check_key(key: str) -> str:
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or any(p in ("..", ".") for p in parts):
        raise InvalidInputError(f"invalid object key {key!r}")
    return key


class ObjectStore:
    """Files under one root URL (a folder path, ``file://`` URL or ``s3://bucket/prefix``)."""

    def __init__(self, url: str, **storage_options: object) -> None:
        self.url = url.rstrip("/")
        protocol, _, rest = self.url.partition("://")
        if not rest:
            protocol, rest = "file", self.url
        if protocol not in ("file", "s3"):
            raise InvalidInputError(
                f"unsupported store URL {url!r}: use a folder path, file:// or s3://"
            )
        self.protocol = protocol
        self.root = rest if protocol == "s3" else str(Path(rest).expanduser().resolve())
        self.fs = fsspec.filesystem(protocol, **storage_options)
        if self.is_local:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    @property
    def is_local(self) -> bool:
        return self.protocol == "file"

    def path(self, key: str) -> str:
        """Full path of a key in fsspec terms (a local path for local stores)."""
        return f"{self.root}/{_check_key(key)}"

    def uri(self, key: str) -> str:
        """User-facing URI of a key (``file:///...`` or ``s3://...``)."""
        return f"{self.protocol}://{self.path(key)}" if self.protocol == "s3" else self.path(key)

    # reading ---------------------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self.path(key)))

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.fs.cat_file(self.path(key))
        except FileNotFoundError as exc:
            raise NotFoundError(f"object {key!r} not found in store {self.url}") from exc

    def open(self, key: str, mode: str = "rb") -> IO[bytes]:
        if "r" not in mode:
            raise InvalidInputError("use write_bytes/put_file/version for writes")
        return self.fs.open(self.path(key), mode)

    def list(self, prefix: str) -> list[str]:
        """Keys of the files under a prefix, sorted, markers and temporaries excluded."""
        base = self.path(prefix) if prefix else self.root
        if not self.fs.exists(base):
            return []
        found = self.fs.find(base)
        root_len = len(self.root) + 1
        keys = [f[root_len:] if f.startswith(self.root) else f for f in found]
        return sorted(k for k in keys if not _is_hidden(k))

    def is_committed(self, prefix: str) -> bool:
        """True when a version written with :meth:`version` is complete."""
        return self.exists(f"{prefix.rstrip('/')}/{MARKER}")

    # writing ---------------------------------------------------------------------------------
    def write_bytes(self, key: str, data: bytes) -> None:
        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            tmp.write(data)
        try:
            self.put_file(tmp.name, key)
        finally:
            if os.path.exists(tmp.name):
                os.unlink(tmp.name)

    def put_file(self, local_path: str | Path, key: str) -> None:
        """Copy a local file to a key atomically."""
        dest = self.path(key)
        try:
            if self.is_local:
                Path(dest).parent.mkdir(parents=True, exist_ok=True)
                tmp = f"{dest}.tmp-{uuid.uuid4().hex}"
                shutil.copyfile(local_path, tmp)
                os.replace(tmp, dest)
            else:
                self.fs.put_file(str(local_path), dest)
        except OSError as exc:
            raise StorageError(f"cannot write {self.uri(key)}: {exc}") from exc

    @contextmanager
    def version(self, prefix: str) -> Iterator[Path]:
        """Write a multi-file version: yields a local staging folder, publishes it on success.

        Nothing is visible under ``prefix`` unless the block finishes without error, and an
        existing committed version is never overwritten.
        """
        prefix = _check_key(prefix.rstrip("/"))
        if self.is_committed(prefix):
            raise StorageError(f"version {prefix!r} already exists in {self.url}")
        staging_parent = Path(self.root) / ".staging" if self.is_local else None
        if staging_parent is not None:
            staging_parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="version-", dir=staging_parent))
        try:
            yield staging
            (staging / MARKER).write_bytes(b"")
            self._publish(staging, prefix)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _publish(self, staging: Path, prefix: str) -> None:
        dest = self.path(prefix)
        try:
            if self.is_local:
                Path(dest).parent.mkdir(parents=True, exist_ok=True)
                if Path(dest).exists():  # leftover of a crashed, uncommitted write
                    shutil.rmtree(dest)
                os.replace(staging, dest)  # one rename: all or nothing
                staging.mkdir()  # so the cleanup in version() has something to remove
            else:
                files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != MARKER)
                for f in files:
                    self.fs.put_file(str(f), f"{dest}/{f.relative_to(staging).as_posix()}")
                self.fs.put_file(str(staging / MARKER), f"{dest}/{MARKER}")  # commit last
        except OSError as exc:
            raise StorageError(f"cannot publish {self.uri(prefix)}: {exc}") from exc

    def delete(self, prefix: str) -> None:
        """Remove a key or everything under a prefix (missing is fine)."""
        target = self.path(prefix)
        if self.fs.exists(target):
            self.fs.rm(target, recursive=True)


def _is_hidden(key: str) -> bool:
    return any(part.startswith((".", "_")) or ".tmp-" in part for part in key.split("/"))


def open_store(url: str, **storage_options: object) -> ObjectStore:
    """The object store for a URL (registry by scheme lives in :class:`ObjectStore`)."""
    return ObjectStore(url, **storage_options)

"""One small object-store interface over fsspec: a local folder or ``s3://bucket/prefix``.

Keys are ``/``-separated paths relative to the store root. Writes are atomic: a file is written
to a temporary name and moved into place (local) or uploaded in one PUT / completed multipart
upload (S3); a multi-file *version* is written under a temporary prefix and published by one
rename (local) or uploaded file by file with a ``_SUCCESS`` marker written last (S3). Readers
check the marker (:meth:`ObjectStore.is_committed`), so they never see a partial version; a
failed upload removes what it had written.

S3 failures (missing bucket, wrong credentials, unreachable endpoint) surface as
:class:`StorageError` with a one-line message (see :mod:`forecasthub.storage.s3`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

import fsspec

from forecasthub.errors import InvalidInputError, NotFoundError, StorageError
from forecasthub.storage.s3 import check_bucket, s3_errors, s3_filesystem, split_s3_url

if TYPE_CHECKING:
    import polars as pl

    from forecasthub.settings import Settings

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
        protocol, sep, rest = url.partition("://")
        if not sep:
            protocol, rest = "file", self.url
        if protocol not in ("file", "s3"):
            raise InvalidInputError(
                f"unsupported store URL {url!r}: use a folder path, file:// or s3://"
            )
        self.protocol = protocol
        self._checked = False
        self.endpoint: str | None = None
        if protocol == "s3":
            self.bucket, prefix = split_s3_url(self.url)
            self.root = f"{self.bucket}/{prefix}".rstrip("/")
            self.endpoint = str(storage_options.get("endpoint_url") or "") or None
            self.fs = s3_filesystem(dict(storage_options))
        else:
            self.root = str(Path(rest).expanduser().resolve())
            self.fs = fsspec.filesystem(protocol, **storage_options)
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

    def _guard(self, action: str, key: str = "") -> Any:
        """Error translation (and a one-time bucket check) around calls that reach S3."""
        if self.is_local:
            return nullcontext()
        if not self._checked:
            check_bucket(self.fs, self.bucket, self.root.partition("/")[2], self.endpoint)
            self._checked = True
        return s3_errors(action, self.uri(key) if key else self.url, self.endpoint)

    def check(self) -> None:
        """Fail now (StorageError) when the store cannot be reached or written with these keys."""
        if not self.is_local:
            self._checked = False
            self._guard("access")

    # reading ---------------------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        with self._guard("read", key):
            return bool(self.fs.exists(self.path(key)))

    def read_bytes(self, key: str) -> bytes:
        try:
            with self._guard("read", key):
                return self.fs.cat_file(self.path(key))
        except (FileNotFoundError, NotFoundError) as exc:
            raise NotFoundError(f"object {key!r} not found in store {self.url}") from exc

    def open(self, key: str, mode: str = "rb") -> IO[bytes]:
        if "r" not in mode:
            raise InvalidInputError("use write_bytes/put_file/version for writes")
        with self._guard("read", key):
            return self.fs.open(self.path(key), mode)

    def get_file(self, key: str, local_path: str | Path) -> None:
        """Download (stream) one object to a local file."""
        try:
            with self._guard("download", key):
                self.fs.get_file(self.path(key), str(local_path))
        except (FileNotFoundError, NotFoundError) as exc:
            raise NotFoundError(f"object {key!r} not found in store {self.url}") from exc

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A local path holding the object: the file itself for local stores, else a temp copy."""
        if self.is_local:
            path = Path(self.path(key))
            if not path.exists():
                raise NotFoundError(f"object {key!r} not found in store {self.url}")
            yield path
            return
        with tempfile.TemporaryDirectory(prefix="forecasthub-get-") as tmp:
            target = Path(tmp) / PurePosixPath(key).name
            self.get_file(key, target)
            yield target

    def scan_parquet(self, key: str) -> pl.LazyFrame:
        """A lazy frame over a Parquet object; filters are pushed down to row groups."""
        import polars as pl

        if self.is_local:
            return pl.scan_parquet(self.path(key))
        import pyarrow.dataset as ds

        with self._guard("read", key):
            dataset = ds.dataset(self.path(key), filesystem=self.fs, format="parquet")
        return pl.scan_pyarrow_dataset(dataset)

    def list(self, prefix: str) -> list[str]:
        """Keys of the files under a prefix, sorted, markers and temporaries excluded."""
        base = self.path(prefix) if prefix else self.root
        with self._guard("list", prefix):
            if self.is_local and not self.fs.exists(base):
                return []
            try:
                found = self.fs.find(base)
            except FileNotFoundError:
                return []
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
                with self._guard("write", key):
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
        if not self.is_local:
            self._upload_version(staging, prefix)
            return
        try:
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            if Path(dest).exists():  # leftover of a crashed, uncommitted write
                shutil.rmtree(dest)
            os.replace(staging, dest)  # one rename: all or nothing
            staging.mkdir()  # so the cleanup in version() has something to remove
        except OSError as exc:
            raise StorageError(f"cannot publish {self.uri(prefix)}: {exc}") from exc

    def _upload_version(self, staging: Path, prefix: str) -> None:
        """Object stores: upload every file, then the marker; on any failure remove the upload."""
        dest = self.path(prefix)
        files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != MARKER)
        with self._guard("publish", prefix):
            if self.fs.exists(dest):  # leftover of a crashed, uncommitted write
                self.fs.rm(dest, recursive=True)
        try:
            with self._guard("publish", prefix):
                for f in files:
                    self.fs.put_file(str(f), f"{dest}/{f.relative_to(staging).as_posix()}")
                self.fs.put_file(str(staging / MARKER), f"{dest}/{MARKER}")  # commit last
        except BaseException:
            self._remove_quietly(dest)
            raise

    def _remove_quietly(self, target: str) -> None:
        with suppress(Exception):  # best effort: without the marker nothing is visible anyway
            self.fs.rm(target, recursive=True)

    def delete(self, prefix: str) -> None:
        """Remove a key or everything under a prefix (missing is fine).

        A version's marker goes first, so a half-deleted version reads as absent, not partial.
        """
        target = self.path(prefix)
        with self._guard("delete", prefix):
            if not self.fs.exists(target):
                return
            if not self.is_local and self.fs.exists(f"{target}/{MARKER}"):
                self.fs.rm_file(f"{target}/{MARKER}")
            self.fs.rm(target, recursive=True)


def _is_hidden(key: str) -> bool:
    return any(part.startswith((".", "_")) or ".tmp-" in part for part in key.split("/"))


def open_store(url: str, settings: Settings | None = None, **storage_options: object
               ) -> ObjectStore:
    """The object store for a URL; ``s3://`` stores take endpoint, region and keys from
    ``settings`` (see :meth:`forecasthub.settings.Settings.s3_options`)."""
    if settings is not None and url.startswith("s3://"):
        storage_options = {**settings.s3_options(), **storage_options}
    return ObjectStore(url, **storage_options)

"""Data source and destination paths: local paths, file:// URLs and s3:// URLs.

Imports may only read (and exports only write) under the configured import roots; this is where
that is enforced. A local path must lie under a local root, an ``s3://bucket/key`` under an
``s3://`` root (``s3://bucket`` allows the whole bucket).

Local files are read where they are. ``s3://`` inputs are streamed into a temporary folder first
(chunked downloads, never whole files in memory), after checking their total size against
``FORECASTHUB_S3_MAX_IMPORT_BYTES`` and the free space there; exports to ``s3://`` are written to
a temporary folder and uploaded part by part (each part appears in one PUT; a failed export
removes the parts it had uploaded).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from forecasthub.errors import InvalidInputError, NotFoundError, StorageError

MAX_PATH = 4096


def is_s3(path: str) -> bool:
    return isinstance(path, str) and path.startswith("s3://")


def _check_text(path: Any) -> None:
    if not isinstance(path, str) or not path or len(path) > MAX_PATH:
        raise InvalidInputError("S3Config.Path must be a non-empty path up to 4096 characters")


def resolve_local(path: str, roots: list[str], must_exist: bool = True) -> Path:
    """A data source path as an absolute local path inside one of the allowed roots."""
    _check_text(path)
    if is_s3(path):
        raise InvalidInputError(f"{path}: an s3:// path is not accepted here; use a local path")
    if path.startswith("file://"):
        parsed = urlparse(path)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidInputError(f"{path}: file:// URLs must point at this machine")
        path = unquote(parsed.path)
    elif "://" in path:
        raise InvalidInputError(f"{path}: unsupported scheme; use a local path, file:// or s3://")
    resolved = Path(os.path.realpath(Path(path).expanduser()))
    allowed = [Path(os.path.realpath(Path(r).expanduser())) for r in roots if "://" not in r]
    if not any(resolved == r or r in resolved.parents for r in allowed):
        raise InvalidInputError(
            f"{path} is outside the allowed import roots ({', '.join(map(str, allowed))}); "
            "set FORECASTHUB_IMPORT_ROOTS to allow it"
        )
    if must_exist and not resolved.exists():
        raise NotFoundError(f"{path}: no such file or folder")
    return resolved


def resolve_s3(path: str, roots: list[str]) -> str:
    """A normalised ``s3://bucket/key`` inside one of the ``s3://`` import roots."""
    from forecasthub.storage.s3 import split_s3_url

    _check_text(path)
    bucket, key = split_s3_url(path)
    url = f"s3://{bucket}/{key}".rstrip("/")
    allowed = []
    for root in roots:
        if not is_s3(root):
            continue
        try:
            rb, rk = split_s3_url(root)
        except InvalidInputError:
            continue
        allowed.append(f"s3://{rb}/{rk}".rstrip("/"))
    if not any(url == r or url.startswith(r + "/") for r in allowed):
        shown = ", ".join(allowed) if allowed else "none are s3:// prefixes"
        raise InvalidInputError(
            f"{path} is outside the allowed import roots ({shown}); add an s3://bucket/prefix "
            "to FORECASTHUB_IMPORT_ROOTS to allow it"
        )
    return url


def resolve(path: str, settings: Any, must_exist: bool = True) -> str:
    """A local or ``s3://`` source/destination, checked against the import roots (and, with
    ``must_exist``, that it exists): the local absolute path or the normalised s3 URL."""
    _check_text(path)
    if not is_s3(path):
        return str(resolve_local(path, settings.import_roots, must_exist))
    url = resolve_s3(path, settings.import_roots)
    if must_exist:
        fs, key = _s3(url, settings, "read")
        from forecasthub.storage.s3 import s3_errors

        with s3_errors("read", url, settings.s3_endpoint_url or None):
            found = fs.exists(key)
        if not found:
            raise NotFoundError(f"{path}: no such file or prefix")
    return url


def _s3(url: str, settings: Any, action: str) -> tuple[Any, str]:
    """(filesystem, bucket/key) for an s3 URL, with the bucket and credentials checked."""
    from forecasthub.storage.s3 import check_bucket, s3_filesystem, split_s3_url

    bucket, key = split_s3_url(url)
    fs = s3_filesystem(settings.s3_options())
    check_bucket(fs, bucket, key, settings.s3_endpoint_url or None)
    return fs, f"{bucket}/{key}".rstrip("/")


def _hidden(relative: str) -> bool:
    """The import skip rules of ``list_import_files``: ``.``/``_`` names anywhere, ``.crc``."""
    parts = [p for p in relative.split("/") if p]
    return any(p.startswith((".", "_")) for p in parts) or relative.endswith(".crc")


@contextmanager
def import_files(path: str, settings: Any) -> Iterator[tuple[list[str], list[str] | None, int]]:
    """The files of an import source as local paths: (files, names for errors, total bytes).

    Local sources are used in place. An ``s3://`` file or prefix is listed (same skip rules and
    file limit as local folders), checked against the size limit and the free temp space, then
    streamed into a temporary folder that is removed when the block ends.
    """
    if not is_s3(path):
        from forecasthub.data.importer import list_import_files

        files = list_import_files(resolve_local(path, settings.import_roots))
        yield files, None, sum(os.path.getsize(f) for f in files)
        return
    from forecasthub.data.importer import MAX_FILES
    from forecasthub.storage.s3 import s3_errors

    url = resolve_s3(path, settings.import_roots)
    endpoint = settings.s3_endpoint_url or None
    fs, key = _s3(url, settings, "read")
    with s3_errors("list", url, endpoint):
        info = fs.info(key) if key.count("/") else {"type": "directory"}
        if info.get("type") == "file":
            entries = {key: info}
        else:
            entries = fs.find(key, detail=True)
    base = key.rstrip("/") + "/"
    files = {}
    for name, meta in sorted(entries.items()):
        if meta.get("type") == "directory" or name.endswith("/"):
            continue
        relative = PurePosixPath(name).name if name == key else name[len(base):]
        if name != key and _hidden(relative):
            continue
        files[name] = (relative, int(meta.get("size") or 0))
        if len(files) > MAX_FILES:
            raise InvalidInputError(f"Import path {url!r} holds more than {MAX_FILES:,} files; "
                                    "split the import")
    if not files:
        raise InvalidInputError(f"Import path {url!r} contains no data files")
    total = sum(size for _, size in files.values())
    limit = int(settings.s3_max_import_bytes)
    if total > limit:
        raise InvalidInputError(
            f"Import path {url!r} holds {total:,} bytes, more than the {limit:,} bytes an s3:// "
            "import may copy to local temp space (FORECASTHUB_S3_MAX_IMPORT_BYTES)")
    with tempfile.TemporaryDirectory(prefix="forecasthub-import-") as tmp:
        free = shutil.disk_usage(tmp).free
        if total > free - 64 * 1024**2:
            raise StorageError(f"Import path {url!r} needs {total:,} bytes of temp space in "
                               f"{tempfile.gettempdir()}, only {free:,} are free (set TMPDIR)")
        local, names = [], []
        for n, (name, (relative, _)) in enumerate(files.items()):
            target = Path(tmp) / f"{n:05d}-{PurePosixPath(relative).name}"
            with s3_errors("download", f"s3://{name}", endpoint):
                fs.get_file(name, str(target))  # streamed in chunks
            local.append(str(target))
            names.append(f"s3://{name}")
        yield local, names, total


@contextmanager
def fetch(path: str, settings: Any) -> Iterator[str]:
    """One (small) source file as a local path: itself, or a temp copy of an ``s3://`` file."""
    if not is_s3(path):
        yield str(resolve_local(path, settings.import_roots))
        return
    with import_files(path, settings) as (files, _, _):
        if len(files) != 1:
            raise InvalidInputError(f"{path}: expected one file, found {len(files)}")
        yield files[0]


@contextmanager
def writable_folder(destination: str, settings: Any
                    ) -> Iterator[tuple[Path, Callable[[list[Path]], list[str]]]]:
    """(local folder, publish): write files into the folder, then ``publish(files)`` returns
    their final names. Local destinations are written in place; ``s3://`` ones are uploaded by
    publish (a failed upload removes the parts already uploaded)."""
    if not is_s3(destination):
        folder = resolve_local(destination, settings.import_roots, must_exist=False)
        yield folder, lambda files: [str(f) for f in files]
        return
    from forecasthub.storage.s3 import s3_errors

    url = resolve_s3(destination, settings.import_roots)
    endpoint = settings.s3_endpoint_url or None
    fs, key = _s3(url, settings, "write")

    def publish(files: list[Path]) -> list[str]:
        done: list[str] = []
        try:
            for f in files:
                relative = Path(f).relative_to(folder).as_posix()
                target = f"{key}/{relative}"
                with s3_errors("write", f"s3://{target}", endpoint):
                    fs.put_file(str(f), target)
                done.append(target)
        except BaseException:
            for target in done:
                with suppress(Exception):  # best effort: the error below is what matters
                    fs.rm_file(target)
            raise
        return [f"s3://{t}" for t in done]

    with tempfile.TemporaryDirectory(prefix="forecasthub-export-") as tmp:
        folder = Path(tmp)
        yield folder, publish

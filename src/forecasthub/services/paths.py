"""Data source paths: local paths, file:// URLs and (with issue #7) s3:// prefixes.

Imports may only read under the configured import roots; this is where that is enforced.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from forecasthub.errors import InvalidInputError, NotFoundError

def resolve_local(path: str, roots: list[str], must_exist: bool = True) -> Path:
    """A data source path as an absolute local path inside one of the allowed roots."""
    if not isinstance(path, str) or not path or len(path) > 4096:
        raise InvalidInputError("S3Config.Path must be a non-empty path up to 4096 characters")
    if path.startswith("s3://"):
        raise InvalidInputError(
            f"{path}: s3:// paths need S3 support, which this installation does not have yet; "
            "use a local path or a file:// URL"
        )
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

"""S3-compatible storage through s3fs: the filesystem, URL parsing, and errors users can read.

Every call that reaches S3 goes through :func:`s3_errors`, which turns s3fs / botocore failures
(missing bucket, wrong credentials, unreachable endpoint, ...) into :class:`StorageError` or
:class:`NotFoundError` with one-line messages; the botocore exception is not chained, so users
never see its traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from forecasthub.errors import ForecastHubError, InvalidInputError, NotFoundError, StorageError

CREDENTIALS_HINT = ("check FORECASTHUB_S3_ACCESS_KEY_ID / FORECASTHUB_S3_SECRET_ACCESS_KEY "
                    "(or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) and the bucket policy")


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> (``bucket``, ``some/key``); refuses ``..`` and empty buckets."""
    if not url.startswith("s3://"):
        raise InvalidInputError(f"{url}: not an s3:// URL")
    bucket, _, key = url[5:].partition("/")
    key = key.strip("/")
    if not bucket or any(part in ("..", ".") for part in key.split("/") if key):
        raise InvalidInputError(f"{url}: invalid s3:// URL (expected s3://bucket/prefix)")
    return bucket, key


def s3_filesystem(options: dict[str, Any] | None = None) -> Any:
    """A fresh ``s3fs.S3FileSystem`` (no instance or listing cache: other processes write too)."""
    try:
        import s3fs
    except ImportError as exc:
        raise StorageError("s3:// storage needs s3fs: pip install 'forecasthub[s3]'") from exc
    options = dict(options or {})
    config = {"connect_timeout": 10, "read_timeout": 120, "retries": {"max_attempts": 3}}
    config.update(options.pop("config_kwargs", {}) or {})
    return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False,
                             config_kwargs=config, **options)


def _code(exc: BaseException) -> str:
    for err in (exc, exc.__cause__, exc.__context__):
        response = getattr(err, "response", None)
        if isinstance(response, dict):
            return str(response.get("Error", {}).get("Code", ""))
    return ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def describe(exc: BaseException, action: str, uri: str, endpoint: str | None = None
             ) -> ForecastHubError:
    """The user-facing error for a failed S3 call."""
    where = f" at {endpoint}" if endpoint else ""
    code = _code(exc)
    message = _short(exc)
    if code == "NoSuchBucket" or "bucket does not exist" in message.lower():
        bucket = uri[5:].split("/", 1)[0] if uri.startswith("s3://") else uri
        return StorageError(f"cannot {action} {uri}: bucket {bucket!r} does not exist{where}")
    if isinstance(exc, PermissionError) or code in (
            "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403",
            "ExpiredToken", "InvalidToken"):
        return StorageError(f"cannot {action} {uri}: access denied{where} ({message}); "
                            f"{CREDENTIALS_HINT}")
    if isinstance(exc, FileNotFoundError):
        return NotFoundError(f"{uri}: no such file or prefix")
    name = type(exc).__name__
    if name == "NoCredentialsError":
        return StorageError(f"cannot {action} {uri}: no S3 credentials found; {CREDENTIALS_HINT}")
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                "ClientConnectorError", "ServerDisconnectedError", "TimeoutError"):
        return StorageError(f"cannot {action} {uri}: the S3 endpoint{where or ''} is unreachable "
                            f"({message}); check FORECASTHUB_S3_ENDPOINT_URL")
    return StorageError(f"cannot {action} {uri}: {message}")


def _s3_exception_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [OSError, asyncio.TimeoutError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        types += [BotoCoreError, ClientError]
    except ImportError:  # pragma: no cover - s3fs brings botocore
        pass
    try:
        import aiohttp

        types.append(aiohttp.ClientError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


@contextmanager
def s3_errors(action: str, uri: str, endpoint: str | None = None) -> Iterator[None]:
    """Re-raise S3 failures inside the block as forecasthub errors (no botocore chain)."""
    try:
        yield
    except ForecastHubError:
        raise
    except _s3_exception_types() as exc:
        error = describe(exc, action, uri, endpoint)
        raise error from None


def check_bucket(fs: Any, bucket: str, prefix: str = "", endpoint: str | None = None) -> None:
    """One cheap listing call: StorageError when the bucket is missing or the keys are wrong."""
    uri = f"s3://{bucket}/{prefix}".rstrip("/")
    with s3_errors("access", uri, endpoint):
        fs.call_s3("list_objects_v2", Bucket=bucket, Prefix=prefix, MaxKeys=1)

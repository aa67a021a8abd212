"""Routes of the dashboard's static files: ``GET /`` (the page) and ``GET /static/<file>``.

The files carry no data, so they are served without authentication (like ``/docs``); every
data request the page makes goes through the REST API's authentication. ``GET /`` does not
shadow ``POST /`` (the AWS JSON protocol): routes match on the method too.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from forecasthub.errors import NotFoundError

STATIC = Path(__file__).parent / "static"
FILES = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
PLOTLY = "plotly.min.js"
SECURITY_HEADERS = {
    # Plotly sets inline styles on its SVG; no inline or foreign script, no framing
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

router = APIRouter(include_in_schema=False)


def plotly_path() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / PLOTLY


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> tuple[bytes, bytes, str]:
    raw = Path(path).read_bytes()
    return raw, gzip.compress(raw, compresslevel=6), hashlib.sha256(raw).hexdigest()[:20]


def _file(request: Request, path: Path, media_type: str, cache: str) -> Response:
    try:
        raw, packed, digest = _load(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        raise NotFoundError(f"{path.name} is not installed") from None
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Encoding", **SECURITY_HEADERS}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(raw, media_type=media_type, headers=headers)


@router.get("/")
def index(request: Request) -> Response:
    return _file(request, STATIC / "index.html", "text/html; charset=utf-8", "no-cache")


@router.get("/static/{name}")
def static(request: Request, name: str) -> Response:
    if name == PLOTLY:
        return _file(request, plotly_path(), "text/javascript; charset=utf-8",
                     "public, max-age=86400")
    if name not in FILES:
        raise NotFoundError(f"no static file {name!r}")
    return _file(request, STATIC / name, FILES[name], "no-cache")

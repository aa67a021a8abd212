"""HTTP interfaces: the REST API, the AWS JSON protocol and their authentication."""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`forecasthub.api.app.create_app` (imported lazily: FastAPI is not light)."""
    from forecasthub.api.app import create_app as _create_app

    return _create_app(*args, **kwargs)

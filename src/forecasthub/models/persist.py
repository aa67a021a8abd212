"""Save and load fitted models: a cloudpickle of the adapter with its class and library versions.

Only load files from our own store: unpickling runs code (DESIGN.md, safe defaults).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import cloudpickle

from forecasthub.errors import ModelError
from forecasthub.models.base import Forecaster

log = logging.getLogger(__name__)

FORMAT = "forecasthub-model/1"
LIBRARIES = ("forecasthub", "statsforecast", "mlforecast", "lightgbm", "gluonts", "pandas", "numpy")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a fitted model may depend on."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _class_name(obj: object) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def save_model(model: Forecaster, path: str | Path) -> None:
    """Write ``model`` atomically (temp file then rename)."""
    payload: dict[str, Any] = {
        "format": FORMAT,
        "class": _class_name(model),
        "versions": library_versions(),
        "model": model,
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            cloudpickle.dump(payload, fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(path: str | Path) -> Forecaster:
    """Read a model written by :func:`save_model`; ModelError when the file is not one."""
    try:
        with open(path, "rb") as fh:
            payload = cloudpickle.load(fh)
    except (OSError, EOFError, ValueError, ImportError, AttributeError,
            pickle.UnpicklingError) as e:
        raise ModelError(f"Cannot read model file {path}: {e}") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path} is not a forecasthub model file")
    model = payload["model"]
    if _class_name(model) != payload["class"] or not isinstance(model, Forecaster):
        raise ModelError(f"{path}: stored class {payload['class']} does not match its content")
    now = library_versions()
    changed = {k: (v, now.get(k)) for k, v in payload["versions"].items() if now.get(k) != v}
    if changed:
        log.warning("Model %s was saved with other library versions: %s", path, changed)
    return model

"""Helpers shared by the GluonTS (PyTorch) adapters: availability check, frequency conversion,
seeded/deterministic execution and quiet Lightning training.

Importing this module never imports torch; :func:`deep_available` tells whether the ``deep``
extra (torch, gluonts[torch], lightning) is installed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import random
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

DEEP_EXTRA_HINT = "install the `deep` extra: pip install 'forecasthub[deep]'"


def deep_available(thorough: bool = False) -> bool:
    """True when torch, gluonts and lightning are installed. The default check only looks the
    packages up (cheap: the registry runs it at import); ``thorough`` imports them."""
    for module in ("torch", "gluonts", "lightning"):
        if importlib.util.find_spec(module) is None:
            return False
    if not thorough:
        return True
    try:
        with quiet():
            import gluonts.torch  # noqa: F401
            import lightning  # noqa: F401
            import torch  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken or partial install counts as missing
        return False
    return True


def period_freq(freq: str) -> str:
    """The pandas Period frequency for an offset alias: ``MS``/``ME`` -> ``M``, ``QS-JAN`` ->
    ``Q-JAN``, ``YS``/``YE`` -> ``Y``; others unchanged ("h", "D", "W-SUN", "3D", "15min")."""
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.freqstr
    try:
        pd.Period("2024-01-01", freq=name)
        return name
    except (ValueError, TypeError):
        pass
    n = offset.n if offset.n != 1 else ""
    base, _, anchor = offset.name.partition("-")
    base = re.sub(r"^(B?)([MQY])(S|E)$", r"\2", base.upper())
    base = {"A": "Y", "AS": "Y"}.get(base, base)
    if base == "M":
        return f"{n}M"
    return f"{n}{base}-{anchor}" if anchor else f"{n}{base}"


def resolve_accelerator(device: str | None) -> str:
    """``"cpu"`` or ``"gpu"`` from a device setting ``auto``/``cpu``/``gpu``/``cuda``."""
    import torch

    setting = (device or "auto").lower()
    if setting in ("gpu", "cuda") or setting.startswith("cuda:"):
        return "gpu" if torch.cuda.is_available() else "cpu"
    if setting == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    return "cpu"


@contextmanager
def seeded(seed: int, n_threads: int | None = None) -> Iterator[None]:
    """Seed python, numpy and torch (Lightning's seed_everything) and run deterministically;
    the previous RNG states, thread count and determinism flag are restored afterwards."""
    import torch

    py_state = random.getstate()
    np_state = np.random.get_state()
    det = torch.are_deterministic_algorithms_enabled()
    threads = torch.get_num_threads()
    env_seed = os.environ.get("PL_GLOBAL_SEED")
    with torch.random.fork_rng(devices=[]):
        try:
            from lightning.pytorch import seed_everything

            with quiet():
                seed_everything(seed, workers=True, verbose=False)
            torch.use_deterministic_algorithms(True, warn_only=True)
            if n_threads:
                torch.set_num_threads(max(1, int(n_threads)))
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
            torch.use_deterministic_algorithms(det)
            torch.set_num_threads(threads)
            if env_seed is None:
                os.environ.pop("PL_GLOBAL_SEED", None)
            else:
                os.environ["PL_GLOBAL_SEED"] = env_seed


_NOISY_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning",
                  "gluonts")


@contextmanager
def quiet() -> Iterator[None]:
    """Silence Lightning/GluonTS info logs and their UserWarnings (progress, GPU hints)."""
    levels = {}
    for name in _NOISY_LOGGERS:
        lg = logging.getLogger(name)
        levels[name] = lg.level
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def state_to_cpu(state: dict[str, Any]) -> dict[str, Any]:
    """A torch state dict with every tensor on the CPU (picklable, device independent)."""
    return {k: v.detach().cpu().clone() for k, v in state.items()}

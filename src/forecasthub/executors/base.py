"""The Executor protocol and the process-wide executor chosen by the settings."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import pandas as pd

from forecasthub.errors import InvalidInputError

T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Executor(Protocol):
    """Runs ``fn`` on each shard, results in shard order."""

    name: str

    @property
    def n_workers(self) -> int:
        """Shards that can run at the same time (the default shard count)."""
        ...

    def map(self, fn: Callable[[T], R], shards: Sequence[T]) -> list[R]: ...

    def close(self) -> None: ...


_lock = threading.Lock()
_current: tuple[tuple[Any, ...], Executor] | None = None


def get_executor(settings: Any = None) -> Executor:
    """The executor for ``settings`` (default: from the environment), created once and reused
    while the executor settings stay the same (a process pool or Ray connection is costly)."""
    global _current
    if settings is None:
        from forecasthub.settings import get_settings

        settings = get_settings()
    kind = (settings.executor or "local").strip().lower()
    key = (kind, settings.executor_workers, os.environ.get("RAY_ADDRESS", ""))
    with _lock:
        if _current is not None and _current[0] == key:
            return _current[1]
        if _current is not None:
            _current[1].close()
            _current = None
        executor: Executor
        if kind == "local":
            from forecasthub.executors.local import make_local_executor

            executor = make_local_executor(settings.executor_workers)
        elif kind == "ray":
            from forecasthub.executors.ray_executor import RayExecutor

            executor = RayExecutor(os.environ.get("RAY_ADDRESS") or None)
        else:
            raise InvalidInputError(f"FORECASTHUB_EXECUTOR must be local or ray, got {kind!r}")
        _current = (key, executor)
        return executor


def reset_executor() -> None:
    """Close the cached executor (tests; settings changes are also picked up automatically)."""
    global _current
    with _lock:
        if _current is not None:
            _current[1].close()
        _current = None


def split_items(items: pd.Index, k: int) -> list[pd.Index]:
    """``items`` in ``k`` contiguous chunks of near-equal size (order kept, none empty)."""
    k = max(1, min(k, len(items)))
    bounds = [len(items) * i // k for i in range(k + 1)]
    return [items[bounds[i]:bounds[i + 1]] for i in range(k)]

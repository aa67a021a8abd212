"""Local executors: in-process (1 worker) or a spawn process pool (more workers)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class InProcessExecutor:
    """Runs shards one after another in this process (the default: no behaviour change)."""

    name = "local"
    n_workers = 1

    def map(self, fn: Callable[[T], R], shards: Sequence[T]) -> list[R]:
        return [fn(shard) for shard in shards]

    def close(self) -> None:
        pass


class ProcessExecutor:
    """A pool of ``n_workers`` spawned processes (spawn: safe with threads, torch, LightGBM),
    created on first use and kept for later calls."""

    name = "local"

    def __init__(self, n_workers: int) -> None:
        self._n = max(1, int(n_workers))
        self._pool: ProcessPoolExecutor | None = None

    @property
    def n_workers(self) -> int:
        return self._n

    def map(self, fn: Callable[[T], R], shards: Sequence[T]) -> list[R]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._n, mp_context=multiprocessing.get_context("spawn"))
        return list(self._pool.map(fn, shards))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def make_local_executor(n_workers: int) -> InProcessExecutor | ProcessExecutor:
    return InProcessExecutor() if n_workers <= 1 else ProcessExecutor(n_workers)

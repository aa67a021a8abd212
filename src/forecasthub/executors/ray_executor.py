"""Ray executor: shards become Ray tasks (1 CPU each) on the cluster at ``RAY_ADDRESS``.

Workers import forecasthub from their own Python environment, which must match the driver's
(same package and library versions: forecasts are then identical to the local executor's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from forecasthub.errors import InvalidInputError

T = TypeVar("T")
R = TypeVar("R")


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise InvalidInputError(
            "FORECASTHUB_EXECUTOR=ray needs the ray extra: pip install 'forecasthub[ray]'"
        ) from e
    return ray


class RayExecutor:
    """Connects on first use (``address`` None: RAY_ADDRESS, a running local cluster, or a new
    local one) and runs each shard as a task."""

    name = "ray"

    def __init__(self, address: str | None = None) -> None:
        self.address = address
        self._remote: dict[Any, Any] = {}
        self._connected = False

    def _connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, log_to_driver=False,
                     logging_level="warning")
        self._connected = True
        return ray

    @property
    def n_workers(self) -> int:
        ray = self._connect()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def map(self, fn: Callable[[T], R], shards: Sequence[T]) -> list[R]:
        ray = self._connect()
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = ray.remote(num_cpus=1, max_retries=2)(fn)
        return list(ray.get([remote.remote(shard) for shard in shards]))

    def close(self) -> None:
        if self._connected:
            ray = _ray()
            if ray.is_initialized():
                ray.shutdown()
        self._remote, self._connected = {}, False

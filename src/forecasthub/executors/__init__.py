"""Executors (issue #7, DESIGN.md "Scale"): the same code path on one machine or many.

``FORECASTHUB_EXECUTOR=local`` (default) runs work in-process with ``executor_workers=1`` (no
behaviour change) or on a spawn process pool with more workers; ``FORECASTHUB_EXECUTOR=ray``
sends it to a Ray cluster (``RAY_ADDRESS``, else an existing local cluster, else a new one).

What is distributed: fits of local (per-series) statsforecast models, split by ``item_id`` into
shards (:mod:`.sharding`). Global models (LightGBM, DeepAR) stay whole.
"""

from forecasthub.executors.base import Executor, get_executor, reset_executor, split_items

__all__ = ["Executor", "get_executor", "reset_executor", "split_items"]

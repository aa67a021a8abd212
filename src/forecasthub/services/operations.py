"""Every implemented operation, by its Amazon Forecast name: the one table the CLI, the Python
client and the HTTP APIs dispatch through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forecasthub.services import datasets, import_jobs, registry
from forecasthub.services.context import Hub

Operation = Callable[[Hub, dict[str, Any]], dict[str, Any]]

OPERATIONS: dict[str, Operation] = {
    "CreateDatasetGroup": datasets.create_dataset_group,
    "DescribeDatasetGroup": datasets.describe_dataset_group,
    "ListDatasetGroups": datasets.list_dataset_groups,
    "UpdateDatasetGroup": datasets.update_dataset_group,
    "DeleteDatasetGroup": datasets.delete_dataset_group,
    "CreateDataset": datasets.create_dataset,
    "DescribeDataset": datasets.describe_dataset,
    "ListDatasets": datasets.list_datasets,
    "DeleteDataset": datasets.delete_dataset,
    "CreateDatasetImportJob": import_jobs.create_dataset_import_job,
    "DescribeDatasetImportJob": import_jobs.describe_dataset_import_job,
    "ListDatasetImportJobs": import_jobs.list_dataset_import_jobs,
    "DeleteDatasetImportJob": import_jobs.delete_dataset_import_job,
    "TagResource": registry.tag_resource,
    "UntagResource": registry.untag_resource,
    "ListTagsForResource": registry.list_tags_for_resource,
}


def register_operations(ops: dict[str, Operation]) -> None:
    """Later capabilities (predictors, forecasts ...) add their operations here."""
    OPERATIONS.update(ops)


def _load_optional() -> None:
    import importlib

    for module in ("forecasthub.services.predictors", "forecasthub.services.forecasts",
                   "forecasthub.services.monitors", "forecasthub.services.tuning"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


_load_optional()

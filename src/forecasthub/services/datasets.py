"""Dataset groups and datasets: CreateDatasetGroup ... UpdateDatasetGroup, CreateDataset ..."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from forecasthub.errors import AlreadyExistsError, InvalidInputError, NotFoundError, ResourceInUseError
from forecasthub.resources import (
    DATASET_TYPES, DELETABLE, DOMAINS, Status, parse_arn, tags_to_list, validate_enum,
    validate_name, validate_tags,
)
from forecasthub.services.common import Request, epoch, paginate, param, required
from forecasthub.services.context import Hub
from forecasthub.store.orm import DatasetGroupRow, DatasetImportJobRow, DatasetRow, utcnow


# dataset groups ------------------------------------------------------------------------------
def create_dataset_group(hub: Hub, req: Request) -> dict[str, Any]:
    name = validate_name(required(req, "DatasetGroupName"), "DatasetGroupName")
    domain = validate_enum(required(req, "Domain"), DOMAINS, "Domain")
    tags = validate_tags(param(req, "Tags"))
    arn = hub.arn("dataset-group", name)
    with hub.db.session() as s:
        members = _member_datasets(s, param(req, "DatasetArns", []), domain)
        if s.get(DatasetGroupRow, arn) is not None:
            raise AlreadyExistsError(f"a dataset group named {name!r} already exists")
        s.add(DatasetGroupRow(arn=arn, name=name, domain=domain, status=Status.ACTIVE,
                              dataset_arns=members, tags=tags))
    return {"DatasetGroupArn": arn}


def describe_dataset_group(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_dataset_group(s, hub, required(req, "DatasetGroupArn"))
        return {
            "DatasetGroupName": row.name, "DatasetGroupArn": row.arn,
            "DatasetArns": list(row.dataset_arns), "Domain": row.domain, "Status": row.status,
            "CreationTime": epoch(row.created_at), "LastModificationTime": epoch(row.modified_at),
        }


def list_dataset_groups(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        rows = s.scalars(select(DatasetGroupRow).order_by(DatasetGroupRow.created_at.desc())).all()
        items = [{"DatasetGroupArn": r.arn, "DatasetGroupName": r.name,
                  "CreationTime": epoch(r.created_at),
                  "LastModificationTime": epoch(r.modified_at)} for r in rows]
    return paginate(items, req, "DatasetGroups")


def update_dataset_group(hub: Hub, req: Request) -> dict[str, Any]:
    arn = required(req, "DatasetGroupArn")
    dataset_arns = required(req, "DatasetArns")
    with hub.db.session() as s:
        row = get_dataset_group(s, hub, arn)
        row.dataset_arns = _member_datasets(s, dataset_arns, row.domain)
        row.modified_at = utcnow()
    return {}


def delete_dataset_group(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_dataset_group(s, hub, required(req, "DatasetGroupArn"))
        if row.status not in DELETABLE:
            raise ResourceInUseError(f"dataset group {row.name!r} is {row.status}; try again later")
        from forecasthub.services.registry import children_of

        children = children_of(s, row.arn)
        if children:
            raise ResourceInUseError(
                f"dataset group {row.name!r} still has {children}; delete them first "
                "(or use DeleteResourceTree)"
            )
        s.delete(row)
    return {}


def get_dataset_group(s: Any, hub: Hub, arn: Any) -> DatasetGroupRow:
    parse_arn(arn, "DatasetGroupArn", "dataset-group")
    row = s.get(DatasetGroupRow, arn)
    if row is None:
        raise NotFoundError(f"dataset group {arn} not found")
    return row


def _member_datasets(s: Any, arns: Any, domain: str) -> list[str]:
    if not isinstance(arns, list):
        raise InvalidInputError("DatasetArns must be a list of dataset ARNs")
    seen_types: dict[str, str] = {}
    for arn in arns:
        ds = get_dataset(s, arn)
        if ds.domain != domain:
            raise InvalidInputError(
                f"dataset {ds.name!r} has domain {ds.domain}, the dataset group has {domain}"
            )
        if ds.dataset_type in seen_types:
            raise InvalidInputError(
                f"a dataset group holds one dataset per type: {seen_types[ds.dataset_type]!r} and "
                f"{ds.name!r} are both {ds.dataset_type}"
            )
        seen_types[ds.dataset_type] = ds.name
    return list(dict.fromkeys(arns))


# datasets ------------------------------------------------------------------------------------
def create_dataset(hub: Hub, req: Request) -> dict[str, Any]:
    from forecasthub.data.frequency import parse_frequency
    from forecasthub.data.schema import Schema, validate_for_domain

    name = validate_name(required(req, "DatasetName"), "DatasetName")
    domain = validate_enum(required(req, "Domain"), DOMAINS, "Domain")
    dataset_type = validate_enum(required(req, "DatasetType"), DATASET_TYPES, "DatasetType")
    schema = Schema.from_json(required(req, "Schema"))
    validate_for_domain(schema, domain, dataset_type)
    frequency = param(req, "DataFrequency")
    if frequency is not None:
        parse_frequency(frequency)
    elif dataset_type == "RELATED_TIME_SERIES":
        raise InvalidInputError("DataFrequency is required for a RELATED_TIME_SERIES dataset")
    if dataset_type == "ITEM_METADATA" and frequency is not None:
        raise InvalidInputError("an ITEM_METADATA dataset has no DataFrequency")
    tags = validate_tags(param(req, "Tags"))
    arn = hub.arn("dataset", name)
    with hub.db.session() as s:
        if s.get(DatasetRow, arn) is not None:
            raise AlreadyExistsError(f"a dataset named {name!r} already exists")
        s.add(DatasetRow(arn=arn, name=name, domain=domain, dataset_type=dataset_type,
                         data_frequency=frequency, schema=schema.to_dict(), status=Status.ACTIVE,
                         encryption_config=param(req, "EncryptionConfig", {}), tags=tags))
    return {"DatasetArn": arn}


def describe_dataset(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_dataset(s, required(req, "DatasetArn"))
        out = {
            "DatasetArn": row.arn, "DatasetName": row.name, "Domain": row.domain,
            "DatasetType": row.dataset_type, "Schema": row.schema,
            "EncryptionConfig": row.encryption_config or {}, "Status": row.status,
            "CreationTime": epoch(row.created_at), "LastModificationTime": epoch(row.modified_at),
        }
        if row.data_frequency:
            out["DataFrequency"] = row.data_frequency
        return out


def list_datasets(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        rows = s.scalars(select(DatasetRow).order_by(DatasetRow.created_at.desc())).all()
        items = [{"DatasetArn": r.arn, "DatasetName": r.name, "DatasetType": r.dataset_type,
                  "Domain": r.domain, "CreationTime": epoch(r.created_at),
                  "LastModificationTime": epoch(r.modified_at)} for r in rows]
    return paginate(items, req, "Datasets")


def delete_dataset(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        row = get_dataset(s, required(req, "DatasetArn"))
        if row.status not in DELETABLE:
            raise ResourceInUseError(f"dataset {row.name!r} is {row.status}; try again later")
        jobs = s.scalars(select(DatasetImportJobRow.name)
                         .where(DatasetImportJobRow.dataset_arn == row.arn)).all()
        if jobs:
            raise ResourceInUseError(
                f"dataset {row.name!r} still has import jobs {', '.join(jobs)}; delete them first"
            )
        s.delete(row)
    hub.store.delete(f"datasets/{row.name}")
    return {}


def get_dataset(s: Any, arn: Any) -> DatasetRow:
    parse_arn(arn, "DatasetArn", "dataset")
    row = s.get(DatasetRow, arn)
    if row is None:
        raise NotFoundError(f"dataset {arn} not found")
    return row


def tags_response(tags: dict[str, str]) -> dict[str, Any]:
    return {"Tags": tags_to_list(tags)}

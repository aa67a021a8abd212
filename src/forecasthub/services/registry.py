"""Which table holds which resource type; tags and parent/child checks over all of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from forecasthub.errors import NotFoundError
from forecasthub.resources import parse_arn, tags_to_list, validate_tags
from forecasthub.services.common import Request, required
from forecasthub.services.context import Hub
from forecasthub.store import orm

TABLES: dict[str, type[Any]] = {
    "dataset-group": orm.DatasetGroupRow,
    "dataset": orm.DatasetRow,
    "dataset-import-job": orm.DatasetImportJobRow,
}

# (child table, column holding the parent ARN) per parent resource type; later issues add theirs
CHILDREN: dict[str, list[tuple[type[Any], str]]] = {
    "dataset": [(orm.DatasetImportJobRow, "dataset_arn")],
}


def register_table(resource_type: str, table: type[Any], parent: tuple[str, str] | None = None) -> None:
    TABLES[resource_type] = table
    if parent:
        CHILDREN.setdefault(parent[0], []).append((table, parent[1]))


def children_of(session: Any, arn: str) -> str:
    """A short description of the live children of a resource, '' when it has none."""
    resource_type, _ = parse_arn(arn, "ResourceArn")
    found = []
    for table, column in CHILDREN.get(resource_type, []):
        count = session.scalar(select(func.count()).select_from(table)
                               .where(getattr(table, column) == arn))
        if count:
            name = table.__tablename__.replace("_", " ")
            found.append(f"{count} {name[:-1] if count == 1 and name.endswith('s') else name}")
    return ", ".join(found)


def delete_resource(hub: Hub, row: Any, kind: str, session: Any) -> str | None:
    """Delete a job-backed resource that is deletable and has no children; returns its
    artifact key (removed from the store by the caller after the commit)."""
    from forecasthub.errors import ResourceInUseError
    from forecasthub.resources import DELETABLE

    if row.status not in DELETABLE:
        raise ResourceInUseError(f"{kind} {row.name!r} is {row.status}; stop it or wait")
    children = children_of(session, row.arn)
    if children:
        raise ResourceInUseError(f"{kind} {row.name!r} still has {children}; delete them first")
    key = getattr(row, "artifact_key", None)
    session.delete(row)
    return key


def fail_resource(hub: Hub, table: Any, arn: str, message: str, stopped: bool) -> None:
    """A job-backed resource ends CREATE_FAILED (or CREATE_STOPPED) with the job's message."""
    from forecasthub.resources import Status
    from forecasthub.store.orm import utcnow

    with hub.db.session() as s:
        row = s.get(table, arn)
        if row is not None:
            row.status = Status.CREATE_STOPPED if stopped else Status.CREATE_FAILED
            row.message, row.modified_at = message, utcnow()


def find(session: Any, arn: Any) -> Any:
    resource_type, _ = parse_arn(arn, "ResourceArn")
    table = TABLES.get(resource_type)
    row = session.get(table, arn) if table else None
    if row is None:
        raise NotFoundError(f"resource {arn} not found")
    return row


def tag_resource(hub: Hub, req: Request) -> dict[str, Any]:
    new = validate_tags(required(req, "Tags"))
    with hub.db.session() as s:
        row = find(s, required(req, "ResourceArn"))
        merged = {**row.tags, **new}
        validate_tags(tags_to_list(merged))
        row.tags = merged
    return {}


def untag_resource(hub: Hub, req: Request) -> dict[str, Any]:
    keys = set(required(req, "TagKeys"))
    with hub.db.session() as s:
        row = find(s, required(req, "ResourceArn"))
        row.tags = {k: v for k, v in row.tags.items() if k not in keys}
    return {}


def list_tags_for_resource(hub: Hub, req: Request) -> dict[str, Any]:
    with hub.db.session() as s:
        return {"Tags": tags_to_list(find(s, required(req, "ResourceArn")).tags)}

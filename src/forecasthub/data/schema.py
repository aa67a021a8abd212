"""Dataset schemas: Amazon Forecast's ordered attributes, domains and attribute roles.

A schema is the JSON Amazon Forecast takes in CreateDataset,
``{"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"}, ...]}``; its order is
the column order of headerless CSV files. :func:`validate_for_domain` checks the domain's required
fields (AMAZON_FORECAST.md §1.5) and :func:`schema_roles` says which attribute plays which part.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from forecasthub.errors import InvalidInputError

TARGET_TIME_SERIES = "TARGET_TIME_SERIES"
RELATED_TIME_SERIES = "RELATED_TIME_SERIES"
ITEM_METADATA = "ITEM_METADATA"
DATASET_TYPES: tuple[str, ...] = (TARGET_TIME_SERIES, RELATED_TIME_SERIES, ITEM_METADATA)
TIME_SERIES_TYPES: frozenset[str] = frozenset({TARGET_TIME_SERIES, RELATED_TIME_SERIES})

ATTRIBUTE_TYPES: tuple[str, ...] = ("string", "integer", "float", "timestamp", "geolocation")
NUMERIC_TYPES: frozenset[str] = frozenset({"integer", "float"})
_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
MAX_NAME_LENGTH = 63
MAX_ATTRIBUTES = 100
MAX_TTS_DIMENSIONS = 10


@dataclass(frozen=True)
class Attribute:
    """One schema attribute (column): a name and an Amazon Forecast type."""

    name: str
    type: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise InvalidInputError(
                f"Invalid AttributeName {self.name!r}: it must start with a letter and contain "
                "only letters, digits and underscores"
            )
        if len(self.name) > MAX_NAME_LENGTH:
            raise InvalidInputError(
                f"Invalid AttributeName {self.name!r}: at most {MAX_NAME_LENGTH} characters"
            )
        if self.type not in ATTRIBUTE_TYPES:
            raise InvalidInputError(
                f"Invalid AttributeType {self.type!r} for attribute {self.name!r}: "
                f"expected one of {', '.join(ATTRIBUTE_TYPES)}"
            )

    @property
    def is_numeric(self) -> bool:
        """True for integer and float attributes."""
        return self.type in NUMERIC_TYPES


@dataclass(frozen=True)
class Schema:
    """Ordered attributes of a dataset; the order is the column order of headerless files."""

    attributes: tuple[Attribute, ...]

    def __post_init__(self) -> None:
        n = len(self.attributes)
        if not 1 <= n <= MAX_ATTRIBUTES:
            raise InvalidInputError(
                f"A schema needs between 1 and {MAX_ATTRIBUTES} attributes, got {n}"
            )
        seen: dict[str, str] = {}
        for a in self.attributes:
            key = a.name.lower()
            if key in seen:
                raise InvalidInputError(
                    f"Duplicate attribute {a.name!r} in schema (already defined as {seen[key]!r})"
                )
            seen[key] = a.name

    @classmethod
    def from_attributes(cls, attributes: Iterable[tuple[str, str]]) -> Schema:
        """Build from ``(name, type)`` pairs."""
        return cls(tuple(Attribute(n, t) for n, t in attributes))

    @classmethod
    def from_json(cls, value: str | Mapping[str, Any]) -> Schema:
        """Parse Amazon's ``{"Attributes": [{"AttributeName", "AttributeType"}]}`` (str or dict)."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"Schema is not valid JSON: {exc.msg}") from None
        if not isinstance(value, Mapping) or not isinstance(value.get("Attributes"), list):
            raise InvalidInputError('Schema must be an object with an "Attributes" list')
        attrs = []
        for i, item in enumerate(value["Attributes"]):
            if not isinstance(item, Mapping):
                raise InvalidInputError(f"Schema attribute #{i + 1} must be an object")
            name, typ = item.get("AttributeName"), item.get("AttributeType")
            if name is None:
                raise InvalidInputError(f"Schema attribute #{i + 1} has no AttributeName")
            if typ is None:
                raise InvalidInputError(f"Schema attribute {name!r} has no AttributeType")
            attrs.append(Attribute(name, typ))
        return cls(tuple(attrs))

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        """Amazon's schema shape as a dict."""
        return {
            "Attributes": [
                {"AttributeName": a.name, "AttributeType": a.type} for a in self.attributes
            ]
        }

    def to_json(self) -> str:
        """Amazon's schema shape as JSON text."""
        return json.dumps(self.to_dict())

    @property
    def names(self) -> list[str]:
        """Attribute names in schema order."""
        return [a.name for a in self.attributes]

    def __len__(self) -> int:
        return len(self.attributes)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.attributes)

    def get(self, name: str) -> Attribute | None:
        """The attribute called ``name`` (case-insensitive), or None."""
        low = name.lower()
        return next((a for a in self.attributes if a.name.lower() == low), None)

    def of_type(self, *types: str) -> list[Attribute]:
        """Attributes of the given types, in schema order."""
        return [a for a in self.attributes if a.type in types]

    def timestamp_attribute(self) -> Attribute | None:
        """The single timestamp attribute, or None if there is none."""
        ts = self.of_type("timestamp")
        return ts[0] if ts else None

    def validate_for_type(self, dataset_type: str) -> None:
        """Checks that do not depend on the domain: timestamp count per dataset type."""
        check_dataset_type(dataset_type)
        n_ts = len(self.of_type("timestamp"))
        if dataset_type in TIME_SERIES_TYPES and n_ts != 1:
            raise InvalidInputError(
                f"A {dataset_type} schema needs exactly one attribute of type timestamp, "
                f"found {n_ts}"
            )
        if dataset_type == ITEM_METADATA and n_ts:
            raise InvalidInputError("An ITEM_METADATA schema cannot have a timestamp attribute")


def check_dataset_type(dataset_type: str) -> None:
    """Raise InvalidInputError unless ``dataset_type`` is one of Amazon's three."""
    if dataset_type not in DATASET_TYPES:
        raise InvalidInputError(
            f"Invalid DatasetType {dataset_type!r}: expected one of {', '.join(DATASET_TYPES)}"
        )


@dataclass(frozen=True)
class DomainFields:
    """Required field names of one domain (AMAZON_FORECAST.md §1.5)."""

    id_field: str
    target_field: str
    target_type: str  # "float" or "integer"; an integer target accepts float schemas too
    optional_tts: tuple[str, ...] = ()
    optional_rts: tuple[str, ...] = ()
    optional_im: tuple[str, ...] = ()


DOMAINS: dict[str, DomainFields] = {
    "CUSTOM": DomainFields("item_id", "target_value", "float"),
    "RETAIL": DomainFields(
        "item_id", "demand", "float", ("location",),
        ("price", "webpage_hits", "stockout_days", "inventory_onhand", "revenue", "shipping_price"),
        ("category", "brand", "color", "genre"),
    ),
    "INVENTORY_PLANNING": DomainFields(
        "item_id", "demand", "float", ("location",), ("price",),
        ("category", "brand", "lead_time", "order_cycle", "safety_stock"),
    ),
    "EC2_CAPACITY": DomainFields(
        "instance_type", "number_of_instances", "integer", ("location",), ("price",)
    ),
    "WORK_FORCE": DomainFields(
        "workforce_type", "workforce_demand", "float", ("location",), ("wages", "shift_length"),
        ("wages_category", "location", "workforce_unit"),
    ),
    "WEB_TRAFFIC": DomainFields(
        "item_id", "value", "float", ("category",), ("page_views",), ("category", "geolocation")
    ),
    "METRICS": DomainFields(
        "metric_name", "metric_value", "float", ("category",), (), ("category",)
    ),
}


def domain_fields(domain: str) -> DomainFields:
    """The field table of ``domain``; InvalidInputError for an unknown domain."""
    try:
        return DOMAINS[domain]
    except KeyError:
        raise InvalidInputError(
            f"Invalid Domain {domain!r}: expected one of {', '.join(DOMAINS)}"
        ) from None


def validate_for_domain(schema: Schema, domain: str, dataset_type: str) -> None:
    """Check ``schema`` against the domain's required fields for ``dataset_type``.

    Raises one InvalidInputError that lists every missing or mistyped field.
    """
    fields = domain_fields(domain)
    schema.validate_for_type(dataset_type)
    problems: list[str] = []

    def need(name: str, types: tuple[str, ...]) -> None:
        attr = schema.get(name)
        if attr is None:
            problems.append(f"{name} ({' or '.join(types)})")
        elif attr.type not in types:
            problems.append(f"{name} must be {' or '.join(types)}, not {attr.type}")

    need(fields.id_field, ("string",))
    if dataset_type == TARGET_TIME_SERIES:
        need(fields.target_field, ("float", "integer"))
    if problems:
        raise InvalidInputError(
            f"The {dataset_type} schema does not fit domain {domain}; missing or invalid "
            f"required attributes: {'; '.join(problems)}"
        )
    roles = schema_roles(schema, dataset_type, domain)
    if dataset_type == TARGET_TIME_SERIES and len(roles.dimensions) > MAX_TTS_DIMENSIONS:
        raise InvalidInputError(
            f"A TARGET_TIME_SERIES can have at most {MAX_TTS_DIMENSIONS} dimensions "
            f"(string attributes besides {fields.id_field}); found {len(roles.dimensions)}: "
            f"{', '.join(roles.dimensions)}"
        )
    if dataset_type == RELATED_TIME_SERIES:
        bad = [a.name for a in schema if a.name in roles.features and not a.is_numeric]
        if bad:
            raise InvalidInputError(
                "Related time series attributes other than the item id, timestamp and "
                f"dimensions must be integer or float: {', '.join(bad)}"
            )


@dataclass(frozen=True)
class SchemaRoles:
    """Which attribute plays which part: item id, timestamp, target, dimensions, features."""

    item_id: str | None
    timestamp: str | None
    target: str | None
    dimensions: tuple[str, ...]
    features: tuple[str, ...]  # everything else (covariates of an RTS, attributes of an IM)

    @property
    def key_columns(self) -> list[str]:
        """Series key: item id then dimensions (what identifies one series or item)."""
        return ([self.item_id] if self.item_id else []) + list(self.dimensions)

    @property
    def sort_columns(self) -> list[str]:
        """Canonical row order: key columns, then the timestamp."""
        return self.key_columns + ([self.timestamp] if self.timestamp else [])


_KNOWN_IDS = tuple(dict.fromkeys(f.id_field for f in DOMAINS.values()))
_KNOWN_TARGETS = tuple(dict.fromkeys(f.target_field for f in DOMAINS.values()))


def _first_named(schema: Schema, names: Iterable[str], types: tuple[str, ...]) -> Attribute | None:
    for name in names:
        attr = schema.get(name)
        if attr is not None and attr.type in types:
            return attr
    return None


def schema_roles(schema: Schema, dataset_type: str, domain: str | None = None) -> SchemaRoles:
    """Work out the attribute roles of a schema.

    With a domain, the item id and target are the domain's fields (§1.5). Without one, or when the
    domain's field is absent, the id is the first known id name (item_id, metric_name, ...) or
    else the first string attribute, and the TTS target is the first known target name or else
    the last numeric attribute. Dimensions are the other string attributes of a TTS/RTS.
    """
    check_dataset_type(dataset_type)
    ids = ((domain_fields(domain).id_field,) if domain else ()) + _KNOWN_IDS
    targets = ((domain_fields(domain).target_field,) if domain else ()) + _KNOWN_TARGETS
    strings = schema.of_type("string")
    item = _first_named(schema, ids, ("string",))
    if item is None and strings:
        item = strings[0]
    ts = schema.timestamp_attribute() if dataset_type in TIME_SERIES_TYPES else None
    target = None
    if dataset_type == TARGET_TIME_SERIES:
        numeric = schema.of_type("integer", "float")
        target = _first_named(schema, targets, ("integer", "float"))
        if target is None and numeric:
            target = numeric[-1]
    dims: tuple[str, ...] = ()
    if dataset_type in TIME_SERIES_TYPES:
        dims = tuple(a.name for a in strings if item is None or a.name != item.name)
    used = {x.name for x in (item, ts, target) if x is not None} | set(dims)
    features = tuple(a.name for a in schema if a.name not in used)
    return SchemaRoles(
        item_id=item.name if item else None,
        timestamp=ts.name if ts else None,
        target=target.name if target else None,
        dimensions=dims,
        features=features,
    )

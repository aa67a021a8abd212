from __future__ import annotations

import json

import pytest

from forecasthub.data.schema import (
    ITEM_METADATA,
    RELATED_TIME_SERIES,
    TARGET_TIME_SERIES,
    Attribute,
    Schema,
    schema_roles,
    validate_for_domain,
)
from forecasthub.errors import InvalidInputError


def test_json_round_trip() -> None:
    text = json.dumps({"Attributes": [
        {"AttributeName": "item_id", "AttributeType": "string"},
        {"AttributeName": "timestamp", "AttributeType": "timestamp"},
        {"AttributeName": "target_value", "AttributeType": "float"},
    ]})
    schema = Schema.from_json(text)
    assert schema.names == ["item_id", "timestamp", "target_value"]
    assert Schema.from_json(schema.to_json()) == schema
    assert Schema.from_json(json.loads(text)) == schema


@pytest.mark.parametrize("name", ["1abc", "_x", "a-b", "a b", "", "x" * 64])
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidInputError, match="AttributeName"):
        Attribute(name, "string")


def test_bad_type_duplicates_and_counts() -> None:
    with pytest.raises(InvalidInputError, match="AttributeType"):
        Attribute("a", "double")
    with pytest.raises(InvalidInputError, match="Duplicate"):
        Schema.from_attributes([("a", "string"), ("A", "float")])
    with pytest.raises(InvalidInputError, match="between 1 and 100"):
        Schema(())
    with pytest.raises(InvalidInputError, match="between 1 and 100"):
        Schema.from_attributes([(f"a{i}", "float") for i in range(101)])
    with pytest.raises(InvalidInputError):
        Schema.from_json("{not json")
    with pytest.raises(InvalidInputError, match="AttributeType"):
        Schema.from_json({"Attributes": [{"AttributeName": "a"}]})


def test_timestamp_count_per_type() -> None:
    two = Schema.from_attributes([("item_id", "string"), ("a", "timestamp"), ("b", "timestamp")])
    with pytest.raises(InvalidInputError, match="exactly one"):
        two.validate_for_type(TARGET_TIME_SERIES)
    none = Schema.from_attributes([("item_id", "string"), ("target_value", "float")])
    with pytest.raises(InvalidInputError, match="exactly one"):
        none.validate_for_type(RELATED_TIME_SERIES)
    none.validate_for_type(ITEM_METADATA)


def test_domain_validation_lists_missing_fields() -> None:
    schema = Schema.from_attributes([("sku", "string"), ("timestamp", "timestamp"),
                                     ("sales", "float")])
    with pytest.raises(InvalidInputError) as err:
        validate_for_domain(schema, "RETAIL", TARGET_TIME_SERIES)
    assert "item_id" in str(err.value) and "demand" in str(err.value)
    ok = Schema.from_attributes([("item_id", "string"), ("store", "string"),
                                 ("timestamp", "timestamp"), ("demand", "float")])
    validate_for_domain(ok, "RETAIL", TARGET_TIME_SERIES)
    with pytest.raises(InvalidInputError, match="Domain"):
        validate_for_domain(ok, "GROCERY", TARGET_TIME_SERIES)
    ec2 = Schema.from_attributes([("instance_type", "string"), ("timestamp", "timestamp"),
                                  ("number_of_instances", "integer")])
    validate_for_domain(ec2, "EC2_CAPACITY", TARGET_TIME_SERIES)


def test_rts_features_must_be_numeric() -> None:
    rts = Schema.from_attributes([("item_id", "string"), ("timestamp", "timestamp"),
                                  ("price", "float"), ("promo", "geolocation")])
    with pytest.raises(InvalidInputError, match="promo"):
        validate_for_domain(rts, "CUSTOM", RELATED_TIME_SERIES)


def test_roles() -> None:
    tts = Schema.from_attributes([("item_id", "string"), ("store_id", "string"),
                                  ("timestamp", "timestamp"), ("demand", "float")])
    roles = schema_roles(tts, TARGET_TIME_SERIES, "RETAIL")
    assert (roles.item_id, roles.timestamp, roles.target) == ("item_id", "timestamp", "demand")
    assert roles.dimensions == ("store_id",)
    assert roles.sort_columns == ["item_id", "store_id", "timestamp"]
    metrics = Schema.from_attributes([("timestamp", "timestamp"), ("metric_value", "float"),
                                      ("metric_name", "string")])
    r = schema_roles(metrics, TARGET_TIME_SERIES)
    assert (r.item_id, r.target, r.dimensions) == ("metric_name", "metric_value", ())
    im = Schema.from_attributes([("item_id", "string"), ("type", "string")])
    r = schema_roles(im, ITEM_METADATA)
    assert (r.item_id, r.timestamp, r.dimensions, r.features) == ("item_id", None, (), ("type",))

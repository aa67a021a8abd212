"""Dataset groups and datasets through the Python client (the same service functions the CLI
and the APIs call)."""

from __future__ import annotations

import pytest

from forecasthub.errors import (
    AlreadyExistsError, InvalidInputError, InvalidNextTokenError, LimitExceededError, NotFoundError,
    ResourceInUseError,
)

SCHEMA = {"Attributes": [{"AttributeName": "timestamp", "AttributeType": "timestamp"},
                         {"AttributeName": "target_value", "AttributeType": "float"},
                         {"AttributeName": "item_id", "AttributeType": "string"}]}
ACCOUNT = "arn:aws:forecast:us-east-1:000000000000"


def test_dataset_group_lifecycle(fh) -> None:
    arn = fh.create_dataset_group(DatasetGroupName="elec", Domain="CUSTOM")["DatasetGroupArn"]
    assert arn == f"{ACCOUNT}:dataset-group/elec"
    described = fh.describe_dataset_group(DatasetGroupArn=arn)
    assert described["Status"] == "ACTIVE" and described["DatasetArns"] == []
    with pytest.raises(AlreadyExistsError):
        fh.create_dataset_group(DatasetGroupName="elec", Domain="CUSTOM")
    fh.delete_dataset_group(DatasetGroupArn=arn)
    with pytest.raises(NotFoundError):
        fh.describe_dataset_group(DatasetGroupArn=arn)
    with pytest.raises(NotFoundError):  # wait_till_delete loops until this
        fh.delete_dataset_group(DatasetGroupArn=arn)


@pytest.mark.parametrize("name", ["with-hyphen", "1starts_with_digit", "x" * 64, "naïve", "a b", "../etc"])
def test_invalid_names_are_rejected(fh, name: str) -> None:
    with pytest.raises(InvalidInputError, match="not a valid name"):
        fh.create_dataset_group(DatasetGroupName=name, Domain="CUSTOM")


def test_unknown_domain_is_rejected(fh) -> None:
    with pytest.raises(InvalidInputError, match="Domain must be one of"):
        fh.create_dataset_group(DatasetGroupName="g", Domain="SPORTS")


def test_dataset_create_and_group_membership(fh) -> None:
    ds = fh.create_dataset(DatasetName="elec_tts", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                           DataFrequency="H", Schema=SCHEMA)["DatasetArn"]
    assert fh.describe_dataset(DatasetArn=ds)["Schema"] == SCHEMA
    group = fh.create_dataset_group(DatasetGroupName="elec", Domain="CUSTOM",
                                    DatasetArns=[ds])["DatasetGroupArn"]
    assert fh.describe_dataset_group(DatasetGroupArn=group)["DatasetArns"] == [ds]
    retail = fh.create_dataset_group(DatasetGroupName="retail", Domain="RETAIL")["DatasetGroupArn"]
    with pytest.raises(InvalidInputError, match="domain CUSTOM"):
        fh.update_dataset_group(DatasetGroupArn=retail, DatasetArns=[ds])
    second = fh.create_dataset(DatasetName="other_tts", Domain="CUSTOM",
                               DatasetType="TARGET_TIME_SERIES", Schema=SCHEMA)["DatasetArn"]
    with pytest.raises(InvalidInputError, match="one dataset per type"):
        fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[ds, second])
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[second])
    assert fh.describe_dataset_group(DatasetGroupArn=group)["DatasetArns"] == [second]


def test_schema_must_fit_the_domain(fh) -> None:
    with pytest.raises(InvalidInputError, match="demand"):
        fh.create_dataset(DatasetName="r", Domain="RETAIL", DatasetType="TARGET_TIME_SERIES",
                          DataFrequency="D", Schema=SCHEMA)


def test_related_series_needs_a_frequency(fh) -> None:
    schema = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                             {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                             {"AttributeName": "price", "AttributeType": "float"}]}
    with pytest.raises(InvalidInputError, match="DataFrequency is required"):
        fh.create_dataset(DatasetName="r", Domain="CUSTOM", DatasetType="RELATED_TIME_SERIES",
                          Schema=schema)


def test_list_pagination(fh) -> None:
    for i in range(5):
        fh.create_dataset_group(DatasetGroupName=f"g{i}", Domain="CUSTOM")
    page = fh.list_dataset_groups(MaxResults=2)
    assert len(page["DatasetGroups"]) == 2 and "NextToken" in page
    names = [g["DatasetGroupName"] for g in page["DatasetGroups"]]
    while "NextToken" in page:
        page = fh.list_dataset_groups(MaxResults=2, NextToken=page["NextToken"])
        names += [g["DatasetGroupName"] for g in page["DatasetGroups"]]
    assert sorted(names) == [f"g{i}" for i in range(5)]
    with pytest.raises(InvalidNextTokenError):
        fh.list_dataset_groups(NextToken="garbage")


def test_tags(fh) -> None:
    arn = fh.create_dataset_group(DatasetGroupName="g", Domain="CUSTOM",
                                  Tags=[{"Key": "team", "Value": "planning"}])["DatasetGroupArn"]
    fh.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    assert {t["Key"] for t in fh.list_tags_for_resource(ResourceArn=arn)["Tags"]} == {"team", "env"}
    fh.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert fh.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    with pytest.raises(InvalidInputError, match="aws:"):
        fh.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
    with pytest.raises(LimitExceededError, match="50 tags"):  # Amazon's LimitExceededException
        fh.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])


def test_dataset_with_import_jobs_cannot_be_deleted(fh, tmp_path) -> None:
    ds = fh.create_dataset(DatasetName="d", Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                           DataFrequency="D", Schema=SCHEMA)["DatasetArn"]
    f = tmp_path / "d.csv"
    f.write_text("2020-01-01,1.0,a\n2020-01-02,2.0,a\n")
    fh.create_dataset_import_job(DatasetImportJobName="j", DatasetArn=ds,
                                 DataSource={"S3Config": {"Path": str(f)}},
                                 TimestampFormat="yyyy-MM-dd")
    with pytest.raises(ResourceInUseError):
        fh.delete_dataset(DatasetArn=ds)

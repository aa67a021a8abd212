"""Model registry: register, approve / reject, deploy exactly one, roll back, rules, pins."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forecasthub import registry
from forecasthub.errors import InvalidInputError, NotFoundError, ResourceInUseError
from forecasthub.registry.versions import get_rule, resolve_model
from forecasthub.sql import run_query
from tests.sql import flow


@pytest.fixture
def shop(fh, tmp_path):
    files = flow.retail_files(tmp_path / "data")
    group, dataset = flow.make_group(fh, files)
    return {"fh": fh, "hub": fh.hub, "group": group, "dataset": dataset}


def _deployed(hub) -> list[int]:
    return [v["Version"] for v in registry.list_versions(hub, "shop")["ModelVersions"] if v["Deployed"]]


def test_register_records_metrics_data_and_parameters(shop) -> None:
    hub, fh = shop["hub"], shop["fh"]
    p1 = flow.train(fh, shop["group"], "p1")
    v = registry.register_predictor(hub, p1)
    assert (v["Version"], v["Status"], v["Deployed"]) == (1, "PendingManualApproval", False)
    summary = fh.get_accuracy_metrics(PredictorArn=p1)["PredictorEvaluationResults"][0]["TestWindows"][0]
    assert v["MetricName"] == "AverageWeightedQuantileLoss"
    assert v["MetricValue"] == pytest.approx(summary["Metrics"]["AverageWeightedQuantileLoss"])
    assert set(v["Metrics"]) >= {"WAPE", "RMSE", "MASE", "MAPE", "wQL[0.5]"}
    current = fh.describe_dataset(DatasetArn=shop["dataset"])
    assert list(v["DatasetVersions"]) == [shop["dataset"]] and v["DatasetVersions"][shop["dataset"]]
    assert current["DatasetArn"] == shop["dataset"]
    assert v["Parameters"]["horizon"] == flow.HORIZON and v["Parameters"]["algorithm"] == "NPTS"
    assert registry.register_predictor(hub, "p1")["ModelVersionId"] == v["ModelVersionId"]  # idempotent
    assert run_query(hub, "SELECT version, status, deployed FROM model_versions").rows == [
        (1, "PendingManualApproval", False)]


def test_approve_deploy_rollback(shop) -> None:
    hub, fh = shop["hub"], shop["fh"]
    for name in ("p1", "p2", "p3"):
        registry.register_predictor(hub, flow.train(fh, shop["group"], name))
    with pytest.raises(ResourceInUseError, match="only Approved"):
        registry.deploy(hub, "shop", 1)
    with pytest.raises(NotFoundError):
        resolve_model(hub, "shop")
    for n in (1, 2, 3):
        registry.set_status(hub, "shop", n, "Approved")
    registry.deploy(hub, "shop", 1)
    registry.deploy(hub, "shop", 2)
    registry.deploy(hub, "shop", 3)
    assert _deployed(hub) == [3]
    assert resolve_model(hub, "shop") == {"PredictorArn": hub.arn("predictor", "p3"),
                                          "Source": "deployed", "Version": 3}
    with pytest.raises(ResourceInUseError, match="deployed"):
        registry.set_status(hub, "shop", 3, "Rejected")
    assert registry.rollback(hub, "shop")["Version"] == 2
    assert _deployed(hub) == [2]
    assert registry.rollback(hub, "shop")["Version"] == 1
    with pytest.raises(ResourceInUseError, match="roll back"):
        registry.rollback(hub, "shop")
    assert _deployed(hub) == [1]
    assert [h["Action"] for h in registry.history(hub, "shop")] == ["deploy"] * 3 + ["rollback"] * 2
    registry.set_status(hub, "shop", 3, "Rejected", "worse on the holidays")
    assert registry.describe_version(hub, "shop", 3)["Message"] == "worse on the holidays"
    assert [v["Version"] for v in registry.list_versions(hub, status="Rejected")["ModelVersions"]] == [3]
    with pytest.raises(InvalidInputError):
        registry.list_versions(hub, status="Deployed")
    with pytest.raises(NotFoundError):
        registry.describe_version(hub, "shop", 9)
    with pytest.raises(NotFoundError):
        registry.list_versions(hub, "nope")


def test_approval_rule_and_auto_deploy(shop) -> None:
    hub, fh = shop["hub"], shop["fh"]
    registry.set_rule(hub, "shop", "WAPE", 0.0, auto_deploy=True)
    assert get_rule(hub, "shop")["Metric"] == "WAPE"
    v1 = registry.register_predictor(hub, flow.train(fh, shop["group"], "p1"))
    assert v1["Status"] == "Approved" and v1["Deployed"]  # nothing deployed to compare with
    # a second version as good (the same algorithm and data) passes a 0 % margin
    v2 = registry.register_predictor(hub, flow.train(fh, shop["group"], "p2"))
    assert v2["Status"] == "Approved" and _deployed(hub) == [2]
    # make the deployed version look much better: the next one is held for a human
    from forecasthub.store.orm import ModelVersionRow

    with hub.db.session() as s:
        row = s.get(ModelVersionRow, v2["ModelVersionId"])
        row.metrics = {**row.metrics, "WAPE": v2["Metrics"]["WAPE"] / 2}
    v3 = registry.register_predictor(hub, flow.train(fh, shop["group"], "p3"))
    assert v3["Status"] == "PendingManualApproval" and "worse" in v3["Message"]
    assert _deployed(hub) == [2]
    with pytest.raises(InvalidInputError, match="metric"):
        registry.set_rule(hub, "shop", "R2")
    with pytest.raises(InvalidInputError, match="max_regression"):
        registry.set_rule(hub, "shop", "WAPE", -1)


def test_pin_by_name(shop, monkeypatch: pytest.MonkeyPatch) -> None:
    hub, fh = shop["hub"], shop["fh"]
    for name in ("p1", "p2"):
        registry.register_predictor(hub, flow.train(fh, shop["group"], name))
    registry.set_status(hub, "shop", 2, "Approved")
    registry.deploy(hub, "shop", 2)
    monkeypatch.setenv("FORECASTHUB_MODEL_PINS", "shop=p1")
    assert resolve_model(hub, "shop") == {"PredictorArn": hub.arn("predictor", "p1"),
                                          "Source": "pinned", "Version": 1}
    monkeypatch.setenv("FORECASTHUB_MODEL_PINS", "shop=gone")
    with pytest.raises(NotFoundError, match="pinned"):
        resolve_model(hub, "shop")
    monkeypatch.setenv("FORECASTHUB_MODEL_PINS", "shop")
    with pytest.raises(InvalidInputError):
        resolve_model(hub, "shop")


def test_hook_never_fails_training(shop, caplog) -> None:
    registry.on_predictor_trained(shop["hub"], shop["hub"].arn("predictor", "missing"))
    assert "could not register" in caplog.text


def test_hook_registers_after_training(shop) -> None:
    hub, fh = shop["hub"], shop["fh"]
    p1 = flow.train(fh, shop["group"], "p1")
    registry.on_predictor_trained(hub, p1)
    registry.on_predictor_trained(hub, p1)  # twice: still one version
    assert [v["PredictorArn"] for v in registry.list_versions(hub)["ModelVersions"]] == [p1]


def test_deployed_predictor_cannot_be_deleted(shop) -> None:
    hub, fh = shop["hub"], shop["fh"]
    p1, p2 = (flow.train(fh, shop["group"], name) for name in ("p1", "p2"))
    for n, p in ((1, p1), (2, p2)):
        registry.register_predictor(hub, p)
        registry.set_status(hub, "shop", n, "Approved")
    registry.deploy(hub, "shop", 1)
    with pytest.raises(ResourceInUseError, match="deployed model version 1"):
        fh.delete_predictor(PredictorArn=p1)
    registry.deploy(hub, "shop", 2)
    fh.delete_predictor(PredictorArn=p1)  # no longer deployed
    with pytest.raises(NotFoundError):
        fh.describe_predictor(PredictorArn=p1)


def test_database_allows_one_deployed_version_per_group(shop) -> None:
    """A partial unique index (migration 0006): a second deployed row in a group is refused by
    the database itself, while deploy() switches versions without ever tripping it."""
    import uuid

    from sqlalchemy.exc import IntegrityError

    from forecasthub.store.orm import ModelVersionRow

    hub, fh = shop["hub"], shop["fh"]
    for n, name in ((1, "p1"), (2, "p2")):
        registry.register_predictor(hub, flow.train(fh, shop["group"], name))
        registry.set_status(hub, "shop", n, "Approved")
    registry.deploy(hub, "shop", 1)
    registry.deploy(hub, "shop", 2)  # clears 1, then sets 2: never two at once
    registry.rollback(hub, "shop")
    assert _deployed(hub) == [1]
    with pytest.raises(IntegrityError), hub.db.session() as s:
        s.add(ModelVersionRow(id=uuid.uuid4().hex, dataset_group_arn=shop["group"], version=9,
                              predictor_arn=hub.arn("predictor", "p9"), predictor_name="p9",
                              status="Approved", metric_name="WAPE", deployed=True))
    with hub.db.session() as s:  # undeployed rows are not limited
        s.add(ModelVersionRow(id=uuid.uuid4().hex, dataset_group_arn=shop["group"], version=9,
                              predictor_arn=hub.arn("predictor", "p9"), predictor_name="p9",
                              status="Approved", metric_name="WAPE", deployed=False))
    with pytest.raises(IntegrityError), hub.db.session() as s:  # flipping a second one on
        row = s.scalars(select(ModelVersionRow).where(ModelVersionRow.version == 9)).one()
        row.deployed = True
    assert _deployed(hub) == [1]


def test_one_deployed_index_on_each_backend(database_url: str, home, monkeypatch) -> None:
    """The migration's partial index works on SQLite and PostgreSQL alike."""
    import uuid

    from sqlalchemy.exc import IntegrityError

    from forecasthub.store.db import Database
    from forecasthub.store.orm import ModelVersionRow

    db = Database(database_url)
    try:
        def row(version: int, deployed: bool, group: str = "g1") -> ModelVersionRow:
            return ModelVersionRow(id=uuid.uuid4().hex, dataset_group_arn=group, version=version,
                                   predictor_arn=f"p{group}{version}", predictor_name=f"p{version}",
                                   status="Approved", metric_name="WAPE", deployed=deployed)

        with db.session() as s:
            s.add_all([row(1, True), row(2, False), row(3, False), row(1, True, "g2")])
        with pytest.raises(IntegrityError), db.session() as s:
            s.add(row(4, True))
    finally:
        db.dispose()

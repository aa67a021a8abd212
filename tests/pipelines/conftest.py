"""A small retail group with model version 1 (NPTS, predictor p1) Approved and deployed."""

from __future__ import annotations

import pytest

from forecasthub import registry
from tests.sql import flow


@pytest.fixture
def deployed_shop(fh, tmp_path):
    files = flow.retail_files(tmp_path / "data")
    group, _ = flow.make_group(fh, files)
    predictor = flow.train(fh, group, "p1")
    registry.register_predictor(fh.hub, predictor)
    registry.set_status(fh.hub, "shop", 1, "Approved")
    registry.deploy(fh.hub, "shop", 1)
    return files

from __future__ import annotations

import pytest

from tests.sql import flow


@pytest.fixture
def retail_home(fh, tmp_path):
    """The small retail flow: group `shop`, NPTS predictor `p1`, forecast `f1`."""
    files = flow.retail_files(tmp_path / "data")
    group, dataset = flow.make_group(fh, files)
    predictor = flow.train(fh, group, "p1")
    forecast = flow.forecast(fh, predictor, "f1")
    return {"fh": fh, "group": group, "dataset": dataset, "predictor": predictor,
            "forecast": forecast, "files": files}

"""The SQL catalog over a store on S3 (moto's server): views scan the objects through the
store's filesystem, with DuckDB's external access still off."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.sql import run_query
from tests.sql import flow


def test_sql_over_an_s3_store(home: Path, s3_bucket: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from forecasthub.client import Client

    monkeypatch.setenv("FORECASTHUB_STORE_URL", f"s3://{s3_bucket}/store")
    fh = Client()
    try:
        files = flow.retail_files(tmp_path / "data")
        group, _ = flow.make_group(fh, files)
        flow.forecast(fh, flow.train(fh, group, "p1"), "f1")
        rows = run_query(fh.hub, "SELECT forecast_name, count(*) FROM forecasts GROUP BY 1").rows
        assert rows[0][0] == "f1" and rows[0][1] > 0
        assert run_query(fh.hub, "SELECT count(*) > 0 FROM backtests").rows == [(True,)]
        assert run_query(fh.hub, "SELECT count(*) > 0 FROM history_shop").rows == [(True,)]
        with pytest.raises(InvalidInputError, match="query failed"):
            run_query(fh.hub, "SELECT * FROM read_csv('/etc/passwd')")
    finally:
        fh.close()

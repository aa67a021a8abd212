"""`forecasthub watch --once`: the runs as JSON, exit status 1 when one failed (for cron)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from forecasthub.cli.main import cli
from tests.sql import flow


def test_watch_once_exits_1_when_a_run_failed(fh, tmp_path: Path) -> None:
    files = flow.retail_files(tmp_path / "data")
    flow.make_group(fh, files)  # no model deployed: the forecast step fails
    (tmp_path / "landing").mkdir()
    config = tmp_path / "watch.yaml"
    config.write_text(f"settle_seconds: 0\ngroups:\n  shop:\n    landing: {tmp_path / 'landing'}\n"
                      "    timestamp_format: yyyy-MM-dd\n")
    runner = CliRunner()
    idle = runner.invoke(cli, ["watch", "-c", str(config), "--once"])
    assert idle.exit_code == 0, idle.output
    assert json.loads(idle.output) == {"Runs": []}
    shutil.copy2(files.paths["TARGET_TIME_SERIES"], tmp_path / "landing" / "a.csv")
    failed = runner.invoke(cli, ["watch", "-c", str(config), "--once"])
    assert failed.exit_code == 1, failed.output
    runs = json.loads(failed.output[failed.output.index("{"):])["Runs"]
    assert [r["Status"] for r in runs] == ["FAILED"]


def test_sql_write_catalog_refuses_a_query(fh) -> None:
    """--write-catalog ran no query and said nothing about it; now it says so."""
    runner = CliRunner()
    refused = runner.invoke(cli, ["sql", "--write-catalog", "SELECT 1"])
    assert refused.exit_code == 2 and "runs no query" in refused.output
    written = runner.invoke(cli, ["sql", "--write-catalog"])
    assert written.exit_code == 0 and written.output.strip().endswith("catalog.duckdb")

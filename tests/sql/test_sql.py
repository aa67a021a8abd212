"""SQL over results: the catalog's tables over the retail flow, and every refusal."""

from __future__ import annotations

import json

import pytest

from forecasthub.errors import InvalidInputError, LimitExceededError
from forecasthub.sql import check_query, describe_catalog, run_query
from forecasthub.sql.catalog import write_catalog_file
from forecasthub.sql.query import QueryTimeoutError, render


def test_empty_home_has_every_table(fh) -> None:
    tables = describe_catalog(fh.hub)
    assert {"history", "forecasts", "accuracy", "backtests", "backtest_accuracy", "model_versions",
            "catalog"} <= set(tables)
    assert run_query(fh.hub, "SELECT count(*) FROM forecasts").rows == [(0,)]


def test_tables_over_the_retail_flow(retail_home) -> None:
    hub = retail_home["fh"].hub
    result = run_query(hub, "SELECT dataset_group, count(DISTINCT (item_id, store_id)) AS n, "
                            "count(*) AS rows FROM history GROUP BY 1")
    assert result.columns == ["dataset_group", "n", "rows"]
    assert result.rows[0][0] == "shop"
    series = result.rows[0][1]
    assert series >= 3
    assert run_query(hub, "SELECT count(*) FROM history_shop").rows == [(result.rows[0][2],)]

    forecasts = run_query(hub, "SELECT * FROM forecasts ORDER BY item_id, date")
    cols = forecasts.columns
    assert cols[:6] == ["forecast_name", "forecast_arn", "predictor_name", "predictor_arn",
                        "dataset_group", "forecast_created_at"]
    assert {"item_id", "store_id", "date", "p10", "p50", "p90", "mean"} <= set(cols)
    assert len(forecasts.rows) == series * 4  # horizon 4
    first = dict(zip(cols, forecasts.rows[0], strict=True))
    assert (first["forecast_name"], first["predictor_name"], first["dataset_group"]) == ("f1", "p1", "shop")
    assert first["forecast_arn"] == retail_home["forecast"]

    accuracy = run_query(hub, "SELECT algorithm, evaluation_type, average_wql, wape, wql_p50 "
                              "FROM accuracy WHERE predictor_name = 'p1' AND is_predictor "
                              "ORDER BY evaluation_type DESC")
    assert accuracy.rows[0][:2] == ("NPTS", "SUMMARY")
    metrics = retail_home["fh"].get_accuracy_metrics(PredictorArn=retail_home["predictor"])
    summary = metrics["PredictorEvaluationResults"][0]["TestWindows"][0]["Metrics"]
    assert accuracy.rows[0][2] == pytest.approx(summary["AverageWeightedQuantileLoss"])
    assert all(r[1] == "COMPUTED" for r in accuracy.rows[1:]) and len(accuracy.rows) >= 2

    backtests = run_query(hub, "SELECT predictor_name, count(*), min(target_value) >= 0 FROM backtests GROUP BY 1")
    assert backtests.rows[0][0] == "p1" and backtests.rows[0][1] > 0
    joined = run_query(hub, """
        WITH last AS (SELECT item_id, max(timestamp) AS t FROM history GROUP BY 1)
        SELECT f.item_id, min(f.date) > any_value(l.t) FROM forecasts f JOIN last l USING (item_id)
        GROUP BY 1 ORDER BY 1""")
    assert joined.rows and all(r[1] for r in joined.rows)  # forecasts start after the history


def test_formats_and_row_limit(retail_home) -> None:
    hub = retail_home["fh"].hub
    result = run_query(hub, "SELECT item_id, date, p50 FROM forecasts ORDER BY item_id, date", max_rows=5)
    assert len(result.rows) == 5 and result.truncated
    text = render(result, "csv").splitlines()
    assert text[0] == "item_id,date,p50" and len(text) == 6
    records = json.loads(render(result, "json"))
    assert records[0]["item_id"] == "dept_1" and records[0]["date"].startswith("20")
    assert "item_id" in render(result, "table")
    assert run_query(hub, "SELECT 1 AS x").truncated is False


@pytest.mark.parametrize("sql, match", [
    ("INSERT INTO accuracy (predictor_name) VALUES ('x')", "INSERT"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("DROP VIEW forecasts", "DROP"),
    ("ATTACH '/tmp/evil.duckdb' AS evil", "ATTACH"),
    ("COPY (SELECT 1) TO '/tmp/out.csv'", "COPY"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("PRAGMA version", "PRAGMA"),
    ("SET enable_external_access = true", "SET"),
    ("EXPLAIN SELECT 1", "EXPLAIN"),
    ("SELECT 1; SELECT 2", "exactly one statement"),
    ("SELECT 1; DROP TABLE accuracy", "exactly one statement"),
    ("SELEC 1", "does not parse"),
    ("", "non-empty"),
])
def test_refused_statements(fh, sql: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        check_query(sql)
    with pytest.raises(InvalidInputError, match=match):
        run_query(fh.hub, sql)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM read_parquet('{home}/metadata.db')",
])
def test_no_file_access_outside_the_views(retail_home, sql: str) -> None:
    hub = retail_home["fh"].hub
    with pytest.raises(InvalidInputError, match="query failed"):
        run_query(hub, sql.format(home=hub.settings.home))


def test_views_files_only_not_the_rest_of_the_store(retail_home) -> None:
    hub = retail_home["fh"].hub
    with hub.db.session() as s:
        from forecasthub.store.orm import PredictorRow

        key = s.get(PredictorRow, retail_home["predictor"]).artifact_key
    with pytest.raises(InvalidInputError, match="query failed"):
        run_query(hub, f"SELECT * FROM read_blob('{hub.store.path(key)}/model.pkl')")


def test_long_query_is_interrupted(fh) -> None:
    with pytest.raises(QueryTimeoutError, match="interrupted") as info:
        run_query(fh.hub, "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000) b",
                  timeout_s=0.5)
    assert isinstance(info.value, LimitExceededError)


def test_bad_limits(fh) -> None:
    with pytest.raises(InvalidInputError, match="max_rows"):
        run_query(fh.hub, "SELECT 1", max_rows=0)
    with pytest.raises(InvalidInputError, match="timeout"):
        run_query(fh.hub, "SELECT 1", timeout_s=0)


def test_catalog_file(retail_home) -> None:
    import duckdb

    path = write_catalog_file(retail_home["fh"].hub)
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM forecasts").fetchone()[0] > 0
    finally:
        con.close()


def test_a_damaged_file_is_left_out_not_fatal(retail_home) -> None:
    from pathlib import Path

    hub = retail_home["fh"].hub
    with hub.db.session() as s:
        from forecasthub.store.orm import ForecastRow

        key = s.get(ForecastRow, retail_home["forecast"]).artifact_key
    Path(hub.store.path(f"{key}/forecast.parquet")).write_bytes(b"not parquet")
    assert run_query(hub, "SELECT count(*) FROM forecasts").rows == [(0,)]
    assert run_query(hub, "SELECT count(*) > 0 FROM history").rows == [(True,)]


def test_cold_start_table(fh, tmp_path) -> None:
    from tests.sql import flow

    assert run_query(fh.hub, "SELECT count(*) FROM cold_start").rows == [(0,)]
    predictor, forecast = flow.cold_start_flow(fh, tmp_path / "cold")
    result = run_query(fh.hub, "SELECT * FROM cold_start")
    assert result.columns == ["forecast_name", "forecast_arn", "predictor_name", "predictor_arn",
                              "dataset_group", "item_id", "model", "weights", "items", "reason"]
    assert result.rows == [("fc", forecast, "lgbm", predictor, "cold", "a_new", "LightGBM",
                            json.dumps({"LightGBM": 1.0}), 1, None)]
    # the item's forecast is in the forecasts view, joinable on the ids
    joined = run_query(fh.hub, "SELECT c.model, count(*) FROM cold_start c JOIN forecasts f "
                               "USING (forecast_arn, item_id) GROUP BY 1")
    assert joined.rows == [("LightGBM", 7)]
    assert "cold_start" in describe_catalog(fh.hub)

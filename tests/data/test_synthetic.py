"""Tests of the synthetic Walmart-style RETAIL generator (forecasthub.data.synthetic)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from forecasthub.data.synthetic import (
    CATEGORIES,
    RetailData,
    WeeklyPanel,
    amazon_schema,
    generate_retail,
    generate_weekly_panel,
    holiday_weeks,
    series_item_metadata,
    write_retail_csvs,
)

KEY = ["item_id", "store_id"]
TTS_COLUMNS = ["item_id", "store_id", "timestamp", "demand"]
RTS_COLUMNS = ["item_id", "store_id", "timestamp", "markdown", "is_holiday"]


@pytest.fixture(scope="module")
def retail() -> RetailData:
    return generate_retail()


@pytest.fixture(scope="module")
def small() -> RetailData:
    return generate_retail(n_stores=12, seed=7)


def _regular(data: RetailData) -> pd.DataFrame:
    """Target joined with the related series, intermittent departments left out."""
    df = data.target.merge(data.related, on=KEY + ["timestamp"], how="left")
    assert df["markdown"].notna().all()
    return df[~df["item_id"].isin(data.intermittent_item_ids)].copy()


# ------------------------------------------------------------------------------------ shapes


def test_default_shapes_and_columns(retail: RetailData) -> None:
    assert list(retail.target.columns) == TTS_COLUMNS
    assert list(retail.related.columns) == RTS_COLUMNS
    assert list(retail.future.columns) == TTS_COLUMNS
    assert list(retail.item_metadata.columns) == ["item_id", "category"]
    assert list(retail.store_metadata.columns) == ["store_id", "type", "size"]
    assert retail.horizon == 13 and retail.frequency == "W"
    assert retail.forecast_dimensions == ["store_id"]

    tts = retail.target
    assert pd.api.types.is_datetime64_any_dtype(tts["timestamp"])
    assert tts["demand"].dtype == np.float64
    weeks = np.sort(tts["timestamp"].unique())
    assert len(weeks) == 156
    assert pd.Timestamp(weeks[0]) == pd.Timestamp("2010-02-05")
    assert (pd.DatetimeIndex(weeks).dayofweek == 4).all()  # Fridays
    assert (np.diff(weeks) == np.timedelta64(7, "D")).all()
    assert not tts.duplicated(KEY + ["timestamp"]).any()
    assert tts["item_id"].str.fullmatch(r"dept_\d+").all()
    assert tts["store_id"].str.fullmatch(r"store_\d+").all()

    # 45 stores, each carrying 60-80 regular departments (plus maybe some new ones)
    assert tts["store_id"].nunique() == 45
    regular = tts[~tts["item_id"].isin(retail.new_item_ids)]
    per_store = regular.groupby("store_id")["item_id"].nunique()
    assert per_store.between(60, 80).all()
    assert per_store.nunique() > 1  # stores differ

    # full series have all 156 weeks; the panel is large
    lengths = tts.groupby(KEY).size()
    assert (lengths[~lengths.index.get_level_values(0).isin(retail.new_item_ids)] == 156).all()
    assert len(tts) > 45 * 60 * 150

    items = retail.item_metadata
    assert items["item_id"].is_unique
    assert set(items["item_id"]) == set(tts["item_id"])
    assert set(items["category"]) <= set(CATEGORIES)

    stores = retail.store_metadata
    assert stores["store_id"].is_unique and len(stores) == 45
    assert set(stores["type"]) <= {"A", "B", "C"}
    assert (stores["size"] > 0).all()
    # type A stores are the big ones
    sizes = stores.groupby("type")["size"].median()
    if {"A", "C"} <= set(sizes.index):
        assert sizes["A"] > sizes["C"]


def test_deterministic_under_seed(small: RetailData) -> None:
    again = generate_retail(n_stores=12, seed=7)
    for name in ("target", "related", "future", "item_metadata", "store_metadata"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(again, name))
    assert small.new_item_ids == again.new_item_ids
    other = generate_retail(n_stores=12, seed=8)
    assert not small.target["demand"].head(500).equals(other.target["demand"].head(500))

    a = generate_weekly_panel(300, 40, seed=5, related=True, metadata=True)
    b = generate_weekly_panel(300, 40, seed=5, related=True, metadata=True)
    pd.testing.assert_frame_equal(a.target, b.target)
    pd.testing.assert_frame_equal(a.related, b.related)
    pd.testing.assert_frame_equal(a.item_metadata, b.item_metadata)
    # asking for more frames does not change the target
    c = generate_weekly_panel(300, 40, seed=5)
    pd.testing.assert_frame_equal(a.target, c.target)


def test_non_negative_and_finite(retail: RetailData) -> None:
    for df in (retail.target, retail.future):
        assert df["demand"].notna().all()
        assert np.isfinite(df["demand"]).all()
        assert (df["demand"] >= 0).all()
    md = retail.related["markdown"]
    assert md.notna().all() and md.between(0, 1).all()
    assert 0.02 < (md > 0).mean() < 0.3  # promotions happen, but not every week
    assert set(retail.related["is_holiday"].unique()) <= {0, 1}
    # regular departments rarely hit zero; Walmart-like magnitudes
    reg = retail.target[~retail.target["item_id"].isin(retail.intermittent_item_ids)]
    assert (reg["demand"] == 0).mean() < 0.01
    assert 1_000 < reg["demand"].median() < 50_000


# ------------------------------------------------------------------------------- realism


def test_promotions_lift_demand(retail: RetailData) -> None:
    df = _regular(retail)
    # control for the series level with the median of its unpromoted weeks, and for the
    # holiday season (when promotions are also more frequent) by leaving Nov-Jan out
    df = df[~df["timestamp"].dt.month.isin([11, 12, 1])]
    df["log_demand"] = np.log(df["demand"])
    base = df[df["markdown"] == 0].groupby(KEY)["log_demand"].median().rename("base")
    df = df.join(base, on=KEY)
    df["excess"] = df["log_demand"] - df["base"]
    promoted = df.loc[df["markdown"] > 0, "excess"].mean()
    unpromoted = df.loc[df["markdown"] == 0, "excess"].mean()
    assert promoted - unpromoted > 0.2  # > +22% on average
    # deeper markdowns lift more
    shallow = df.loc[df["markdown"].between(0.01, 0.15), "excess"].mean()
    deep = df.loc[df["markdown"] >= 0.3, "excess"].mean()
    assert deep > shallow + 0.2


def test_holiday_flags_are_walmart_weeks() -> None:
    cal = holiday_weeks("2010-02-05", 156)
    flagged = set(cal.loc[cal["is_holiday"] == 1, "timestamp"].dt.strftime("%Y-%m-%d"))
    assert flagged == {
        "2010-02-12", "2010-09-10", "2010-11-26", "2010-12-31",
        "2011-02-11", "2011-09-09", "2011-11-25", "2011-12-30",
        "2012-02-10", "2012-09-07", "2012-11-23", "2012-12-28",
    }


def test_related_is_holiday_matches_calendar(small: RetailData) -> None:
    rts = small.related
    per_week = rts.groupby("timestamp")["is_holiday"].agg(["min", "max"])
    assert (per_week["min"] == per_week["max"]).all()  # a property of the week
    cal = holiday_weeks("2010-02-05", 156 + 13).set_index("timestamp")["is_holiday"]
    assert (per_week["max"] == cal.reindex(per_week.index)).all()


def _week_ratio(df: pd.DataFrame, week: str, before: list[int]) -> pd.Series:
    """Per series: demand in `week` over mean demand `before` weeks earlier."""
    wide = df.pivot_table(index=KEY, columns="timestamp", values="demand")
    w = pd.Timestamp(week)
    ref = wide[[w - pd.Timedelta(weeks=k) for k in before]].mean(axis=1)
    return wide[w] / ref


def test_holiday_weeks_higher_for_affected_departments(retail: RetailData) -> None:
    df = _regular(retail).merge(retail.item_metadata, on="item_id")
    gifts = df[df["category"].isin(["toys", "electronics"])]
    garden = df[df["category"] == "home_garden"]
    assert len(gifts) and len(garden)

    thanksgiving = _week_ratio(gifts, "2011-11-25", [2, 3, 4])
    assert thanksgiving.median() > 1.4
    pre_christmas = _week_ratio(gifts, "2011-12-23", [5, 6, 7])
    assert pre_christmas.median() > 1.8
    # unaffected (or barely affected) departments: a far smaller Thanksgiving spike
    assert _week_ratio(garden, "2011-11-25", [2, 3, 4]).median() < thanksgiving.median() - 0.3

    # the whole chain: the Thanksgiving and pre-Christmas weeks are the biggest of the year
    total = retail.target.groupby("timestamp")["demand"].sum()
    year = total["2011-02-01":"2012-01-31"]
    top = set(year.nlargest(2).index.strftime("%Y-%m-%d"))
    assert top == {"2011-11-25", "2011-12-23"}
    # Super Bowl week: grocery and electronics sell more than in the weeks around it
    party = df[df["category"].isin(["grocery", "electronics"])]
    assert _week_ratio(party, "2011-02-11", [-2, 2]).median() > 1.05
    assert total["2011-02-11"] > total[["2011-01-28", "2011-02-25"]].mean()


def test_new_departments_have_short_history(retail: RetailData) -> None:
    assert len(retail.new_item_ids) == 3
    assert set(retail.new_item_ids) <= set(retail.item_metadata["item_id"])
    tts, rts = retail.target, retail.related
    end = tts["timestamp"].max()
    new = tts[tts["item_id"].isin(retail.new_item_ids)]
    spans = new.groupby(KEY)["timestamp"].agg(["min", "max", "size"])
    assert len(spans) >= 3
    assert spans["size"].between(10, 30).all()
    assert (spans["max"] == end).all()
    assert ((spans["max"] - spans["min"]) / pd.Timedelta(weeks=1) + 1 == spans["size"]).all()
    # not every store has them
    assert new.groupby("item_id")["store_id"].nunique().lt(45).all()
    # their related series starts with their history and runs through the horizon
    rspans = rts[rts["item_id"].isin(retail.new_item_ids)].groupby(KEY)["timestamp"].agg(
        ["min", "size"]
    )
    assert (rspans["min"] == spans["min"]).all()
    assert (rspans["size"] == spans["size"] + retail.horizon).all()


def test_intermittent_departments_are_zero_heavy(retail: RetailData) -> None:
    assert 1 <= len(retail.intermittent_item_ids) <= 10
    inter = retail.target[retail.target["item_id"].isin(retail.intermittent_item_ids)]
    assert len(inter)
    assert (inter["demand"] == 0).mean() > 0.3
    zero_share = inter.groupby(KEY)["demand"].apply(lambda s: (s == 0).mean())
    assert zero_share.median() > 0.3


@pytest.mark.parametrize("horizon", [13, 8])
def test_related_covers_the_horizon(horizon: int) -> None:
    data = generate_retail(n_stores=4, n_depts=(10, 15), n_weeks=60, seed=1, horizon=horizon)
    tts, rts, fut = data.target, data.related, data.future
    last = tts["timestamp"].max()
    expected_end = last + pd.Timedelta(weeks=horizon)
    assert rts["timestamp"].max() == expected_end
    t_len = tts.groupby(KEY).size()
    r = rts.groupby(KEY)["timestamp"].agg(["max", "size"])
    assert (r["max"] == expected_end).all()
    assert (r["size"] == t_len.reindex(r.index) + horizon).all()
    assert set(r.index) == set(t_len.index)
    # the held-out truth covers exactly the horizon
    f = fut.groupby(KEY)["timestamp"].agg(["min", "max", "size"])
    assert (f["size"] == horizon).all()
    assert (f["min"] == last + pd.Timedelta(weeks=1)).all() and (f["max"] == expected_end).all()
    assert (fut["demand"] >= 0).all()


def test_options_and_validation() -> None:
    data = generate_retail(n_stores=3, n_depts=20, start="2015-01-01", n_weeks=30, seed=2,
                           n_new_depts=0)
    assert data.new_item_ids == ()
    assert data.target["timestamp"].min() == pd.Timestamp("2015-01-02")  # rolled to a Friday
    assert (data.target.groupby("store_id")["item_id"].nunique() == 20).all()
    with pytest.raises(ValueError):
        generate_retail(n_depts=(80, 60))
    with pytest.raises(ValueError):
        generate_weekly_panel(10, 20, n_depts=5, n_new_depts=5)


# ------------------------------------------------------------------ flattening, CSV files


def test_flatten_and_series_item_metadata(small: RetailData) -> None:
    meta = series_item_metadata(small)
    assert list(meta.columns) == ["item_id", "category", "store_type", "store_size"]
    n_series = small.target.groupby(KEY).ngroups
    assert meta["item_id"].is_unique and len(meta) == n_series
    row = meta.iloc[0]
    store_id, dept = row["item_id"].split("_dept_")
    assert row["category"] == small.item_metadata.set_index("item_id").loc[f"dept_{dept}",
                                                                            "category"]
    assert row["store_size"] == small.store_metadata.set_index("store_id").loc[store_id, "size"]

    flat = small.flatten()
    assert flat.flattened and flat.forecast_dimensions == []
    assert list(flat.target.columns) == ["item_id", "timestamp", "demand"]
    assert list(flat.related.columns) == ["item_id", "timestamp", "markdown", "is_holiday"]
    assert flat.target["item_id"].str.fullmatch(r"store_\d+_dept_\d+").all()
    assert flat.target["item_id"].nunique() == n_series
    assert set(flat.item_metadata["item_id"]) == set(flat.target["item_id"])
    np.testing.assert_array_equal(flat.target["demand"], small.target["demand"])
    assert flat.flatten() is flat


def test_write_retail_csvs(small: RetailData, tmp_path) -> None:
    out = write_retail_csvs(small, tmp_path / "csv")
    assert out.data_frequency == "W" and out.domain == "RETAIL"
    assert out.forecast_dimensions == ("store_id",)
    assert {p.name for p in out.paths.values()} == {"tts.csv", "rts.csv", "item_meta.csv"}
    assert out.schemas["TARGET_TIME_SERIES"] == {"Attributes": [
        {"AttributeName": "item_id", "AttributeType": "string"},
        {"AttributeName": "store_id", "AttributeType": "string"},
        {"AttributeName": "timestamp", "AttributeType": "timestamp"},
        {"AttributeName": "demand", "AttributeType": "float"},
    ]}
    assert out.schemas["RELATED_TIME_SERIES"] == {"Attributes": [
        {"AttributeName": "item_id", "AttributeType": "string"},
        {"AttributeName": "store_id", "AttributeType": "string"},
        {"AttributeName": "timestamp", "AttributeType": "timestamp"},
        {"AttributeName": "markdown", "AttributeType": "float"},
        {"AttributeName": "is_holiday", "AttributeType": "integer"},
    ]}
    assert out.schemas["ITEM_METADATA"] == {"Attributes": [
        {"AttributeName": "item_id", "AttributeType": "string"},
        {"AttributeName": "category", "AttributeType": "string"},
    ]}
    frames = {"TARGET_TIME_SERIES": small.target, "RELATED_TIME_SERIES": small.related,
              "ITEM_METADATA": small.item_metadata}
    for dataset_type, path in out.paths.items():
        schema = out.schemas[dataset_type]
        with path.open(newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            first = next(reader)
        assert header == [a["AttributeName"] for a in schema["Attributes"]]
        assert json.loads(path.with_suffix(".schema.json").read_text()) == schema
        back = pd.read_csv(path)
        assert len(back) == len(frames[dataset_type])
        if "timestamp" in header:
            assert first[header.index("timestamp")] == "2010-02-05"
    back = pd.read_csv(out.paths["TARGET_TIME_SERIES"], parse_dates=["timestamp"])
    np.testing.assert_allclose(back["demand"], small.target["demand"])

    flat = write_retail_csvs(small, tmp_path / "flat", flatten=True, write_schemas=False)
    assert flat.forecast_dimensions == ()
    names = [a["AttributeName"] for a in flat.schemas["ITEM_METADATA"]["Attributes"]]
    assert names == ["item_id", "category", "store_type", "store_size"]
    assert flat.schemas["ITEM_METADATA"]["Attributes"][3]["AttributeType"] == "integer"
    assert "store_id" not in pd.read_csv(flat.paths["TARGET_TIME_SERIES"], nrows=1).columns
    assert not (tmp_path / "flat" / "tts.schema.json").exists()


def test_amazon_schema_types() -> None:
    df = pd.DataFrame({
        "item_id": pd.Categorical(["a"]), "timestamp": pd.to_datetime(["2020-01-03"]),
        "x": [1.5], "n": np.array([1], dtype=np.int8), "s": ["z"],
    })
    types = [a["AttributeType"] for a in amazon_schema(df)["Attributes"]]
    assert types == ["string", "timestamp", "float", "integer", "string"]


# ------------------------------------------------------------------------------ fast path


def test_weekly_panel_fast_path_20k() -> None:
    n_series, n_weeks = 20_000, 150
    panel = generate_weekly_panel(n_series, n_weeks, seed=0, related=True, metadata=True,
                                  future=True)
    assert isinstance(panel, WeeklyPanel)
    tts = panel.target
    assert list(tts.columns) == ["item_id", "timestamp", "demand"]
    assert tts["item_id"].nunique() == n_series
    assert tts["timestamp"].nunique() == n_weeks
    assert (tts["demand"] >= 0).all() and tts["demand"].notna().all()
    lengths = tts.groupby("item_id", observed=True).size()
    assert lengths.max() == n_weeks
    short = lengths[lengths < n_weeks]  # the new departments
    assert len(short) > 0 and short.between(10, 30).all()
    assert len(short) < 0.1 * n_series
    assert str(tts["item_id"].iloc[0]) == "store_1_dept_1"

    rts = panel.related
    assert list(rts.columns) == ["item_id", "timestamp", "markdown", "is_holiday"]
    assert len(rts) == len(tts) + panel.horizon * n_series
    assert len(panel.future) == panel.horizon * n_series
    meta = panel.item_metadata
    assert list(meta.columns) == ["item_id", "category", "store_type", "store_size"]
    assert len(meta) == n_series and meta["item_id"].is_unique

    # promotions lift demand in the fast path too
    df = tts.merge(rts, on=["item_id", "timestamp"])
    df = df[df["demand"] > 0]
    df["log_demand"] = np.log(df["demand"])
    median = df.groupby("item_id", observed=True)["log_demand"].transform("median")
    df["excess"] = df["log_demand"] - median
    assert df.loc[df["markdown"] >= 0.2, "excess"].mean() > df.loc[df["markdown"] == 0,
                                                                   "excess"].mean() + 0.2


def test_weekly_panel_defaults_and_object_ids() -> None:
    panel = generate_weekly_panel(250, 20, seed=3, item_id_dtype="object", n_new_depts=0)
    assert panel.related is None and panel.item_metadata is None and panel.future is None
    assert panel.target["item_id"].dtype == object
    assert len(panel.target) == 250 * 20
    assert panel.target["item_id"].nunique() == 250
    assert panel.target["item_id"].str.fullmatch(r"store_\d+_dept_\d+").all()

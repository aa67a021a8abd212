import numpy as np
import pandas as pd
import polars as pl

import forecasthub


def _frame(n_items: int = 3, n_days: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    return pd.concat([pd.DataFrame({
        "sku": f"sku{i}", "day": days,
        "sales": 20 + 5 * np.sin(2 * np.pi * np.arange(n_days) / 7) + rng.normal(0, 1, n_days)})
        for i in range(n_items)])


def test_one_call_forecast_with_polars_input(tmp_path) -> None:
    df = pl.from_pandas(_frame())
    forecast, accuracy = forecasthub.forecast(df, horizon=7, frequency="D", item_id="sku",
                                              timestamp="day", target="sales", algorithm="ETS",
                                              home=tmp_path)
    assert list(forecast.columns) == ["item_id", "date", "p10", "p50", "p90", "mean"]
    assert len(forecast) == 3 * 7
    assert (forecast["p10"] <= forecast["p90"]).all()
    assert forecast["date"].min() == pd.Timestamp("2024-04-30")
    assert accuracy["algorithm"].iloc[0] == "ETS"
    assert 0 < accuracy["WAPE"].iloc[0] < 0.2  # a weekly sine is easy

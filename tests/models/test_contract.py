"""Contract test run over every registered model: fit, predict, columns, quantile order,
no NaN, save/load round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.models import (
    Forecaster,
    ModelContext,
    create_model,
    model_name_for_arn,
    model_names,
    supported_algorithm_arns,
)
from forecasthub.models.frames import check_forecast

HEALTHY = ["seasonal", "trend", "intermittent"]
# Small settings for models whose defaults train for long (deep nets on CPU).
FAST_PARAMS: dict[str, dict] = {
    "DeepAR": {"epochs": 2, "num_batches_per_epoch": 10, "num_samples": 50},
    "TFT": {"epochs": 2, "num_batches_per_epoch": 10, "hidden_dim": 16, "variable_dim": 8},
    "Prophet": {"uncertainty_samples": 200},
}


@pytest.fixture(scope="module")
def healthy(panel: pd.DataFrame) -> pd.DataFrame:
    return panel[panel["item_id"].isin(HEALTHY)].reset_index(drop=True)


@pytest.mark.parametrize("name", model_names())
def test_model_contract(name: str, healthy: pd.DataFrame, ctx: ModelContext,
                        tmp_path: Path) -> None:
    model = create_model(name, **FAST_PARAMS.get(name, {}))
    fitted = model.fit(healthy, ctx)
    fcst = fitted.predict()
    check_forecast(fcst, ctx.quantiles, ctx.horizon)
    assert sorted(fcst["item_id"].unique()) == sorted(HEALTHY)
    first = fcst.groupby("item_id")["timestamp"].min()
    assert (first == pd.Timestamp("2024-07-01")).all()
    q = fcst[["p10", "p50", "p90"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()
    assert (fcst[["mean", "p10", "p50", "p90"]] >= 0).all().all()  # non-negative history

    fitted.save(tmp_path / "model.pkl")
    loaded = Forecaster.load(tmp_path / "model.pkl")
    pd.testing.assert_frame_equal(loaded.predict(), fcst)
    subset = loaded.predict(items=["trend"])
    pd.testing.assert_frame_equal(subset, fcst[fcst.item_id == "trend"].reset_index(drop=True))


def test_predict_before_fit_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="fitted"):
        create_model("SeasonalNaive").predict()


def test_unknown_item_is_named(healthy: pd.DataFrame, ctx: ModelContext) -> None:
    model = create_model("SeasonalNaive").fit(healthy, ctx)
    with pytest.raises(ModelError, match="nope"):
        model.predict(items=["nope"])


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(InvalidInputError, match="SeasonalNaive"):
        create_model("Prophet2")


def test_algorithm_arns() -> None:
    assert model_name_for_arn("arn:aws:forecast:::algorithm/ETS") == "ETS"
    assert model_name_for_arn("arn:aws:forecast:::algorithm/NPTS") == "NPTS"
    assert "arn:aws:forecast:::algorithm/ARIMA" in supported_algorithm_arns()
    for missing in ("CNN-QR", "Nope"):
        with pytest.raises(InvalidInputError, match="algorithm/ETS"):
            model_name_for_arn(f"arn:aws:forecast:::algorithm/{missing}")
    # Prophet: the model when its extra is installed, else an error naming the extra
    if "Prophet" in model_names():
        assert model_name_for_arn("arn:aws:forecast:::algorithm/Prophet") == "Prophet"
    else:
        with pytest.raises(InvalidInputError, match="prophet"):
            model_name_for_arn("arn:aws:forecast:::algorithm/Prophet")


def test_load_rejects_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "x.pkl"
    path.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        Forecaster.load(path)

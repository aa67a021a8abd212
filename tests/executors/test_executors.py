"""Executors: sharded local-model fits give exactly the in-process forecasts (process pool and a
real two-node Ray cluster), and the default stays in-process."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasthub.automl.config import AutoMLConfig
from forecasthub.automl.run import run_automl
from forecasthub.data.synthetic import generate_weekly_panel
from forecasthub.executors import get_executor, reset_executor, split_items
from forecasthub.executors.local import InProcessExecutor, ProcessExecutor
from forecasthub.executors.sharding import shardable
from forecasthub.models.base import ModelContext
from forecasthub.models.registry import create_model
from forecasthub.settings import get_settings

CANDIDATES = ["ETS", "Theta", "SeasonalNaive"]


def _panel(n: int = 12, weeks: int = 60) -> pd.DataFrame:
    train = generate_weekly_panel(n, weeks, seed=3, item_id_dtype="object").target
    train = train.rename(columns={"demand": "target"}).astype({"target": float})
    short = train[train["item_id"] == train["item_id"].iloc[0]].tail(3).assign(item_id="short")
    zero = train[train["item_id"] == train["item_id"].iloc[0]].assign(item_id="zero", target=0.0)
    return (pd.concat([train, short, zero], ignore_index=True)
            .sort_values(["item_id", "timestamp"]).reset_index(drop=True))


CTX = ModelContext(freq="W-FRI", season_length=52, horizon=4)


def _automl(train: pd.DataFrame, candidates: list[str] = CANDIDATES):  # type: ignore[no-untyped-def]
    return run_automl(train, CTX, config=AutoMLConfig(candidates=candidates, n_windows=2))


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    pd.testing.assert_frame_equal(a.forecast, b.forecast, check_exact=True)
    pd.testing.assert_frame_equal(a.backtest_forecasts, b.backtest_forecasts, check_exact=True)
    assert a.weights == b.weights
    assert [r.to_dict() for r in a.fallbacks] == [r.to_dict() for r in b.fallbacks]


@pytest.fixture
def executor_env(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for var in ("FORECASTHUB_EXECUTOR", "FORECASTHUB_EXECUTOR_WORKERS",
                "FORECASTHUB_EXECUTOR_SHARDS", "FORECASTHUB_EXECUTOR_MIN_SHARD_SERIES"):
        monkeypatch.delenv(var, raising=False)
    reset_executor()
    yield monkeypatch
    reset_executor()


@pytest.fixture
def sharded(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records whether each local-model fit went through the executor (True) or not."""
    from forecasthub.executors import sharding

    calls: list[bool] = []
    real = sharding.fit_primary_sharded

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(sharding, "fit_primary_sharded", spy)
    return calls


def test_split_items_keeps_order_and_covers_all() -> None:
    items = pd.Index([f"i{k:02d}" for k in range(10)])
    chunks = split_items(items, 3)
    assert [len(c) for c in chunks] == [3, 3, 4]
    assert list(pd.Index([]).append(chunks)) == list(items)
    assert len(split_items(items[:2], 5)) == 2


def test_shardable_models() -> None:
    assert shardable(create_model("ETS")) and shardable(create_model("Theta"))
    assert not shardable(create_model("LightGBM"))  # global: one model over all series
    assert not shardable(create_model("SeasonalNaive"))  # vectorised: cheaper whole
    assert not shardable(create_model("NPTS"))  # one RNG over the panel


def test_default_is_in_process(executor_env) -> None:  # type: ignore[no-untyped-def]
    settings = get_settings()
    assert settings.executor == "local" and settings.executor_workers == 1
    assert isinstance(get_executor(settings), InProcessExecutor)


def test_in_process_shards_equal_whole_fit(executor_env, sharded) -> None:  # type: ignore[no-untyped-def]
    train = _panel()
    whole = _automl(train)
    assert sharded and not any(sharded)  # default: never through an executor
    executor_env.setenv("FORECASTHUB_EXECUTOR_SHARDS", "3")
    executor_env.setenv("FORECASTHUB_EXECUTOR_MIN_SHARD_SERIES", "1")
    _same(_automl(train), whole)
    assert any(sharded)


def test_process_pool_equals_in_process(executor_env, sharded) -> None:  # type: ignore[no-untyped-def]
    train = _panel()
    whole = _automl(train)
    executor_env.setenv("FORECASTHUB_EXECUTOR_WORKERS", "2")
    executor_env.setenv("FORECASTHUB_EXECUTOR_MIN_SHARD_SERIES", "1")
    assert isinstance(get_executor(), ProcessExecutor)
    _same(_automl(train), whole)
    assert any(sharded)


def test_unknown_executor_is_rejected(executor_env) -> None:  # type: ignore[no-untyped-def]
    from forecasthub.errors import InvalidInputError

    executor_env.setenv("FORECASTHUB_EXECUTOR", "spark")
    with pytest.raises(InvalidInputError, match="local or ray"):
        get_executor()


def test_ray_automl_equals_local(ray_cluster, executor_env, sharded) -> None:  # type: ignore[no-untyped-def]
    train = _panel(n=16)
    candidates = [*CANDIDATES, "LightGBM"]
    whole = _automl(train, candidates)
    executor_env.setenv("FORECASTHUB_EXECUTOR", "ray")
    executor_env.setenv("RAY_ADDRESS", ray_cluster)
    executor_env.setenv("FORECASTHUB_EXECUTOR_MIN_SHARD_SERIES", "1")
    executor = get_executor()
    assert executor.name == "ray" and executor.n_workers == 2  # both nodes' CPUs
    _same(_automl(train, candidates), whole)
    assert any(sharded)


@pytest.mark.slow
def test_ray_predictor_through_service_equals_local(ray_cluster, executor_env, fh,
                                                    tmp_path) -> None:  # type: ignore[no-untyped-def]
    """CreatePredictor (single ETS) + CreateForecast through the client, local then ray."""
    csv = tmp_path / "tts.csv"
    _panel(n=10).rename(columns={"target": "demand"}).to_csv(csv, index=False,
                                                              date_format="%Y-%m-%d")
    schema = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                             {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                             {"AttributeName": "demand", "AttributeType": "float"}]}
    group = fh.create_dataset_group(DatasetGroupName="g", Domain="RETAIL")["DatasetGroupArn"]
    ds = fh.create_dataset(DatasetName="d", Domain="RETAIL", DatasetType="TARGET_TIME_SERIES",
                           DataFrequency="W", Schema=schema)["DatasetArn"]
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[ds])
    fh.create_dataset_import_job(DatasetImportJobName="i", DatasetArn=ds,
                                 DataSource={"S3Config": {"Path": str(csv)}},
                                 TimestampFormat="yyyy-MM-dd", wait=True)

    def forecast(tag: str) -> pd.DataFrame:
        predictor = fh.create_predictor(
            PredictorName=f"p_{tag}", AlgorithmArn="arn:aws:forecast:::algorithm/ETS",
            ForecastHorizon=4, FeaturizationConfig={"ForecastFrequency": "W"},
            InputDataConfig={"DatasetGroupArn": group}, wait=True)["PredictorArn"]
        assert fh.describe_predictor(PredictorArn=predictor)["Status"] == "ACTIVE"
        arn = fh.create_forecast(ForecastName=f"f_{tag}", PredictorArn=predictor,
                                 wait=True)["ForecastArn"]
        assert fh.describe_forecast(ForecastArn=arn)["Status"] == "ACTIVE"
        out = tmp_path / f"export_{tag}"
        fh.create_forecast_export_job(ForecastExportJobName=f"e_{tag}", ForecastArn=arn,
                                      Destination={"S3Config": {"Path": str(out)}}, wait=True)
        files = sorted(out.rglob("*.csv"))
        assert files
        return (pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
                .sort_values(["item_id", "date"]).reset_index(drop=True))

    local = forecast("local")
    executor_env.setenv("FORECASTHUB_EXECUTOR", "ray")
    executor_env.setenv("RAY_ADDRESS", ray_cluster)
    executor_env.setenv("FORECASTHUB_EXECUTOR_MIN_SHARD_SERIES", "1")
    pd.testing.assert_frame_equal(forecast("ray"), local, check_exact=True)

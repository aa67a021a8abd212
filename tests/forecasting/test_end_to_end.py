"""Import -> AutoML predictor -> accuracy -> forecast -> query -> exports, on small retail data
with related series (markdowns), item metadata and a store dimension."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from forecasthub.errors import InvalidInputError, NotFoundError, ResourceInUseError


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory):
    from forecasthub.data.synthetic import generate_retail, write_retail_csvs

    folder = tmp_path_factory.mktemp("retail")
    data = generate_retail(n_stores=2, n_depts=(4, 5), n_weeks=104, horizon=8, seed=3, n_new_depts=1)
    return write_retail_csvs(data, folder)


def _group(fh, files) -> str:
    group = fh.create_dataset_group(DatasetGroupName="shop", Domain="RETAIL")["DatasetGroupArn"]
    arns = []
    for dataset_type, short in (("TARGET_TIME_SERIES", "tts"), ("RELATED_TIME_SERIES", "rts"),
                                ("ITEM_METADATA", "im")):
        arn = fh.create_dataset(DatasetName=f"shop_{short}", Domain="RETAIL", DatasetType=dataset_type,
                                DataFrequency=None if short == "im" else "W",
                                Schema=files.schemas[dataset_type])["DatasetArn"]
        job = fh.create_dataset_import_job(
            DatasetImportJobName="first", DatasetArn=arn, TimestampFormat="yyyy-MM-dd",
            DataSource={"S3Config": {"Path": str(files.paths[dataset_type])}}, wait=True)
        desc = fh.describe_dataset_import_job(DatasetImportJobArn=job["DatasetImportJobArn"])
        assert desc["Status"] == "ACTIVE", desc.get("Message")
        arns.append(arn)
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=arns)
    return group


def test_retail_flow(fh, retail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS", f"{tmp_path},{retail.paths['ITEM_METADATA'].parent}")
    fh.hub.settings.import_roots = [str(tmp_path), str(Path(retail.paths["ITEM_METADATA"]).parent)]
    group = _group(fh, retail)
    request = {"PredictorName": "p", "ForecastHorizon": 8, "ForecastFrequency": "W",
               "ForecastDimensions": ["store_id"], "ForecastTypes": ["0.1", "0.5", "0.9", "mean"],
               "DataConfig": {"DatasetGroupArn": group,
                              "AdditionalDatasets": [{"Name": "holiday",
                                                      "Configuration": {"CountryCode": ["US"]}}],
                              "AttributeConfigs": [{"AttributeName": "demand",
                                                    "Transformations": {"middlefill": "zero"}}]}}
    predictor = fh.create_auto_predictor(**request, wait=True)["PredictorArn"]
    described = fh.describe_auto_predictor(PredictorArn=predictor)
    assert described["Status"] == "ACTIVE", described.get("Message")
    assert described["ForecastDimensions"] == ["store_id"]

    metrics = fh.get_accuracy_metrics(PredictorArn=predictor)
    first = metrics["PredictorEvaluationResults"][0]
    windows = first["TestWindows"]
    assert windows[0]["EvaluationType"] == "SUMMARY"
    assert all(w["EvaluationType"] == "COMPUTED" for w in windows[1:]) and len(windows) >= 2
    summary = windows[0]["Metrics"]
    assert 0 <= summary["AverageWeightedQuantileLoss"] < 1
    assert [q["Quantile"] for q in summary["WeightedQuantileLosses"]] == [0.9, 0.5, 0.1]
    assert set(summary["ErrorMetrics"][0]) >= {"ForecastType", "WAPE", "RMSE", "MASE", "MAPE"}

    forecast = fh.create_forecast(ForecastName="f", PredictorArn=predictor, wait=True)["ForecastArn"]
    assert fh.describe_forecast(ForecastArn=forecast)["Status"] == "ACTIVE"
    answer = fh.query_forecast(ForecastArn=forecast, Filters={"item_id": "dept_1", "store_id": "store_1"})
    predictions = answer["Forecast"]["Predictions"]
    assert set(predictions) == {"p10", "p50", "p90", "mean"}
    assert len(predictions["p50"]) == 8
    for lo, mid, hi in zip(predictions["p10"], predictions["p50"], predictions["p90"], strict=True):
        assert lo["Value"] <= mid["Value"] <= hi["Value"]
    with pytest.raises(InvalidInputError, match="select"):
        fh.query_forecast(ForecastArn=forecast, Filters={"item_id": "dept_1"})
    with pytest.raises(NotFoundError):
        fh.query_forecast(ForecastArn=forecast, Filters={"item_id": "nope", "store_id": "store_1"})

    out = tmp_path / "export"
    job = fh.create_forecast_export_job(ForecastExportJobName="e", ForecastArn=forecast,
                                        Destination={"S3Config": {"Path": str(out)}}, wait=True)
    assert fh.describe_forecast_export_job(
        ForecastExportJobArn=job["ForecastExportJobArn"])["Status"] == "ACTIVE"
    parts = sorted(out.glob("e_*_part0.csv"))
    assert len(parts) == 1
    exported = pl.read_csv(parts[0])
    assert exported.columns == ["item_id", "store_id", "date", "p10", "p50", "p90", "mean"]
    assert exported["date"][0].endswith("Z")

    bt = fh.create_predictor_backtest_export_job(
        PredictorBacktestExportJobName="b", PredictorArn=predictor,
        Destination={"S3Config": {"Path": str(tmp_path / "bt")}}, Format="PARQUET", wait=True)
    assert fh.describe_predictor_backtest_export_job(
        PredictorBacktestExportJobArn=bt["PredictorBacktestExportJobArn"])["Status"] == "ACTIVE"
    values = pl.read_parquet(next((tmp_path / "bt" / "forecasted-values").glob("*.parquet")))
    assert {"item_id", "store_id", "timestamp", "target_value", "backtestwindow_start_time",
            "p10", "p50", "p90", "mean"} <= set(values.columns)
    accuracy = pl.read_parquet(next((tmp_path / "bt" / "accuracy-metrics-values").glob("*.parquet")))
    assert {"item_id", "store_id", "backtest_window", "wQL[0.1]", "Average wQL", "WAPE"} <= set(accuracy.columns)

    with pytest.raises(ResourceInUseError):  # children first
        fh.delete_predictor(PredictorArn=predictor)
    fh.delete_forecast_export_job(ForecastExportJobArn=job["ForecastExportJobArn"])
    fh.delete_forecast(ForecastArn=forecast)
    fh.delete_predictor_backtest_export_job(PredictorBacktestExportJobArn=bt["PredictorBacktestExportJobArn"])
    fh.delete_predictor(PredictorArn=predictor)
    assert parts[0].exists()  # exports outlive their jobs


def test_validation_before_training(fh, retail, tmp_path: Path) -> None:
    fh.hub.settings.import_roots = [str(tmp_path), str(Path(retail.paths["ITEM_METADATA"]).parent)]
    group = _group(fh, retail)
    base = {"PredictorName": "p", "ForecastFrequency": "W", "ForecastDimensions": ["store_id"],
            "DataConfig": {"DatasetGroupArn": group}}
    with pytest.raises(InvalidInputError, match="too long"):
        fh.create_auto_predictor(**{**base, "ForecastHorizon": 60})
    with pytest.raises(InvalidInputError, match="finer"):
        fh.create_auto_predictor(**{**base, "ForecastHorizon": 4, "ForecastFrequency": "D"})
    with pytest.raises(InvalidInputError, match="CountryCode"):
        fh.create_auto_predictor(**{**base, "ForecastHorizon": 4, "DataConfig": {
            "DatasetGroupArn": group, "AdditionalDatasets": [{"Name": "holiday",
                                                              "Configuration": {"CountryCode": ["XX"]}}]}})
    with pytest.raises(InvalidInputError, match="out of range|not a quantile"):
        fh.create_auto_predictor(**{**base, "ForecastHorizon": 4, "ForecastTypes": ["1.5"]})
    with pytest.raises(InvalidInputError, match="ForecastDimensions"):
        fh.create_auto_predictor(**{**base, "ForecastHorizon": 4, "ForecastDimensions": ["color"]})
    with pytest.raises(InvalidInputError, match="futurefill"):
        fh.create_auto_predictor(**{**base, "ForecastHorizon": 4, "DataConfig": {
            "DatasetGroupArn": group, "AttributeConfigs": [
                {"AttributeName": "demand", "Transformations": {"futurefill": "zero"}}]}})
    assert fh.list_predictors()["Predictors"] == []

"""The one-call path for notebooks: a long frame in, forecasts and an accuracy table out.

    >>> import forecasthub
    >>> forecast, accuracy = forecasthub.forecast(df, horizon=14, frequency="D")

``df`` is pandas or polars, long format: an item id column, a timestamp column, a target column
and optionally dimension columns (``dimensions=["store_id"]``). Under the hood this is the same
import -> AutoML predictor -> forecast path as the service, in a temporary (or given) home.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from forecasthub.errors import ForecastHubError, InvalidInputError


def forecast(
    df: Any,
    *,
    horizon: int,
    frequency: str,
    item_id: str = "item_id",
    timestamp: str = "timestamp",
    target: str = "target_value",
    dimensions: list[str] | None = None,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    holidays_country: str | None = None,
    algorithm: str | None = None,
    home: str | Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast every series of ``df``; returns (forecast frame, accuracy table).

    The forecast frame has the key columns, ``date``, ``mean`` and ``p10``/``p50``/``p90``
    (one column per quantile); the accuracy table has one row per algorithm (the chosen predictor
    first) with its backtest average wQL, WAPE, RMSE, MAPE and MASE.
    """
    from forecasthub.client import Client
    from forecasthub.columns import forecast_type_column

    frame = df.to_pandas() if hasattr(df, "to_pandas") else pd.DataFrame(df)
    dimensions = list(dimensions or [])
    missing = [c for c in (item_id, timestamp, target, *dimensions) if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"the frame has no column(s) {missing}; it has {list(frame.columns)}")
    workdir = Path(home) if home else Path(tempfile.mkdtemp(prefix="forecasthub-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / f"input-{uuid.uuid4().hex[:8]}.parquet"
    columns = [item_id, *dimensions, timestamp, target]
    out = frame[columns].rename(columns={item_id: "item_id", timestamp: "timestamp",
                                         target: "target_value"})
    out["item_id"] = out["item_id"].astype(str)
    for d in dimensions:
        out[d] = out[d].astype(str)
    out["timestamp"] = pd.to_datetime(out["timestamp"])
    out["target_value"] = pd.to_numeric(out["target_value"], errors="raise").astype(float)
    out.to_parquet(data, index=False)
    fh = Client(home=workdir / "home", import_roots=[str(workdir)])
    name = f"quick_{uuid.uuid4().hex[:8]}"
    schema = {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                             *({"AttributeName": d, "AttributeType": "string"} for d in dimensions),
                             {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                             {"AttributeName": "target_value", "AttributeType": "float"}]}
    group = fh.create_dataset_group(DatasetGroupName=name, Domain="CUSTOM")["DatasetGroupArn"]
    dataset = fh.create_dataset(DatasetName=name, Domain="CUSTOM", DatasetType="TARGET_TIME_SERIES",
                                Schema=schema)["DatasetArn"]
    fh.update_dataset_group(DatasetGroupArn=group, DatasetArns=[dataset])
    _ok(fh, fh.create_dataset_import_job(DatasetImportJobName="data", DatasetArn=dataset,
                                         DataSource={"S3Config": {"Path": str(data)}},
                                         Format="PARQUET", wait=True), "DatasetImportJob")
    types = [f"{q:g}" for q in quantiles] + ["mean"]
    if algorithm:
        request = {"PredictorName": name, "ForecastHorizon": horizon, "ForecastTypes": types,
                   "AlgorithmArn": f"arn:aws:forecast:::algorithm/{algorithm}",
                   "InputDataConfig": {"DatasetGroupArn": group, **(
                       {"SupplementaryFeatures": [{"Name": "holiday", "Value": holidays_country}]}
                       if holidays_country else {})},
                   "FeaturizationConfig": {"ForecastFrequency": frequency,
                                           **({"ForecastDimensions": dimensions} if dimensions else {})}}
        predictor = fh.create_predictor(**request, wait=True)
    else:
        request = {"PredictorName": name, "ForecastHorizon": horizon, "ForecastFrequency": frequency,
                   "ForecastTypes": types, "DataConfig": {"DatasetGroupArn": group, **(
                       {"AdditionalDatasets": [{"Name": "holiday", "Configuration": {
                           "CountryCode": [holidays_country]}}]} if holidays_country else {})},
                   **({"ForecastDimensions": dimensions} if dimensions else {})}
        predictor = fh.create_auto_predictor(**request, wait=True)
    _ok(fh, predictor, "Predictor")
    created = fh.create_forecast(ForecastName=name, PredictorArn=predictor["PredictorArn"], wait=True)
    _ok(fh, created, "Forecast")
    from forecasthub.services.forecasts import get_forecast
    from forecasthub.storage.layout import FORECAST_FILE

    with fh.hub.db.session() as s:
        key = get_forecast(s, created["ForecastArn"]).artifact_key
    result = fh.hub.store.scan_parquet(f"{key}/{FORECAST_FILE}").collect().to_pandas()
    keep = [c for c in result.columns if c in ("item_id", *dimensions, "date")]
    result = result[keep + [forecast_type_column(t) for t in types]]
    rows = []
    for entry in fh.get_accuracy_metrics(PredictorArn=predictor["PredictorArn"])["PredictorEvaluationResults"]:
        m = entry["TestWindows"][0]["Metrics"]
        rows.append({"algorithm": entry["AlgorithmArn"].rsplit("/", 1)[-1],
                     "AverageWeightedQuantileLoss": m["AverageWeightedQuantileLoss"],
                     **{k: v for k, v in m["ErrorMetrics"][0].items() if k != "ForecastType"}})
    fh.close()
    return result, pd.DataFrame(rows)


def _ok(fh: Any, created: dict[str, Any], kind: str) -> None:
    arn_key = next(k for k in created if k.endswith("Arn"))
    describe = {"DatasetImportJob": fh.describe_dataset_import_job,
                "Predictor": fh.describe_predictor, "Forecast": fh.describe_forecast}[kind]
    desc = describe(**{arn_key: created[arn_key]})
    if desc["Status"] != "ACTIVE":
        raise ForecastHubError(f"{kind} failed: {desc.get('Message', desc['Status'])}")

"""`forecasthub demo`: generated retail data through the whole flow on the embedded default."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from forecasthub.client import Client

console = Console()
GROUP = "retail_demo"


def _step(title: str) -> float:
    console.print(f"[bold cyan]>[/bold cyan] {title}")
    return time.monotonic()


def _done(started: float, detail: str = "") -> None:
    console.print(f"  done in {time.monotonic() - started:.1f}s {detail}")


def run_demo(out: Path, n_stores: int = 45, horizon: int = 13) -> dict[str, Any]:
    from forecasthub.cli.main import progress_printer
    from forecasthub.data.synthetic import generate_retail, write_retail_csvs

    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    fh = Client(import_roots=[str(out), str(Path.cwd())])
    t = _step(f"generating weekly department sales for {n_stores} stores")
    data = generate_retail(n_stores=n_stores, horizon=horizon, seed=0)
    files = write_retail_csvs(data, out / "data")
    _done(t, f"({data.target.shape[0]:,} target rows, "
             f"{data.target.groupby(['item_id', 'store_id']).ngroups:,} series) -> {out / 'data'}")

    run_id = time.strftime("%Y%m%d_%H%M%S")
    group = f"{GROUP}_{run_id}"
    arns = []
    group_arn = fh.create_dataset_group(DatasetGroupName=group, Domain="RETAIL")["DatasetGroupArn"]
    for dataset_type, short in (("TARGET_TIME_SERIES", "tts"), ("RELATED_TIME_SERIES", "rts"),
                                ("ITEM_METADATA", "im")):
        arns.append(fh.create_dataset(
            DatasetName=f"{group}_{short}", Domain="RETAIL", DatasetType=dataset_type,
            DataFrequency=None if dataset_type == "ITEM_METADATA" else "W",
            Schema=files.schemas[dataset_type])["DatasetArn"])
    fh.update_dataset_group(DatasetGroupArn=group_arn, DatasetArns=arns)
    for arn, dataset_type in zip(arns, files.schemas, strict=True):
        t = _step(f"importing {Path(files.paths[dataset_type]).name}")
        job = _run(fh, "CreateDatasetImportJob", {
            "DatasetImportJobName": "initial", "DatasetArn": arn,
            "DataSource": {"S3Config": {"Path": str(files.paths[dataset_type])}},
            "TimestampFormat": "yyyy-MM-dd"}, progress_printer)
        desc = fh.describe_dataset_import_job(DatasetImportJobArn=job["DatasetImportJobArn"])
        _check(desc)
        _done(t)
        _print_stats(desc)
    predictor = _train_and_forecast(fh, group_arn, group, horizon, out, progress_printer)
    return predictor


def _run(fh: Client, op: str, req: dict[str, Any], progress_printer: Any) -> dict[str, Any]:
    on_progress, stop = progress_printer()
    try:
        return fh.call(op, req, wait=True, on_progress=on_progress)
    finally:
        stop()


def _check(desc: dict[str, Any]) -> None:
    if desc["Status"] != "ACTIVE":
        from forecasthub.errors import ForecastHubError

        raise ForecastHubError(desc.get("Message", desc["Status"]))


def _print_stats(desc: dict[str, Any]) -> None:
    table = Table("field", "count", "distinct", "nulls", "min", "max", "avg", box=None)
    for name, st in desc.get("FieldStatistics", {}).items():
        avg = st.get("Avg")
        table.add_row(name, str(st.get("Count")), str(st.get("CountDistinct")),
                      str(st.get("CountNull")), str(st.get("Min", "")), str(st.get("Max", "")),
                      "" if avg is None else f"{avg:.2f}")
    console.print(table)


def _train_and_forecast(fh: Client, group_arn: str, group: str, horizon: int, out: Path,
                        progress_printer: Any) -> dict[str, Any]:
    from forecasthub.services.operations import OPERATIONS

    if "CreateAutoPredictor" not in OPERATIONS:
        console.print("predictors are not available in this build; stopping after the import")
        return {}
    t = _step(f"training an AutoML predictor (horizon {horizon} weeks, backtests, ensemble)")
    predictor = _run(fh, "CreateAutoPredictor", {
        "PredictorName": f"{group}_predictor", "ForecastHorizon": horizon, "ForecastFrequency": "W",
        "ForecastDimensions": ["store_id"],
        "DataConfig": {"DatasetGroupArn": group_arn,
                       "AdditionalDatasets": [{"Name": "holiday",
                                               "Configuration": {"CountryCode": ["US"]}}]},
    }, progress_printer)
    arn = predictor["PredictorArn"]
    _check(fh.describe_auto_predictor(PredictorArn=arn))
    _done(t)
    _print_accuracy(fh.get_accuracy_metrics(PredictorArn=arn))
    t = _step("forecasting every series")
    forecast = _run(fh, "CreateForecast", {"ForecastName": f"{group}_forecast",
                                           "PredictorArn": arn}, progress_printer)
    _check(fh.describe_forecast(ForecastArn=forecast["ForecastArn"]))
    _done(t)
    t = _step("exporting the forecast")
    export = _run(fh, "CreateForecastExportJob", {
        "ForecastExportJobName": "demo_export", "ForecastArn": forecast["ForecastArn"],
        "Destination": {"S3Config": {"Path": str(out / "forecasts")}}, "Format": "CSV"},
        progress_printer)
    _check(fh.describe_forecast_export_job(ForecastExportJobArn=export["ForecastExportJobArn"]))
    _done(t, f"-> {out / 'forecasts'}")
    import polars as pl

    first = pl.read_csv(sorted((out / "forecasts").glob("demo_export_*_part0.csv"))[-1], n_rows=1)
    item, store = first["item_id"][0], first["store_id"][0]
    sample = fh.query_forecast(ForecastArn=forecast["ForecastArn"],
                               Filters={"item_id": item, "store_id": store})
    p50 = sample["Forecast"]["Predictions"]["p50"][:4]
    console.print(f"QueryForecast {item} @ {store}, first weeks p50: "
                  + ", ".join(f"{p['Timestamp'][:10]}={p['Value']:.0f}" for p in p50))
    console.print(f"[bold green]demo complete[/bold green]: data, forecasts under {out}")
    return {"PredictorArn": arn, "ForecastArn": forecast["ForecastArn"]}


def _print_accuracy(metrics: dict[str, Any]) -> None:
    table = Table("algorithm", "avg wQL", "WAPE", "RMSE", "MASE", box=None)
    for result in metrics["PredictorEvaluationResults"]:
        summary = result["TestWindows"][0]["Metrics"]
        errors = summary["ErrorMetrics"][0]
        table.add_row(result["AlgorithmArn"].rsplit("/", 1)[-1],
                      f"{summary['AverageWeightedQuantileLoss']:.4f}", f"{errors['WAPE']:.4f}",
                      f"{errors['RMSE']:.2f}", f"{errors['MASE']:.3f}")
    console.print(table)

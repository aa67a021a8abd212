"""`forecasthub sagemaker ...`: SageMaker DeepAR's JSON Lines datasets and batch transform.

    forecasthub sagemaker import FILE_OR_DIR --dataset-group G --frequency H [--mapping m.json]
    forecasthub sagemaker export --dataset-group G --prediction-length 24 --out DIR [--validation]
    forecasthub sagemaker batch-transform --predictor P --input in.jsonl --output out.jsonl \
        [--config '{"num_samples": 100, "output_types": ["mean", "quantiles"]}']
"""

from __future__ import annotations

import click

from forecasthub.errors import ForecastHubError


def register(cli: click.Group) -> None:
    from forecasthub.cli.main import client, exit_with_error, print_json

    @cli.group("sagemaker")
    def sagemaker() -> None:
        """SageMaker DeepAR formats: JSON Lines import/export and batch transform."""

    @sagemaker.command("import")
    @click.argument("path")
    @click.option("--dataset-group", required=True, help="Dataset group name (created if missing).")
    @click.option("--frequency", help="Y, M, W, D, H, 30min ... (default: the mapping's).")
    @click.option("--item-id-field", help="Field holding the item id (default: id or item_id "
                  "when present, else the mapping's items, else ts_<n>).")
    @click.option("--mapping", "mapping_path", type=click.Path(dir_okay=False),
                  help="mapping.json from `sagemaker export`: cat codes back to values, "
                       "item ids, feature names.")
    @click.option("--domain", default="CUSTOM", show_default=True,
                  help="Domain of a new dataset group.")
    @click.option("--import-mode", default="FULL", type=click.Choice(["FULL", "INCREMENTAL"]))
    def import_(path: str, dataset_group: str, frequency: str | None, item_id_field: str | None,
                mapping_path: str | None, domain: str, import_mode: str) -> None:
        """Import DeepAR JSON Lines (a file or folder, optionally gzip) into a dataset group."""
        from forecasthub.sagemaker.convert import import_jsonlines

        try:
            print_json(import_jsonlines(client(), path.removeprefix("file://"), dataset_group,
                                        frequency, item_id_field=item_id_field,
                                        mapping=mapping_path, domain=domain,
                                        import_mode=import_mode))
        except ForecastHubError as exc:
            exit_with_error(exc)

    @sagemaker.command("export")
    @click.option("--dataset-group", required=True, help="Dataset group name or ARN.")
    @click.option("--prediction-length", required=True, type=click.IntRange(min=1),
                  help="DeepAR's prediction_length: points held out of train.json.")
    @click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
                  help="Folder for train.json, test.json (validation.json), mapping.json.")
    @click.option("--validation", is_flag=True,
                  help="Also write validation.json (train then holds out 2 x prediction_length).")
    @click.option("--id-field", help="Also write each series' item id in this field.")
    def export(dataset_group: str, prediction_length: int, out_dir: str, validation: bool,
               id_field: str | None) -> None:
        """Export a dataset group as DeepAR train/test(/validation) JSON Lines channels."""
        from forecasthub.sagemaker.convert import export_jsonlines

        try:
            print_json(export_jsonlines(client().hub, dataset_group, prediction_length, out_dir,
                                        validation=validation, id_field=id_field))
        except ForecastHubError as exc:
            exit_with_error(exc)

    @sagemaker.command("batch-transform")
    @click.option("--predictor", required=True, help="Predictor name or ARN.")
    @click.option("--input", "input_path", required=True, help="JSON Lines instances (or .gz).")
    @click.option("--output", "output_path", required=True,
                  help="JSON Lines predictions (one line per input line; .gz to compress).")
    @click.option("--config", "config", envvar="DEEPAR_INFERENCE_CONFIG",
                  help='{"num_samples": 100, "output_types": ["mean", "quantiles", "samples"], '
                       '"quantiles": ["0.1", "0.5", "0.9"]} (default: $DEEPAR_INFERENCE_CONFIG, '
                       "else SageMaker's batch defaults)")
    def batch_transform(predictor: str, input_path: str, output_path: str,
                        config: str | None) -> None:
        """Forecast every instance of a JSON Lines file, as SageMaker's batch transform does."""
        from forecasthub.sagemaker.inference import InferenceConfig
        from forecasthub.sagemaker.inference import batch_transform as run

        try:
            parsed = InferenceConfig.parse(config, "--config") if config else InferenceConfig()
            print_json(run(client().hub, predictor, input_path.removeprefix("file://"),
                           output_path.removeprefix("file://"), parsed))
        except ForecastHubError as exc:
            exit_with_error(exc)

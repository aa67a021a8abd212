"""Commands for results and automation: `sql`, `model-versions ...`, `watch`, `runs`,
`retrain`.

Registered on the main group by ``register(cli)`` (see cli/main.py).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from forecasthub.errors import ForecastHubError


def register(cli: click.Group) -> None:
    from forecasthub.cli.main import client, exit_with_error, print_json

    @cli.command("sql")
    @click.argument("query", required=False)
    @click.option("-f", "--format", "fmt", default="table", show_default=True,
                  type=click.Choice(["table", "csv", "json"]))
    @click.option("--max-rows", default=10_000, show_default=True, type=click.IntRange(1, 1_000_000),
                  help="Return at most this many rows (the output says when more were left out).")
    @click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.01, 3600),
                  help="Interrupt the query after this many seconds.")
    @click.option("--tables", is_flag=True, help="List the catalog's tables instead.")
    @click.option("--write-catalog", is_flag=True,
                  help="Save the views to <home>/catalog.duckdb for the DuckDB CLI or a BI tool.")
    def sql(query: str | None, fmt: str, max_rows: int, timeout: float, tables: bool,
            write_catalog: bool) -> None:
        """Read-only SQL (DuckDB) over histories, forecasts, accuracy and backtests.

        One SELECT or WITH query; `-` or no QUERY reads it from stdin. Tables: history,
        history_<group>, forecasts, accuracy, backtests, backtest_accuracy, model_versions,
        monitor_evaluations, monitor_item_accuracy, tuning_trials, cold_start, catalog (run
        --tables for the full list).
        """
        from forecasthub.sql import describe_catalog, run_query
        from forecasthub.sql.catalog import write_catalog_file
        from forecasthub.sql.query import render, rich_table

        try:
            hub = client().hub
            if write_catalog:
                if query is not None or tables:
                    raise click.UsageError("--write-catalog saves the catalog and runs no query; "
                                           "run the query (or --tables) separately")
                click.echo(str(write_catalog_file(hub)))
                return
            if tables:
                for name, description in describe_catalog(hub).items():
                    click.echo(f"{name}\t{description}")
                return
            if query is None or query == "-":
                query = sys.stdin.read()
            result = run_query(hub, query, max_rows=max_rows, timeout_s=timeout)
            if fmt == "table":
                from rich.console import Console

                Console(soft_wrap=False).print(rich_table(result))
            else:
                click.echo(render(result, fmt), nl=False)
            if result.truncated:
                click.echo(f"(stopped at {max_rows} rows; use --max-rows or LIMIT)", err=True)
        except ForecastHubError as exc:
            exit_with_error(exc)

    @cli.group("model-versions")
    def model_versions() -> None:
        """The model registry: versions of each dataset group's model, approval, deployment."""

    def _run(fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            print_json(fn(client().hub, *args, **kwargs))
        except ForecastHubError as exc:
            exit_with_error(exc)

    @model_versions.command("list")
    @click.option("--dataset-group", help="Name or ARN; default: every group.")
    @click.option("--status", type=click.Choice(["PendingManualApproval", "Approved", "Rejected"]))
    def list_(dataset_group: str | None, status: str | None) -> None:
        """List model versions, newest first per dataset group."""
        from forecasthub.registry import list_versions

        _run(list_versions, dataset_group, status)

    @model_versions.command("describe")
    @click.argument("dataset_group")
    @click.argument("version", type=int)
    def describe(dataset_group: str, version: int) -> None:
        """One model version: metrics, dataset versions, parameters, status."""
        from forecasthub.registry import describe_version

        _run(describe_version, dataset_group, version)

    @model_versions.command("register")
    @click.argument("predictor")
    def register_(predictor: str) -> None:
        """Register an ACTIVE predictor (name or ARN) as a new version (done after training)."""
        from forecasthub.registry import register_predictor

        _run(register_predictor, predictor)

    for verb, status in (("approve", "Approved"), ("reject", "Rejected")):
        def make(status: str = status) -> Any:
            @click.argument("dataset_group")
            @click.argument("version", type=int)
            @click.option("-m", "--message", help="Why (kept with the version).")
            def command(dataset_group: str, version: int, message: str | None) -> None:
                from forecasthub.registry import set_status

                _run(set_status, dataset_group, version, status, message)

            command.__doc__ = f"Mark a model version {status}."
            return command

        model_versions.command(verb)(make())

    @model_versions.command("deploy")
    @click.argument("dataset_group")
    @click.argument("version", type=int)
    def deploy_(dataset_group: str, version: int) -> None:
        """Deploy an Approved version (the group's only deployed one from now on)."""
        from forecasthub.registry import deploy

        _run(deploy, dataset_group, version)

    @model_versions.command("rollback")
    @click.argument("dataset_group")
    def rollback_(dataset_group: str) -> None:
        """Redeploy the version that was deployed before the current one."""
        from forecasthub.registry import rollback

        _run(rollback, dataset_group)

    @model_versions.command("deployed")
    @click.argument("dataset_group")
    def deployed_(dataset_group: str) -> None:
        """The model used for the group's forecasts (a pin wins over the deployed version)."""
        from forecasthub.registry import resolve_model

        _run(resolve_model, dataset_group)

    @model_versions.command("history")
    @click.argument("dataset_group")
    def history_(dataset_group: str) -> None:
        """Every deploy and rollback of the group's model."""
        from forecasthub.registry import history

        _run(lambda hub, g: {"Deployments": history(hub, g)}, dataset_group)

    @model_versions.command("rule")
    @click.argument("dataset_group")
    @click.option("--metric", help="AverageWeightedQuantileLoss, WAPE, RMSE, MASE, MAPE or wQL[0.5].")
    @click.option("--max-regression", type=float, default=0.0, show_default=True,
                  help="How much worse than the deployed version still passes (0.05 = 5 %).")
    @click.option("--auto-deploy/--no-auto-deploy", default=False, show_default=True)
    @click.option("--delete", is_flag=True, help="Remove the rule.")
    def rule(dataset_group: str, metric: str | None, max_regression: float, auto_deploy: bool,
             delete: bool) -> None:
        """Show, set or delete the group's approval rule."""
        from forecasthub.registry.versions import delete_rule, get_rule, set_rule

        if delete:
            _run(lambda hub, g: delete_rule(hub, g) or {}, dataset_group)
        elif metric:
            _run(set_rule, dataset_group, metric, max_regression, auto_deploy)
        else:
            _run(lambda hub, g: get_rule(hub, g) or {}, dataset_group)

    _register_pipelines(cli, client, exit_with_error, print_json)


def _register_pipelines(cli: click.Group, client: Any, exit_with_error: Any, print_json: Any) -> None:
    try:
        from forecasthub.pipelines import watch as _watch  # noqa: F401
    except ModuleNotFoundError:
        return

    @cli.command("watch")
    @click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False),
                  help="The watch YAML (see `forecasthub.pipelines.watch`).")
    @click.option("--once", is_flag=True,
                  help="One scan, run what is ready, then exit (new files are looked at again "
                       "after settle_seconds); exit status 1 if a run failed.")
    @click.option("--poll", default=None, type=float, help="Seconds between scans (default: the YAML's).")
    def watch(config_path: str, once: bool, poll: float | None) -> None:
        """Watch landing folders (or s3:// prefixes); each new file runs import -> forecast ->
        export -> SQL; retraining runs on schedule (cron) or when accuracy drifted."""
        from forecasthub.pipelines.watch import Watcher, load_config

        try:
            watcher = Watcher(client().hub, load_config(config_path), poll_seconds=poll)
            if not once:
                watcher.run()
                return
            done = watcher.scan_settled()
            print_json({"Runs": done})
        except KeyboardInterrupt:
            return
        except ForecastHubError as exc:
            exit_with_error(exc)
            return
        if any(r.get("Status") == "FAILED" for r in done):
            sys.exit(1)

    @cli.command("runs")
    @click.argument("run_id", required=False)
    @click.option("--dataset-group", help="Name or ARN.")
    @click.option("--pipeline", type=click.Choice(["inference", "retraining"]))
    @click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
    def runs(run_id: str | None, dataset_group: str | None, pipeline: str | None, limit: int) -> None:
        """Recent pipeline runs with their steps (states, attempts, durations, errors) and
        outputs; or one run by its RUN_ID."""
        from forecasthub.pipelines.runs import describe_run, list_runs

        try:
            hub = client().hub
            if run_id:
                print_json(describe_run(hub, run_id))
            else:
                print_json({"Runs": list_runs(hub, dataset_group, limit, pipeline)})
        except ForecastHubError as exc:
            exit_with_error(exc)

    @cli.command("retrain")
    @click.argument("dataset_group")
    @click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False),
                  help="The watch YAML whose groups.<DATASET_GROUP> settings apply (retries, "
                       "retrain.predictor, notify); default: the defaults.")
    def retrain(dataset_group: str, config_path: str | None) -> None:
        """Run a retraining pass now: predictor (retrained from the deployed model) ->
        evaluation -> registration -> approval rule -> deployment. Exits 1 if the run fails."""
        from forecasthub.errors import InvalidInputError
        from forecasthub.pipelines.config import default_group, load_config
        from forecasthub.pipelines.retrain import run_retraining

        try:
            cfg = default_group(dataset_group)
            if config_path:
                config = load_config(config_path)
                found = config.group(dataset_group)
                if found is None:
                    raise InvalidInputError(f"{config_path}: groups.{dataset_group} is not "
                                            "configured there")
                cfg = found
            run = run_retraining(client().hub, cfg, trigger="manual (forecasthub retrain)")
            print_json(run)
        except ForecastHubError as exc:
            exit_with_error(exc)
            return
        if run["Status"] != "SUCCEEDED":
            sys.exit(1)

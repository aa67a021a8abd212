"""`forecasthub tuning ...`: hyperparameter tuning jobs (SageMaker's CreateHyperParameterTuningJob
semantics) - create from a job.json, describe, trials as a table, list, stop.

Registered on the main group by ``register(cli)`` (see cli/main.py).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from forecasthub.errors import ForecastHubError, InvalidInputError

TRIAL_COLUMNS = ("trial_number", "trial_name", "status", "objective_value", "parameters",
                 "average_wql", "wape", "rmse", "mase", "mape", "started_at", "ended_at",
                 "seconds", "is_best", "failure_reason")


def _read_config(path: str) -> dict[str, Any]:
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInputError(f"--config: cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"--config {path}: not valid JSON: {exc.msg} at line {exc.lineno}, "
                                f"column {exc.colno}") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"--config {path}: must hold a JSON object (the "
                                "CreateHyperParameterTuningJob request)")
    return data


def render_trials(rows: list[dict[str, Any]], fmt: str) -> str:
    """Trials as csv or json text (``table`` is drawn with Rich by the command)."""
    picked = [{c: r.get(c) for c in TRIAL_COLUMNS} for r in rows]
    for r in picked:
        for key in ("started_at", "ended_at"):
            if hasattr(r.get(key), "isoformat"):
                r[key] = r[key].isoformat()
    if fmt == "json":
        return json.dumps(picked, indent=2, default=str) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(TRIAL_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(picked)
    return out.getvalue()


def _table(rows: list[dict[str, Any]], title: str) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for column in ("#", "trial", "status", "objective", "parameters", "wQL", "WAPE", "RMSE",
                   "seconds", "note"):
        table.add_column(column, overflow="fold")

    def num(value: Any) -> str:
        return "" if value is None else f"{value:.5g}"

    def param(value: Any) -> str:  # "0.14976021705011963" -> "0.1498"; "20", "1,2,7" as given
        try:
            return f"{float(value):.4g}" if any(c in str(value) for c in ".eE") else str(value)
        except ValueError:
            return str(value)

    for r in rows:
        params = "\n".join(f"{k}={param(v)}"
                           for k, v in json.loads(r["parameters"] or "{}").items())
        note = "best" if r["is_best"] else (r["failure_reason"] or "")[:80]
        table.add_row(str(r["trial_number"]), r["trial_name"], r["status"],
                      num(r["objective_value"]), params, num(r["average_wql"]), num(r["wape"]),
                      num(r["rmse"]), num(r["seconds"]), note,
                      style="bold green" if r["is_best"] else None)
    return table


def register(cli: click.Group) -> None:
    from forecasthub.cli.main import (
        client,
        exit_with_error,
        print_json,
        progress_printer,
        start_background_worker,
    )

    @cli.group("tuning")
    def tuning() -> None:
        """Hyperparameter tuning jobs: trials of one algorithm, the best becomes a predictor."""

    @tuning.command("create")
    @click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
                  help="job.json: a CreateHyperParameterTuningJob request (docs/tuning.md).")
    @click.option("--name", help="Override HyperParameterTuningJobName.")
    @click.option("--wait", is_flag=True, help="Run the job here and wait for it, with progress "
                  "(exit status 1 when it ends Failed).")
    def create(config_path: str, name: str | None, wait: bool) -> None:
        """Create a tuning job from a JSON request."""
        try:
            request = _read_config(config_path)
            if name:
                request["HyperParameterTuningJobName"] = name
            fh = client()
            on_progress, stop = progress_printer() if wait else (None, lambda: None)
            try:
                response = fh.call("CreateHyperParameterTuningJob", request, wait=wait,
                                   on_progress=on_progress)
            finally:
                stop()
            if not wait:
                start_background_worker()
            if wait:
                response = fh.call("DescribeHyperParameterTuningJob", {
                    "HyperParameterTuningJobName": request["HyperParameterTuningJobName"]})
            print_json(response)
        except ForecastHubError as exc:
            exit_with_error(exc)
            return
        if response.get("HyperParameterTuningJobStatus") == "Failed":
            sys.exit(1)  # --wait: the job ended Failed (the response says why)

    @tuning.command("describe")
    @click.argument("name")
    def describe(name: str) -> None:
        """DescribeHyperParameterTuningJob: status, counters, best trial, best predictor."""
        try:
            print_json(client().call("DescribeHyperParameterTuningJob",
                                     {"HyperParameterTuningJobName": name}))
        except ForecastHubError as exc:
            exit_with_error(exc)

    @tuning.command("trials")
    @click.argument("name")
    @click.option("-f", "--format", "fmt", default="table", show_default=True,
                  type=click.Choice(["table", "csv", "json"]))
    @click.option("--sort", type=click.Choice(["number", "objective"]), default="number",
                  show_default=True, help="Trial order: by number, or best objective first.")
    def trials(name: str, fmt: str, sort: str) -> None:
        """Every trial of a job: parameters, objective, metrics, time."""
        from forecasthub.tuning.results import trial_rows

        try:
            fh = client()
            fh.call("DescribeHyperParameterTuningJob", {"HyperParameterTuningJobName": name})
            rows = trial_rows(fh.hub, name)
            if sort == "objective":
                rows.sort(key=lambda r: (r["objective_value"] is None,
                                         r["objective_value"] or 0.0, r["trial_number"]))
            if fmt == "table":
                from rich.console import Console

                Console(soft_wrap=False).print(_table(rows, f"tuning job {name}"))
            else:
                click.echo(render_trials(rows, fmt), nl=False)
        except ForecastHubError as exc:
            exit_with_error(exc)

    @tuning.command("list")
    @click.option("--status", type=click.Choice(["InProgress", "Completed", "Failed", "Stopping",
                                                 "Stopped"]))
    @click.option("--name-contains")
    def list_(status: str | None, name_contains: str | None) -> None:
        """ListHyperParameterTuningJobs, newest first."""
        try:
            print_json(client().call("ListHyperParameterTuningJobs",
                                     {"StatusEquals": status, "NameContains": name_contains}))
        except ForecastHubError as exc:
            exit_with_error(exc)

    @tuning.command("stop")
    @click.argument("name")
    def stop(name: str) -> None:
        """StopHyperParameterTuningJob: no new trial starts; running ones finish."""
        try:
            print_json(client().call("StopHyperParameterTuningJob",
                                     {"HyperParameterTuningJobName": name}))
        except ForecastHubError as exc:
            exit_with_error(exc)

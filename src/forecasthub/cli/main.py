"""The `forecasthub` command: `aws forecast`-style verbs plus friendly shortcuts."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console

from forecasthub.errors import ForecastHubError

err = Console(stderr=True)


def exit_with_error(exc: BaseException) -> None:
    """One line on stderr, non-zero exit: never a traceback for a user error."""
    if isinstance(exc, ForecastHubError):
        err.print(f"[red]error[/red] ({exc.aws_type}): {exc.message}", highlight=False, soft_wrap=True)
    else:
        err.print(f"[red]error[/red]: {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
    sys.exit(1)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=4, default=str))


def client():  # noqa: ANN201 - imported lazily to keep `--help` fast
    from forecasthub.client import Client

    return Client()


def progress_printer() -> tuple[Callable[[dict[str, Any]], None], Callable[[], None]]:
    """A Rich progress bar fed by job progress updates."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeElapsedColumn(), console=err, transient=True)
    task = bar.add_task("queued", total=1)
    bar.start()

    def update(state: dict[str, Any]) -> None:
        total = state.get("total") or 1
        bar.update(task, description=str(state.get("stage", "working")), total=total,
                   completed=state.get("done", 0) or 0)

    return update, bar.stop


def start_background_worker() -> None:
    """Run queued jobs in a detached process that exits when the queue is empty."""
    if os.environ.get("FORECASTHUB_NO_AUTOSTART"):
        return
    subprocess.Popen(
        [sys.executable, "-m", "forecasthub.cli.main", "worker", "--drain"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, env=os.environ.copy(),
    )


def operation_command(operation: str) -> click.Command:
    from forecasthub.cli.awsstyle import build_request, kebab, make_options

    starts_job = operation.startswith("Create") and operation.endswith("Job") or operation in (
        "CreateAutoPredictor", "CreatePredictor", "CreateForecast")

    def callback(wait: bool = False, **options: Any) -> None:
        try:
            request = build_request(operation, options)
            fh = client()
            on_progress, stop = progress_printer() if wait else (None, lambda: None)
            try:
                response = fh.call(operation, request, wait=wait, on_progress=on_progress)
            finally:
                stop()
            if starts_job and not wait:
                start_background_worker()
            print_json(response)
            failure = job_failure(fh, operation, response) if starts_job and wait else None
        except ForecastHubError as exc:
            exit_with_error(exc)
        if failure:
            err.print(f"[red]error[/red]: {failure}", highlight=False, soft_wrap=True)
            sys.exit(1)

    params: list[click.Parameter] = list(make_options(operation))
    if starts_job:
        params.append(click.Option(["--wait"], is_flag=True,
                                   help="Run the job here and wait for it, with progress."))
    return click.Command(kebab(operation), callback=callback, params=params,
                         help=f"Amazon Forecast's {operation}.", short_help=f"{operation}")


def aws_operations() -> dict[str, str]:
    """verb -> operation, for the implemented operations of botocore's forecast and forecastquery
    models (tuning jobs, SageMaker's, are `forecasthub tuning ...`)."""
    from forecasthub.api.dispatch import service_operations
    from forecasthub.cli.awsstyle import kebab

    return {kebab(op): op
            for op in service_operations("forecast") | service_operations("forecastquery")}


def job_failure(fh: Any, operation: str, response: dict[str, Any]) -> str | None:
    """After ``--wait``: why the job ended without its resource ACTIVE (None when it is)."""
    from forecasthub.services.operations import OPERATIONS

    describe = "Describe" + operation[len("Create"):]
    arn_key = next((k for k in response if k.endswith("Arn")), None)
    if describe not in OPERATIONS or arn_key is None:
        return None
    status = fh.call(describe, {arn_key: response[arn_key]})
    if status.get("Status") in ("CREATE_FAILED", "CREATE_STOPPED"):
        return f"{response[arn_key]} ended {status['Status']}: {status.get('Message') or 'no message'}"
    return None


class ForecastHubCLI(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(aws_operations()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        operation = aws_operations().get(name)
        return operation_command(operation) if operation else None


@click.group(cls=ForecastHubCLI, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
def cli(verbose: bool) -> None:
    """forecasthub: probabilistic forecasts for many related time series.

    Verbs mirror `aws forecast` (create-dataset-group, create-dataset-import-job, describe-*,
    list-*, delete-* ...). State lives in FORECASTHUB_HOME (default ./.forecasthub).
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.command()
def init() -> None:
    """Create the home folder and the metadata database (other commands do this too)."""
    try:
        from forecasthub.store.db import safe_url

        fh = client()
        fh.hub.db  # noqa: B018 - opening runs the migrations
        fh.hub.store.check()  # a missing bucket or bad credentials show up here
        print_json({"Home": str(fh.hub.settings.home), "Database": safe_url(fh.hub.settings.database_url),
                    "Store": fh.hub.settings.store_url})
    except ForecastHubError as exc:
        exit_with_error(exc)


@cli.command()
@click.option("--drain", is_flag=True, help="Exit when no job is left.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between queue polls.")
def worker(drain: bool, poll: float) -> None:
    """Run queued jobs (imports, training, forecasts, exports)."""
    from forecasthub.jobs.worker import run_worker

    try:
        ran = run_worker(client().hub, drain=drain, poll_seconds=poll)
        if drain:
            err.print(f"ran {ran} job(s)")
    except KeyboardInterrupt:
        pass
    except ForecastHubError as exc:
        exit_with_error(exc)


from forecasthub.cli import shortcuts  # noqa: E402  (registers import, demo, jobs)

shortcuts.register(cli)

from forecasthub.cli import server  # noqa: E402  (serve, access keys)

server.register(cli)

from forecasthub.cli import automation  # noqa: E402  (sql, model-versions, watch, runs)

automation.register(cli)

from forecasthub.cli import tuning  # noqa: E402  (tuning create/describe/trials/list/stop)

tuning.register(cli)

from forecasthub.cli import monitoring  # noqa: E402  (monitor evaluate, monitor drift)

monitoring.register(cli)

from forecasthub.cli import sagemaker  # noqa: E402  (sagemaker import/export/batch-transform)

sagemaker.register(cli)


def main() -> None:
    cli(prog_name="forecasthub")


if __name__ == "__main__":
    main()

"""`forecasthub serve` and access keys: `create-access-key`, `list-access-keys`,
`delete-access-key`."""

from __future__ import annotations

import click

from forecasthub.errors import ForecastHubError, InvalidInputError


def register(cli: click.Group) -> None:
    from forecasthub.cli.main import client, err, exit_with_error, print_json

    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to listen on. Anything but loopback needs an access key first.")
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
    @click.option("--workers", type=click.IntRange(min=0), default=None,
                  help="Job workers run inside the server [default: FORECASTHUB_WORKERS, 1].")
    @click.option("--no-workers", is_flag=True,
                  help="Run no job workers here (use `forecasthub worker` elsewhere).")
    @click.option("--worker-mode", type=click.Choice(["process", "thread"]), default="process",
                  show_default=True, help="Workers as processes (training does not slow the API) "
                                          "or threads.")
    @click.option("--log-level", default="info", show_default=True,
                  type=click.Choice(["critical", "error", "warning", "info", "debug"]))
    @click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False),
                  help="Serve HTTPS with this certificate (PEM).")
    @click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False),
                  help="The certificate's private key (PEM).")
    @click.option("--watch", "watch_config", type=click.Path(exists=True, dir_okay=False),
                  help="Also run `forecasthub watch` with this YAML, in a thread of the server.")
    def serve(host: str, port: int, workers: int | None, no_workers: bool, worker_mode: str,
              log_level: str, ssl_certfile: str | None, ssl_keyfile: str | None,
              watch_config: str | None) -> None:
        """Serve the REST API (/api/v1, docs at /docs) and the Amazon Forecast API (boto3
        endpoint_url) with embedded job workers. Ctrl-C or SIGTERM stops it cleanly."""
        import uvicorn

        from forecasthub.api import keys
        from forecasthub.api.app import create_app
        from forecasthub.api.auth import is_loopback

        try:
            hub = client().hub
            if not is_loopback(host) and not keys.any_access_key(hub):
                raise InvalidInputError(
                    f"refusing to listen on {host}: no access key exists, so anyone who can reach "
                    "this address could use the server. Run `forecasthub create-access-key` "
                    "first, or listen on 127.0.0.1"
                )
            count = 0 if no_workers else (hub.settings.workers if workers is None else workers)
            app = create_app(hub.settings, host=host, workers=count,
                             worker_mode=worker_mode)  # type: ignore[arg-type]
            watcher = None
            if watch_config:
                from forecasthub.pipelines.watch import Watcher, load_config

                app.state.watch_config = load_config(watch_config)
                watcher = Watcher(app.state.hub, app.state.watch_config)
        except ForecastHubError as exc:
            exit_with_error(exc)
            return
        stop_watch = None
        if watcher is not None:
            import threading

            stop_watch = threading.Event()
            threading.Thread(target=watcher.run, args=(stop_watch,), name="watch",
                             daemon=True).start()
            err.print(f"watching the landing locations of {watch_config}", highlight=False)
        scheme = "https" if ssl_certfile else "http"
        err.print(f"forecasthub on {scheme}://{host}:{port}  (docs /docs, boto3 endpoint_url "
                  f"{scheme}://{host}:{port}), {count} {worker_mode} worker(s), home "
                  f"{hub.settings.home}", highlight=False, soft_wrap=True)
        if not is_loopback(host) and not ssl_certfile:
            err.print("[yellow]warning[/yellow]: plain HTTP on a network address: requests and "
                      "bearer secrets travel unencrypted; use --ssl-certfile/--ssl-keyfile or a "
                      "TLS proxy that keeps the Host header", highlight=False, soft_wrap=True)
        try:
            uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False,
                        ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
        except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its clean shutdown
            pass
        finally:
            if stop_watch is not None:
                stop_watch.set()

    @cli.command("create-access-key")
    @click.option("--description", help="A note to tell keys apart (who or what uses it).")
    def create_access_key(description: str | None) -> None:
        """Make an access key for the HTTP APIs. From the first key on, every request must be
        authenticated. The secret is printed once; keep it like a password."""
        from forecasthub.api import keys

        try:
            key = keys.create_access_key(client().hub, description)
        except ForecastHubError as exc:
            exit_with_error(exc)
            return
        print_json({"AccessKey": {"AccessKeyId": key.access_key_id,
                                  "SecretAccessKey": key.secret_access_key,
                                  "Status": key.status, "CreateDate": key.created_at.isoformat()}})

    @cli.command("list-access-keys")
    def list_access_keys() -> None:
        """The access keys (without their secrets)."""
        from forecasthub.api import keys

        try:
            found = keys.list_access_keys(client().hub)
        except ForecastHubError as exc:
            exit_with_error(exc)
            return
        print_json({"AccessKeyMetadata": [
            {"AccessKeyId": k.access_key_id, "Status": k.status,
             "CreateDate": k.created_at.isoformat(),
             **({"Description": k.description} if k.description else {})} for k in found]})

    @cli.command("delete-access-key")
    @click.option("--access-key-id", required=True)
    def delete_access_key(access_key_id: str) -> None:
        """Delete an access key; requests signed with it are refused from then on."""
        from forecasthub.api import keys

        try:
            hub = client().hub
            keys.delete_access_key(hub, access_key_id)
            if not keys.any_access_key(hub):
                err.print("[yellow]warning[/yellow]: no access key is left, so a server bound to "
                          "127.0.0.1 accepts unauthenticated local requests again", highlight=False)
        except ForecastHubError as exc:
            exit_with_error(exc)

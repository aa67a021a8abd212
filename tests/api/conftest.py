"""A real uvicorn server on 127.0.0.1 (in a thread) over an isolated home, and boto3 clients
whose every successful response is checked against botocore's output shape."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import SHARED_DATA

ENV_VARS = ("FORECASTHUB_HOME", "FORECASTHUB_DATABASE_URL", "FORECASTHUB_STORE_URL",
            "FORECASTHUB_CONFIG_FILE", "FORECASTHUB_IMPORT_ROOTS", "FORECASTHUB_WORKERS")
REGION = "us-east-1"


@dataclass
class Server:
    url: str
    app: Any
    hub: Any
    key_id: str | None = None
    secret: str | None = None

    def client(self, service: str = "forecast", *, key_id: str | None = None,
               secret: str | None = None, validate: bool = True, **config: Any) -> Any:
        client = boto3.client(
            service, endpoint_url=self.url, region_name=REGION,
            aws_access_key_id=key_id or self.key_id or "AKIAANONYMOUSLOCAL00",
            aws_secret_access_key=secret or self.secret or "x" * 40,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
        )
        if validate:
            client.meta.events.register("after-call.*.*", check_response_shape)
        return client

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key_id}:{self.secret}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(root: Path) -> Any:
    from forecasthub.settings import get_settings

    home = root / "home"
    return get_settings(home=home, database_url=f"sqlite:///{home / 'metadata.db'}",
                        store_url=str(home / "store"), import_roots=[str(root), str(SHARED_DATA)])


@contextmanager
def running_server(root: Path, *, with_key: bool = True, workers: int = 1,
                   host: str = "127.0.0.1", **app_options: Any) -> Iterator[Server]:
    import uvicorn

    from forecasthub.api import keys
    from forecasthub.api.app import create_app

    with pytest.MonkeyPatch.context() as mp:
        for var in ENV_VARS:
            mp.delenv(var, raising=False)
        app = create_app(make_settings(root), host=host, workers=workers, poll_seconds=0.1,
                         shutdown_grace=5, **app_options)
        hub = app.state.hub
        key = keys.create_access_key(hub, "tests") if with_key else None
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="on"))
        thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        try:
            yield Server(f"http://127.0.0.1:{port}", app, hub,
                         key.access_key_id if key else None, key.secret_access_key if key else None)
        finally:
            server.should_exit = True
            thread.join(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with an access key and one embedded worker, shared by a test module."""
    with running_server(tmp_path_factory.mktemp("api")) as srv:
        yield srv


@pytest.fixture
def forecast(server: Server) -> Any:
    return server.client("forecast")


# -- response shapes ------------------------------------------------------------------------
def check_response_shape(http_response: Any, model: Any, **_: Any) -> None:
    """botocore's after-call hook: a 200 body must match the operation's output shape exactly
    (no unknown members, right JSON types, enum values)."""
    if http_response.status_code != 200 or model.output_shape is None:
        return
    body = json.loads(http_response.content or b"{}")
    problems: list[str] = []
    _check(body, model.output_shape, model.name, problems)
    assert not problems, f"{model.name} response does not match botocore's model: {problems}"


def _check(value: Any, shape: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object, got {type(value).__name__}")
            return
        for name, member in value.items():
            if name not in shape.members:
                problems.append(f"{path}.{name}: not a member of {shape.name}")
            else:
                _check(member, shape.members[name], f"{path}.{name}", problems)
        # required members are not checked: Amazon itself answers `EncryptionConfig: {}` although
        # the model marks RoleArn and KMSKeyArn required (AMAZON_FORECAST.md 1.5, observed)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list")
            return
        for i, item in enumerate(value):
            _check(item, shape.member, f"{path}[{i}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map")
            return
        for k, v in value.items():
            _check(k, shape.key, f"{path}<key>", problems)
            _check(v, shape.value, f"{path}[{k}]", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {value!r}")
        elif shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {shape.enum}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer, got {value!r}")
    elif kind in ("float", "double", "timestamp"):  # JSON protocol timestamps: epoch seconds
        if not isinstance(value, int | float) or isinstance(value, bool):
            problems.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, got {value!r}")

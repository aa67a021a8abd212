"""Run notifications: a log line per run, the run record POSTed to a real webhook on 127.0.0.1
(retried on 5xx), and a failing webhook never fails the run."""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.pipelines.config import parse_config
from forecasthub.pipelines.inference import run_inference


class Hook:
    """A webhook receiver: answers ``statuses`` in turn (then 200) and keeps what it got."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server calls it by this name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = hook.statuses.pop(0) if hook.statuses else 200
                hook.received.append({"status": status, "type": self.headers["Content-Type"],
                                      "body": json.loads(body)})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/fh?token=secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    with Hook() as h:
        yield h


def _cfg(tmp_path: Path, notify: dict) -> object:
    return parse_config({"settle_seconds": 0, "groups": {"shop": {
        "landing": str(tmp_path / "landing"), "timestamp_format": "yyyy-MM-dd",
        "backoff_seconds": 0, "notify": notify}}}).groups[0]


def _land(tmp_path: Path, source: str, name: str = "week.csv") -> str:
    (tmp_path / "landing").mkdir(exist_ok=True)
    shutil.copy2(source, tmp_path / "landing" / name)
    return str(tmp_path / "landing" / name)


def test_webhook_gets_the_run_and_a_500_is_retried(fh, deployed_shop, tmp_path, hook, caplog) -> None:
    hook.statuses = [500]  # the receiver fails once, then accepts
    cfg = _cfg(tmp_path, {"webhook": hook.url})
    with caplog.at_level(logging.INFO, logger="forecasthub.pipelines"):
        run = run_inference(fh.hub, cfg, _land(tmp_path, deployed_shop.paths["TARGET_TIME_SERIES"]),
                            trigger="test")
    assert run["Status"] == "SUCCEEDED", run
    note = run["Outputs"]["Notification"]
    assert note["Delivered"] is True and note["Attempts"] == 2 and note["HttpStatus"] == 200
    assert note["Errors"] == ["HTTP 500 Internal Server Error"]
    assert "secret" not in note["Webhook"]  # the query (a token) is not recorded
    assert [r["status"] for r in hook.received] == [500, 200]
    body = hook.received[-1]["body"]
    assert hook.received[-1]["type"] == "application/json"
    assert body["RunId"] == run["RunId"] and body["Status"] == "SUCCEEDED"
    assert [s["Name"] for s in body["Steps"]] == ["import", "forecast", "export", "sql_catalog"]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("pipeline run")]
    assert lines == [f"pipeline run {run['RunId']} (inference, group shop, trigger 'test'): SUCCEEDED"]


def test_a_failing_webhook_never_fails_the_run(fh, deployed_shop, tmp_path, hook) -> None:
    hook.statuses = [503, 503, 503]
    cfg = _cfg(tmp_path, {"webhook": hook.url, "retries": 2, "timeout_seconds": 5})
    run = run_inference(fh.hub, cfg, _land(tmp_path, deployed_shop.paths["TARGET_TIME_SERIES"]),
                        trigger="test")
    assert run["Status"] == "SUCCEEDED"
    note = run["Outputs"]["Notification"]
    assert note["Delivered"] is False and note["Attempts"] == 3 and len(note["Errors"]) == 3

    # nobody listening at all: recorded, still not a failure
    cfg = _cfg(tmp_path, {"webhook": "http://127.0.0.1:9/none", "retries": 0})
    run = run_inference(fh.hub, cfg, _land(tmp_path, deployed_shop.paths["TARGET_TIME_SERIES"], "b.csv"),
                        trigger="test")
    assert run["Status"] == "SUCCEEDED"
    assert run["Outputs"]["Notification"]["Delivered"] is False


def test_only_the_chosen_outcomes_are_sent(fh, deployed_shop, tmp_path, hook, caplog) -> None:
    cfg = _cfg(tmp_path, {"webhook": hook.url, "on": ["FAILED"]})
    good = run_inference(fh.hub, cfg, _land(tmp_path, deployed_shop.paths["TARGET_TIME_SERIES"]),
                         trigger="test")
    assert good["Outputs"]["Notification"]["Sent"] is False and hook.received == []
    bad_file = tmp_path / "landing" / "bad.csv"
    bad_file.write_text("item_id,store_id,timestamp,demand\ndept_1,store_1,2099-13-40,5\n")
    with caplog.at_level(logging.WARNING, logger="forecasthub.pipelines"):
        bad = run_inference(fh.hub, cfg, str(bad_file), trigger="test")
    assert bad["Status"] == "FAILED"
    assert [r["body"]["Status"] for r in hook.received] == ["FAILED"]
    assert hook.received[0]["body"]["Message"].startswith("import: ")
    assert any("trigger 'test'): FAILED: import: " in r.getMessage() for r in caplog.records)


def test_bad_webhook_settings() -> None:
    with pytest.raises(InvalidInputError, match=r"groups.shop.notify.webhook: 'ftp://x' is not"):
        parse_config({"groups": {"shop": {"landing": "x", "notify": {"webhook": "ftp://x"}}}})
    with pytest.raises(InvalidInputError, match=r"groups.shop.notify.on.0"):
        parse_config({"groups": {"shop": {"landing": "x", "notify": {"on": ["DONE"]}}}})

"""The watch YAML as docs/automation.md writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.pipelines.config import load_config, parse_config


def test_unquoted_on_key_of_notify_is_read(tmp_path: Path) -> None:
    """PyYAML (YAML 1.1) reads `on:` as the boolean true; the docs' example writes it so."""
    path = tmp_path / "watch.yaml"
    path.write_text("""
groups:
  shop:
    landing: /data/landing/shop
    notify:
      webhook: https://hooks.example.com/forecasthub?token=x
      on: [FAILED]
      retries: 1
""")
    notify = load_config(path).group("shop").notify
    assert notify.on == ["FAILED"] and notify.retries == 1


def test_reserved_predictor_key_message() -> None:
    with pytest.raises(InvalidInputError, match="PredictorName is set by the pipeline; leave it out"):
        parse_config({"groups": {"shop": {"landing": "/x", "retrain": {
            "predictor": {"PredictorName": "p"}}}}})

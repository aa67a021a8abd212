"""Fixtures of the data-layer tests: the shared Amazon Forecast samples and their schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasthub.data.schema import Schema

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "amazon-forecast-samples"


def schema(*attributes: tuple[str, str]) -> Schema:
    """Schema from (name, type) pairs."""
    return Schema.from_attributes(attributes)


@pytest.fixture
def samples() -> Path:
    """The sample folder (tests skip when the shared data is absent)."""
    if not SAMPLES.exists():
        pytest.skip(f"shared sample data not found at {SAMPLES}")
    return SAMPLES


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    """Write a small test file and return its path."""
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)

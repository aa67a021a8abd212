from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLES = SHARED_DATA / "amazon-forecast-samples"


def require_samples() -> Path:
    if not SAMPLES.exists():
        pytest.skip(f"shared sample data not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated forecasthub home; imports may read the tmp dir and the shared samples."""
    home = tmp_path / "home"
    monkeypatch.setenv("FORECASTHUB_HOME", str(home))
    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS", f"{tmp_path},{SHARED_DATA}")
    monkeypatch.setenv("FORECASTHUB_NO_AUTOSTART", "1")
    for var in ("FORECASTHUB_DATABASE_URL", "FORECASTHUB_STORE_URL", "FORECASTHUB_CONFIG_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def fh(home: Path):
    from forecasthub.client import Client

    client = Client()
    yield client
    client.close()


@pytest.fixture
def cli_env(home: Path) -> dict[str, str]:
    return dict(os.environ)

"""Service tests run on both metadata backends: SQLite and PostgreSQL (skipped with a reason
when no PostgreSQL can be started; see tests/infra.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(home: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FORECASTHUB_DATABASE_URL", database_url)
    return home

"""gluonts_common: importing GluonTS through forecasthub prints no json-module UserWarning."""

from __future__ import annotations

import subprocess
import sys

import pytest

from forecasthub.models.gluonts_common import deep_available


@pytest.mark.skipif(not deep_available(), reason="needs the deep extra")
def test_gluonts_json_warning_is_silenced() -> None:
    code = "import forecasthub.models.gluonts_common; import gluonts.json"
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True,
                          text=True, timeout=120, check=True)
    assert "json-module" not in done.stderr

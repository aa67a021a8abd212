"""Tiny panels with the nasty cases: an all-zero, a very short and an intermittent series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasthub.models.base import ModelContext


def make_panel(n_points: int = 100, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n_points)
    series = {
        "seasonal": 20 + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n_points),
        "trend": 10 + 0.3 * t + rng.normal(0, 1, n_points),
        "zeros": np.zeros(n_points),
        "intermittent": rng.poisson(0.3, n_points) * rng.integers(1, 5, n_points),
        "short": 5 + rng.normal(0, 1, 5),
    }
    end = pd.Timestamp("2024-06-30")
    frames = []
    for item, y in series.items():
        stamps = pd.date_range(end=end, periods=len(y), freq="D")
        frames.append(pd.DataFrame({"item_id": item, "timestamp": stamps,
                                    "target": np.asarray(y, dtype=float)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def panel() -> pd.DataFrame:
    return make_panel()


@pytest.fixture(scope="session")
def ctx() -> ModelContext:
    return ModelContext(freq="D", season_length=7, horizon=7)

"""Column names of the canonical frames (DESIGN.md, data contracts)."""

from __future__ import annotations

ITEM_ID = "item_id"
TIMESTAMP = "timestamp"
TARGET = "target"
DATE = "date"  # forecast exports name the time column `date`, as Amazon Forecast does
MEAN = "mean"
DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)


def quantile_column(q: float) -> str:
    """Amazon Forecast's name for a quantile: 0.1 -> p10, 0.05 -> p5, 0.65 -> p65, 0.5 -> p50."""
    pct = round(q * 100, 6)
    return f"p{int(pct)}" if float(pct).is_integer() else f"p{pct:g}"


def forecast_type_column(forecast_type: str) -> str:
    """Column for a ForecastTypes entry ("0.1", "0.50", "mean")."""
    return MEAN if forecast_type == "mean" else quantile_column(float(forecast_type))

"""SQL over results: a read-only DuckDB catalog of histories, forecasts, accuracy and backtests.

    >>> from forecasthub.sql import run_query
    >>> run_query(hub, "SELECT forecast_name, count(*) FROM forecasts GROUP BY 1")

See :mod:`forecasthub.sql.catalog` for the tables and :mod:`forecasthub.sql.query` for the rules.
"""

from forecasthub.sql.catalog import build_catalog, describe_catalog
from forecasthub.sql.query import QueryResult, check_query, run_query

__all__ = ["QueryResult", "build_catalog", "check_query", "describe_catalog", "run_query"]

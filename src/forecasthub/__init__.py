"""forecasthub: probabilistic forecasts for many related time series, Amazon Forecast-compatible."""

from forecasthub.errors import ForecastHubError

__all__ = ["Client", "ForecastHubError"]
__version__ = "0.1.0"


def __getattr__(name: str):  # keep `import forecasthub` light
    if name == "Client":
        from forecasthub.client import Client

        return Client
    raise AttributeError(name)

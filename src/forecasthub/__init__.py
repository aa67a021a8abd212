"""forecasthub: probabilistic forecasts for many related time series, Amazon Forecast-compatible."""

from forecasthub.errors import ForecastHubError

__all__ = ["Client", "ForecastHubError", "forecast"]
__version__ = "0.1.0"


def __getattr__(name: str):  # keep `import forecasthub` light
    if name == "Client":
        from forecasthub.client import Client

        return Client
    if name == "forecast":
        from forecasthub.quick import forecast

        return forecast
    raise AttributeError(name)

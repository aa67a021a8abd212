"""The dashboard: a static page (HTML, JS, CSS) over the read-only endpoints of
:mod:`forecasthub.api.dashboard`, with Plotly.js served from the installed ``plotly`` package."""

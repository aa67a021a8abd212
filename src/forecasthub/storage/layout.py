"""Names of the files inside store versions (DESIGN.md, object store layout), defined once.

    datasets/<name>/versions/<import-job>-<id>/   DATA_FILE
    predictors/<name>/<id>/                       MODEL_FILE, META_FILE, BACKTEST_VALUES, BACKTEST_ACCURACY
    forecasts/<name>/<id>/                        FORECAST_FILE
"""

DATA_FILE = "data.parquet"
MODEL_FILE = "model.pkl"
META_FILE = "meta.json"
BACKTEST_VALUES = "backtest_values.parquet"
BACKTEST_ACCURACY = "backtest_accuracy.parquet"
FORECAST_FILE = "forecast.parquet"

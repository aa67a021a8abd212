"""Cold-start sub-model of the global tree model: forecasts items with no history.

Trained on features that need no history (item metadata, calendar, holidays, known-future
related covariates), one LightGBM per output (mean + each quantile), on the raw target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.models.features import DateFeature, compute_date_features


class ColdStartModel:
    """LightGBM regressors on static + calendar + related features (no lags)."""

    def __init__(
        self,
        quantiles: Sequence[float],
        date_features: Sequence[DateFeature],
        lgb_params: dict[str, Any],
        max_rows: int = 200_000,
        seed: int = 0,
    ) -> None:
        self.quantiles = tuple(quantiles)
        self.date_features = list(date_features)
        self.lgb_params = dict(lgb_params)
        self.max_rows = max_rows
        self.seed = seed
        self.columns: list[str] = []
        self.boosters: dict[str, Any] = {}

    def _features(
        self, frame: pd.DataFrame, static: pd.DataFrame, related_cols: Sequence[str]
    ) -> pd.DataFrame:
        dates = pd.DatetimeIndex(frame[TIMESTAMP])
        feats = pd.DataFrame(compute_date_features(dates, self.date_features), index=frame.index)
        for col in related_cols:
            feats[col] = frame[col].to_numpy(dtype=float) if col in frame else np.nan
        merged = frame[[ITEM_ID]].merge(static, on=ITEM_ID, how="left")
        for col in static.columns:
            if col != ITEM_ID:
                feats[col] = merged[col].to_numpy()
                if isinstance(static[col].dtype, pd.CategoricalDtype):
                    feats[col] = pd.Categorical(feats[col], dtype=static[col].dtype)
        return feats

    def fit(
        self, train: pd.DataFrame, static: pd.DataFrame, related_cols: Sequence[str]
    ) -> ColdStartModel:
        """``train``: item_id, timestamp, target (+ related columns); ``static`` typed."""
        import lightgbm as lgb

        if len(train) > self.max_rows:
            train = train.sample(self.max_rows, random_state=self.seed)
        X = self._features(train, static, related_cols)
        y = train[TARGET].to_numpy(dtype=float)
        self.columns = list(X.columns)
        for key, objective, alpha in self._outputs():
            params = {**self.lgb_params, "objective": objective, "seed": self.seed,
                      "verbose": -1}
            if alpha is not None:
                params["alpha"] = alpha
            rounds = int(params.pop("n_estimators", 100))
            data = lgb.Dataset(X, y, free_raw_data=True)
            self.boosters[key] = lgb.train(params, data, num_boost_round=rounds)
        return self

    def _outputs(self) -> list[tuple[str, str, float | None]]:
        outs: list[tuple[str, str, float | None]] = [(MEAN, "regression", None)]
        outs += [(quantile_column(q), "quantile", q) for q in self.quantiles]
        return outs

    def predict(
        self, future: pd.DataFrame, static: pd.DataFrame, related_cols: Sequence[str]
    ) -> pd.DataFrame:
        """``future``: item_id, timestamp (+ related columns) -> forecast columns."""
        X = self._features(future, static, related_cols)[self.columns]
        out = future[[ITEM_ID, TIMESTAMP]].copy()
        for key, _, _ in self._outputs():
            out[key] = self.boosters[key].predict(X)
        return out

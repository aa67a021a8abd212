"""Global LightGBM model via mlforecast: lags, rolling means, calendar and holiday features,
known-future related covariates, item metadata, per-series scaling, one model per quantile.

Quantiles (``quantile_method``): ``"residual"`` (default, best wQL on M4 Hourly) fits the mean
model once more on all but the last horizon and turns that window's scaled residuals into
per-step quantile offsets (:mod:`calibration`; a small panel gets more holdout windows, each
one horizon further back, so the offsets rest on enough residuals); ``"quantile"`` trains one
pinball-loss LightGBM per quantile, each forecast recursively; ``"conformal"`` uses mlforecast's
conformal intervals.
Items present only in the item metadata are forecast by :class:`ColdStartModel`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.calibration import (
    LONG_SERIES,
    MAX_CALIBRATION_WINDOWS,
    MIN_RESIDUALS,
    WINDOW_KEY,
    ResidualQuantiles,
    series_scale,
)
from forecasthub.models.coldstart import ColdStartModel
from forecasthub.models.covariates import related_columns, typed_static
from forecasthub.models.features import (
    DateFeature,
    HolidayFlag,
    calendar_features,
    default_lags,
)
from forecasthub.models.frames import (
    DS,
    UID,
    check_train,
    finalize,
    from_intervals,
    future_timestamps,
    levels_for,
)
from forecasthub.models.local import fill_missing

Transform = Literal["none", "scale", "difference"]


class LightGBM(Forecaster):
    """One LightGBM across all series (mlforecast), recursive multi-step forecasts."""

    name = "LightGBM"
    is_global = True
    supports_related = True
    supports_static = True
    cost_per_series = 0.002

    def __init__(
        self,
        lags: list[int] | None = None,
        target_transform: Transform = "scale",
        quantile_method: Literal["residual", "quantile", "conformal"] = "residual",
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 63,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        colsample_bytree: float = 0.9,
        max_rows_per_series: int | None = None,
        n_jobs: int = 1,
        **lgb_params: Any,
    ) -> None:
        if target_transform not in ("none", "scale", "difference"):
            raise InvalidInputError(f"Unknown target_transform {target_transform!r}; "
                                    "valid: none, scale, difference")
        if quantile_method not in ("residual", "quantile", "conformal"):
            raise InvalidInputError(f"Unknown quantile_method {quantile_method!r}; "
                                    "valid: residual, quantile, conformal")
        self.lags = lags
        self.target_transform = target_transform
        self.quantile_method = quantile_method
        self.max_rows_per_series = max_rows_per_series
        self.n_jobs = n_jobs
        self.lgb_params = {
            "n_estimators": n_estimators,
            "learning_rate": learning_rate,
            "num_leaves": num_leaves,
            "min_child_samples": min_child_samples,
            "subsample": subsample,
            "subsample_freq": 1 if subsample < 1 else 0,
            "colsample_bytree": colsample_bytree,
            "n_jobs": n_jobs,
            **lgb_params,
        }
        self.ctx: ModelContext | None = None
        self._mlf: Any = None
        self._cold: ColdStartModel | None = None
        self._static: pd.DataFrame | None = None
        self._related_cols: list[str] = []
        self._static_cols: list[str] = []
        self._calibrator: ResidualQuantiles | None = None
        self._scale: pd.Series = pd.Series(dtype=float)
        self._items: pd.Index = pd.Index([])
        self._last: pd.Series | None = None
        self._nonneg: bool = True

    # ---- configuration -------------------------------------------------------------------
    def _date_features(self, ctx: ModelContext) -> list[DateFeature]:
        feats = calendar_features(ctx.freq)
        if ctx.holidays_country:
            feats.append(HolidayFlag(ctx.holidays_country))
        return feats

    def _target_transforms(self, ctx: ModelContext) -> list[Any]:
        from mlforecast.target_transforms import Differences, LocalStandardScaler

        if self.target_transform == "none":
            return []
        if self.target_transform == "scale":
            return [LocalStandardScaler()]
        return [Differences([max(ctx.season_length, 1)]), LocalStandardScaler()]

    def _lag_transforms(self, ctx: ModelContext, reach: int) -> dict[int, list[Any]]:
        """A rolling mean over the last season (shortened to ``reach`` so short series keep
        training rows) and, when series hold five seasons, a seasonal rolling mean."""
        from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean

        m = max(ctx.season_length, 1)
        out: dict[int, list[Any]] = {1: [RollingMean(window_size=max(min(m, reach), 1))]}
        if m > 1 and m * 5 <= reach:
            out[m] = [SeasonalRollingMean(season_length=m, window_size=4)]
        return out

    def _regressors(self, ctx: ModelContext) -> dict[str, Any]:
        from lightgbm import LGBMRegressor

        base = {**self.lgb_params, "random_state": ctx.seed, "verbosity": -1}
        models = {MEAN: LGBMRegressor(objective="regression", **base)}
        if self.quantile_method == "quantile":
            for q in ctx.quantiles:
                models[quantile_column(q)] = LGBMRegressor(objective="quantile", alpha=q, **base)
        return models

    def required_length(self, ctx: ModelContext) -> int:
        """Seasonal differencing needs more than one season; conformal needs two windows."""
        need = self.min_length
        if self.target_transform == "difference":
            need = max(need, ctx.season_length + 1)
        if self.quantile_method == "conformal":
            need = max(need, 2 * ctx.horizon + 1)
        return need

    # ---- fit -----------------------------------------------------------------------------
    def fit(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None = None,
        static: pd.DataFrame | None = None,
    ) -> LightGBM:
        check_train(train)
        train = fill_missing(train[[ITEM_ID, TIMESTAMP, TARGET]])
        train = train.assign(**{ITEM_ID: train[ITEM_ID].astype(str)})
        self._static = typed_static(static)
        self._related_cols = related_columns(related)
        static_cols = [c for c in (self._static.columns if self._static is not None else [])
                       if c != ITEM_ID]
        self._static_cols = static_cols
        self._calibrator = None
        if self.quantile_method == "residual":
            # on the full history: windows further back keep the same number of training rows
            self._calibrator = self._calibrate(self._with_covariates(train, related), train, ctx)
        if self.max_rows_per_series:
            train = self._recent(train)
        df = self._with_covariates(train, related)
        self._mlf = self._fit_mlf(df, ctx)
        self.ctx = ctx
        self._items = pd.Index(train[ITEM_ID].unique())
        self._last = train.groupby(ITEM_ID, sort=True)[TIMESTAMP].max()
        self._nonneg = bool((train[TARGET] >= 0).all())
        self._cold = self._fit_cold(df, ctx)
        return self

    def _fit_mlf(self, df: pd.DataFrame, ctx: ModelContext) -> Any:
        """A fitted MLForecast on ``df`` (item_id, timestamp, target + covariates)."""
        from mlforecast import MLForecast
        from mlforecast.utils import PredictionIntervals

        # features must leave training rows: keep lags within half the typical series length
        typical = int(df.groupby(ITEM_ID, sort=False).size().median())
        reach = max(typical // 2, 1)
        lags = [lag for lag in (self.lags or default_lags(ctx.season_length, ctx.horizon))
                if lag <= reach] or [1]
        transforms = self._lag_transforms(ctx, reach)
        mlf = MLForecast(
            models=self._regressors(ctx),
            freq=ctx.freq,
            lags=lags,
            lag_transforms=transforms,
            date_features=self._date_features(ctx),
            target_transforms=self._target_transforms(ctx),
            num_threads=self.n_jobs,
        )
        intervals = None
        if self.quantile_method == "conformal":
            intervals = PredictionIntervals(n_windows=2, h=ctx.horizon)
        try:
            with _quiet():
                mlf.fit(
                    df.rename(columns={ITEM_ID: UID, TIMESTAMP: DS, TARGET: "y"}),
                    static_features=self._static_cols,
                    prediction_intervals=intervals,
                )
        except Exception as e:  # mlforecast/lightgbm raise assorted errors
            raise ModelError(f"LightGBM failed to fit: {type(e).__name__}: {e}") from e
        return mlf

    def _recent(self, frame: pd.DataFrame, fewer: int = 0) -> pd.DataFrame:
        """The last ``max_rows_per_series - fewer`` rows of each series (all when unset)."""
        if not self.max_rows_per_series:
            return frame
        rows = self.max_rows_per_series - fewer
        return frame.groupby(ITEM_ID, sort=False).tail(rows if rows > 0 else
                                                       self.max_rows_per_series)

    def _calibrate(
        self, df: pd.DataFrame, train: pd.DataFrame, ctx: ModelContext
    ) -> ResidualQuantiles | None:
        """Fit on all but the last ``horizon`` steps, learn quantile offsets on those steps.

        A small panel gives few residuals per window (3 series x 24 steps = 72), too few for
        the 10% and 90% quantiles, so more holdout windows, each one horizon further back, are
        added until about :data:`MIN_RESIDUALS` residuals (at most
        :data:`MAX_CALIBRATION_WINDOWS`, and only for long series: the windows span at most
        1/:data:`LONG_SERIES` of the typical series); a big panel keeps one window and its
        cost."""
        h = ctx.horizon
        sizes = df.groupby(ITEM_ID, sort=False)[TIMESTAMP].transform("size")
        step_back = df.groupby(ITEM_ID, sort=False).cumcount(ascending=False)
        n_usable = int(df.loc[sizes > 2 * h, ITEM_ID].nunique())
        n_windows = min(MAX_CALIBRATION_WINDOWS,
                        max(1, -(-MIN_RESIDUALS // max(n_usable * h, 1))),
                        max(1, int(sizes.median()) // (LONG_SERIES * h)))
        tails, forecasts = [], []
        for k in range(n_windows):
            usable = sizes > (k + 2) * h
            head = df[usable & (step_back >= (k + 1) * h)]
            tail = df[usable & (step_back >= k * h) & (step_back < (k + 1) * h)]
            if head.empty:
                break
            # as many rows as the calibration of the most recent window always had
            fcst = self._holdout_forecast(self._recent(head, fewer=h), tail, ctx)
            tails.append(tail.assign(**{WINDOW_KEY: k}))
            forecasts.append(fcst.assign(**{WINDOW_KEY: k}))
        if not forecasts:
            return None
        self._scale = series_scale(self._recent(train), ctx.season_length)
        return ResidualQuantiles(ctx.quantiles, h).fit(
            pd.concat(tails, ignore_index=True), pd.concat(forecasts, ignore_index=True),
            self._scale)

    def _holdout_forecast(
        self, head: pd.DataFrame, tail: pd.DataFrame, ctx: ModelContext
    ) -> pd.DataFrame:
        """Mean forecast of ``tail``'s steps by a model fitted on ``head``."""
        mlf = self._fit_mlf(head, ctx)
        items = list(head[ITEM_ID].unique())
        x_df = None
        if self._related_cols:
            x_df = tail[[ITEM_ID, TIMESTAMP, *self._related_cols]].rename(
                columns={ITEM_ID: UID, TIMESTAMP: DS})
        try:
            with _quiet():
                fcst = mlf.predict(h=ctx.horizon, X_df=x_df, ids=items)
        except Exception as e:  # mlforecast raises ValueError/KeyError on bad X_df
            raise ModelError(f"LightGBM calibration failed: {type(e).__name__}: {e}") from e
        return fcst.rename(columns={UID: ITEM_ID, DS: TIMESTAMP})

    def _with_covariates(
        self, train: pd.DataFrame, related: pd.DataFrame | None
    ) -> pd.DataFrame:
        df = train
        if related is not None and self._related_cols:
            rel = related.assign(**{ITEM_ID: related[ITEM_ID].astype(str)})
            df = df.merge(rel[[ITEM_ID, TIMESTAMP, *self._related_cols]],
                          on=[ITEM_ID, TIMESTAMP], how="left")
        if self._static is not None:
            df = df.merge(self._static, on=ITEM_ID, how="left")
        return df

    def _fit_cold(self, df: pd.DataFrame, ctx: ModelContext) -> ColdStartModel | None:
        if self._static is None or not self._cold_items().size:
            return None
        params = {**self.lgb_params, "n_estimators": 100}
        cold = ColdStartModel(ctx.quantiles, self._date_features(ctx), params, seed=ctx.seed)
        return cold.fit(df, self._static, self._related_cols)

    def _cold_items(self) -> pd.Index:
        if self._static is None:
            return pd.Index([])
        return pd.Index(self._static[ITEM_ID].unique()).difference(self._items)

    # ---- predict -------------------------------------------------------------------------
    def predict(
        self,
        future_related: pd.DataFrame | None = None,
        items: list[str] | None = None,
    ) -> pd.DataFrame:
        if self._mlf is None or self.ctx is None:
            raise ModelError("LightGBM must be fitted before predict")
        ctx = self.ctx
        if self._related_cols and future_related is None:
            raise ModelError(
                f"LightGBM was trained with related covariates {self._related_cols}; "
                "predict needs their future values"
            )
        cold_known = self._cold_items()
        wanted = (self._items.append(cold_known) if items is None
                  else pd.Index([str(i) for i in items]))
        unknown = wanted.difference(self._items).difference(cold_known)
        if len(unknown):
            raise ModelError(
                f"No history and no item metadata for {len(unknown)} item(s), "
                f"e.g. {list(unknown[:5])}: cannot forecast them"
            )
        warm = wanted.intersection(self._items)
        cold = wanted.intersection(cold_known)
        parts = []
        if len(warm):
            parts.append(self._predict_warm(list(warm), future_related))
        if len(cold):
            parts.append(self._predict_cold(cold, future_related))
        frame = pd.concat(parts, ignore_index=True)
        if self._nonneg:  # never forecast below zero for data that never goes below zero
            cols = [MEAN, *(quantile_column(q) for q in ctx.quantiles)]
            frame[cols] = frame[cols].clip(lower=0.0)
        return finalize(frame, ctx.quantiles)

    def _future_x(self, future_related: pd.DataFrame | None, items: pd.Index) -> Any:
        if not self._related_cols or future_related is None:
            return None
        missing = [c for c in self._related_cols if c not in future_related.columns]
        if missing:
            raise ModelError(f"Future related covariates lack column(s) {missing}")
        x = future_related.assign(**{ITEM_ID: future_related[ITEM_ID].astype(str)})
        x = x[x[ITEM_ID].isin(items)][[ITEM_ID, TIMESTAMP, *self._related_cols]]
        return x.rename(columns={ITEM_ID: UID, TIMESTAMP: DS})

    def _predict_warm(self, items: list[str], future_related: pd.DataFrame | None) -> pd.DataFrame:
        ctx = self.ctx
        assert ctx is not None  # fitted, checked by predict
        x_df = self._future_x(future_related, pd.Index(items))
        if x_df is not None:
            x_df = self._complete_future(x_df, items)
        levels = None
        if self.quantile_method == "conformal":
            levels = levels_for(ctx.quantiles) or None
        try:
            with _quiet():
                fcst = self._mlf.predict(h=ctx.horizon, X_df=x_df, ids=items, level=levels)
        except Exception as e:  # mlforecast raises ValueError/KeyError on bad X_df
            raise ModelError(f"LightGBM failed to predict: {type(e).__name__}: {e}") from e
        if self.quantile_method == "conformal":
            return from_intervals(fcst, MEAN, ctx.quantiles)
        out = fcst.rename(columns={UID: ITEM_ID, DS: TIMESTAMP})
        if self.quantile_method == "residual":
            out = self._residual_quantiles(out)
        return out[[ITEM_ID, TIMESTAMP, MEAN, *(quantile_column(q) for q in ctx.quantiles)]]

    def _residual_quantiles(self, fcst: pd.DataFrame) -> pd.DataFrame:
        """Quantiles = mean + scale * offsets; the mean itself when calibration was impossible."""
        assert self.ctx is not None
        if self._calibrator is None:
            for q in self.ctx.quantiles:
                fcst[quantile_column(q)] = fcst[MEAN]
            return fcst
        return self._calibrator.apply(fcst, self._scale)

    def _complete_future(self, x_df: pd.DataFrame, items: list[str]) -> pd.DataFrame:
        """Future covariate rows for every (item, step); missing ones are an error."""
        assert self.ctx is not None and self._last is not None
        grid = future_timestamps(self._last.loc[items], self.ctx.freq, self.ctx.horizon)
        grid = grid.rename(columns={ITEM_ID: UID, TIMESTAMP: DS})
        full = grid.merge(x_df, on=[UID, DS], how="left")
        if full[self._related_cols].isna().all(axis=1).any():
            bad = full[full[self._related_cols].isna().all(axis=1)].iloc[0]
            raise ModelError(
                f"Future related covariates miss item {bad[UID]!r} at {bad[DS]}; they must "
                f"cover the {self.ctx.horizon} steps after each series' end"
            )
        return full

    def _predict_cold(self, items: pd.Index, future_related: pd.DataFrame | None) -> pd.DataFrame:
        assert self.ctx is not None and self._last is not None and self._static is not None
        if self._cold is None:
            raise ModelError("Cold-start items need item metadata at fit time")
        end = pd.Series(self._last.max(), index=items)
        future = future_timestamps(end, self.ctx.freq, self.ctx.horizon)
        if self._related_cols and future_related is not None:
            rel = future_related.assign(**{ITEM_ID: future_related[ITEM_ID].astype(str)})
            future = future.merge(rel[[ITEM_ID, TIMESTAMP, *self._related_cols]],
                                  on=[ITEM_ID, TIMESTAMP], how="left")
        return self._cold.predict(future, self._static, self._related_cols)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence mlforecast's UserWarnings (notes on short series and null lag features)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield

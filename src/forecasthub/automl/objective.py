"""Fast metric evaluation on aligned backtest arrays, for ensemble search.

``pred`` has one row per backtest point and columns ``[mean, q_1, ..., q_k]``. The overall
value follows Amazon's SUMMARY: the metric per window, averaged over windows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecasthub.metrics import MAPE, RMSE, WAPE, WQL, check_metric


class Objective:
    """One metric over fixed actuals, windows, series and MASE scales."""

    def __init__(
        self,
        metric: str,
        y: np.ndarray,
        window: np.ndarray,
        series: np.ndarray,
        scale: np.ndarray,
        quantiles: Sequence[float],
    ) -> None:
        check_metric(metric)
        self.metric = metric
        self.y = np.asarray(y, dtype=float)
        self.window = np.unique(window, return_inverse=True)[1]
        self.series = np.unique(series, return_inverse=True)[1]
        self.n_windows = int(self.window.max()) + 1 if self.y.size else 0
        self.n_series = int(self.series.max()) + 1 if self.y.size else 0
        self.q = np.asarray(quantiles, dtype=float)
        # (window, series) cells for MASE: mean |err| per cell / scale, averaged per window.
        cell_keys = self.window * max(self.n_series, 1) + self.series
        cells, self.cell = np.unique(cell_keys, return_inverse=True)
        self.cell_window = cells // max(self.n_series, 1)
        self.cell_n = np.bincount(self.cell)
        self.cell_scale = np.bincount(self.cell, weights=scale) / self.cell_n
        self.abs_y_w = np.bincount(self.window, weights=np.abs(self.y), minlength=self.n_windows)
        self.n_w = np.bincount(self.window, minlength=self.n_windows)
        nz = self.y != 0
        self.nz = nz
        self.nz_w = np.bincount(self.window, weights=nz.astype(float), minlength=self.n_windows)
        self.inv_abs_y = np.where(nz, 1.0 / np.where(nz, np.abs(self.y), 1.0), 0.0)

    def point_loss(self, pred: np.ndarray) -> np.ndarray:
        """Per-point loss whose sum over a series ranks forecasts of that series."""
        err = self.y - pred[:, 0]
        if self.metric == WQL:
            diff = self.y[:, None] - pred[:, 1:]
            return np.maximum(self.q * diff, (self.q - 1.0) * diff).mean(axis=1)
        if self.metric == RMSE:
            return err**2
        if self.metric == MAPE:
            return np.abs(err) * self.inv_abs_y
        return np.abs(err)  # WAPE, MASE

    def series_loss(self, pred: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Summed point loss per series (over ``rows`` when given)."""
        loss = self.point_loss(pred)
        if rows is not None:
            loss = np.where(rows, loss, 0.0)
        return np.bincount(self.series, weights=loss, minlength=self.n_series)

    def value(self, pred: np.ndarray, rows: np.ndarray | None = None) -> float:
        """The metric as Amazon's SUMMARY reports it (mean over windows), lower is better."""
        w = self.window
        mask = np.ones_like(self.y, dtype=bool) if rows is None else rows
        loss = np.where(mask, self.point_loss(pred), 0.0)
        by_w = np.bincount(w, weights=loss, minlength=self.n_windows)
        present = np.bincount(w, weights=mask.astype(float), minlength=self.n_windows) > 0
        if self.metric in (WQL, WAPE):
            den = np.bincount(w, weights=np.where(mask, np.abs(self.y), 0.0),
                              minlength=self.n_windows)
            factor = 2.0 if self.metric == WQL else 1.0
            per = factor * by_w / np.where(den > 0, den, np.nan)
        elif self.metric == RMSE:
            n = np.bincount(w, weights=mask.astype(float), minlength=self.n_windows)
            per = np.sqrt(by_w / np.where(n > 0, n, np.nan))
        elif self.metric == MAPE:
            n = np.bincount(w, weights=(mask & self.nz).astype(float), minlength=self.n_windows)
            per = by_w / np.where(n > 0, n, np.nan)
        else:  # MASE
            per = self._mase(loss, mask)
        per = per[present]
        return float(np.nanmean(per)) if np.isfinite(per).any() else float("inf")

    def _mase(self, abs_err: np.ndarray, mask: np.ndarray) -> np.ndarray:
        n = np.bincount(self.cell, weights=mask.astype(float), minlength=self.cell_n.size)
        mae = np.bincount(self.cell, weights=abs_err, minlength=self.cell_n.size)
        ok = (n > 0) & np.isfinite(self.cell_scale) & (self.cell_scale > 0)
        ratio = np.where(ok, mae / np.where(ok, n * self.cell_scale, 1.0), 0.0)
        num = np.bincount(self.cell_window, weights=ratio, minlength=self.n_windows)
        cnt = np.bincount(self.cell_window, weights=ok.astype(float), minlength=self.n_windows)
        return num / np.where(cnt > 0, cnt, np.nan)



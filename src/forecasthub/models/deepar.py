"""DeepAR (Amazon Forecast's DeepAR+) through GluonTS's PyTorch ``DeepAREstimator``.

One autoregressive LSTM across all series, trained on sampled windows. Features, validation /
early stopping, seeding, device, cold start and persistence are shared with the other GluonTS
adapters (:class:`~forecasthub.models.gluonts_common.GluonTSForecaster`): related covariates
-> ``feat_dynamic_real`` (+ a holiday flag), item metadata -> ``feat_static_cat`` /
``feat_static_real``; GluonTS adds the calendar time features and an age feature itself.
Forecasts: ``num_samples`` sample paths per item -> the mean and the requested quantiles.

The fitted object keeps the network weights as a CPU state dict (``_state``); ``_get_predictor()``
rebuilds the GluonTS ``PyTorchPredictor`` from them (also after loading).

Hyperparameters follow Amazon's DeepAR+ names: ``context_length``, ``epochs``,
``learning_rate``, ``num_cells``, ``num_layers``, ``likelihood``
(``student-t``/``negative-binomial``/``gaussian``), plus ``num_batches_per_epoch``.
Defaults are small and CPU friendly (Amazon's are 500 epochs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecasthub.errors import InvalidInputError
from forecasthub.models.features import default_lags
from forecasthub.models.gluonts_common import (
    PREDICT_CHUNK,
    GluonTSForecaster,
    check_hyperparameters,
)

__all__ = ["LIKELIHOODS", "PREDICT_CHUNK", "DeepAR"]

LIKELIHOODS = ("student-t", "negative-binomial", "gaussian")
_LIKELIHOOD_ALIASES = {
    "student-t": "student-t", "studentt": "student-t", "student_t": "student-t",
    "negative-binomial": "negative-binomial", "negativebinomial": "negative-binomial",
    "negative_binomial": "negative-binomial", "gaussian": "gaussian", "normal": "gaussian",
}


def _distr_output(likelihood: str) -> Any:
    from gluonts.torch.distributions import (
        NegativeBinomialOutput,
        NormalOutput,
        StudentTOutput,
    )

    return {"student-t": StudentTOutput, "negative-binomial": NegativeBinomialOutput,
            "gaussian": NormalOutput}[likelihood]()


class DeepAR(GluonTSForecaster):
    """Global autoregressive RNN (GluonTS DeepAR, PyTorch) with probabilistic sample paths."""

    name = "DeepAR"
    estimator_module = "gluonts.torch.model.deepar"
    # Training is a fixed number of batches (epochs x batches/epoch): ~10-60 s on two CPU cores
    # for the defaults, plus sampling per series; expressed per series for AutoML's estimate.
    cost_per_series = 0.05

    def __init__(
        self,
        context_length: int | None = None,
        epochs: int = 20,
        learning_rate: float = 1e-3,
        num_cells: int = 40,
        num_layers: int = 2,
        likelihood: str = "student-t",
        num_batches_per_epoch: int = 50,
        batch_size: int = 32,
        dropout_rate: float = 0.1,
        early_stopping_patience: int = 5,
        num_samples: int = 100,
        lags_seq: list[int] | None = None,
        device: str | None = None,
        n_jobs: int | None = None,
    ) -> None:
        key = _LIKELIHOOD_ALIASES.get(str(likelihood).lower())
        if key is None:
            raise InvalidInputError(
                f"Unknown likelihood {likelihood!r}; valid: {', '.join(LIKELIHOODS)}")
        check_hyperparameters("DeepAR", context_length, learning_rate, epochs=epochs,
                              num_cells=num_cells, num_layers=num_layers,
                              num_batches_per_epoch=num_batches_per_epoch,
                              batch_size=batch_size, num_samples=num_samples)
        self.num_cells = int(num_cells)
        self.num_layers = int(num_layers)
        self.likelihood = key
        self.num_samples = int(num_samples)
        self.lags_seq = None if lags_seq is None else sorted({int(v) for v in lags_seq})
        if self.lags_seq is not None and (not self.lags_seq or self.lags_seq[0] < 1):
            raise InvalidInputError("DeepAR lags_seq must be positive integers")
        self._init_training(context_length, epochs, learning_rate, num_batches_per_epoch,
                            batch_size, dropout_rate, early_stopping_patience, device, n_jobs)

    # ---- estimator ------------------------------------------------------------------------
    def _estimator(self, accelerator: str, root: str | None = None,
                   validation: bool = False) -> Any:
        from gluonts.torch.model.deepar import DeepAREstimator

        assert self.ctx is not None
        return DeepAREstimator(
            freq=self._pfreq,
            prediction_length=self.ctx.horizon,
            context_length=self.context_length or self.ctx.horizon,
            num_layers=self.num_layers,
            hidden_size=self.num_cells,
            lr=self.learning_rate,
            dropout_rate=self.dropout_rate,
            num_feat_dynamic_real=self._num_dynamic(),
            num_feat_static_cat=len(self._cat_cols),
            num_feat_static_real=len(self._real_cols),
            cardinality=self._cardinality() or None,
            distr_output=_distr_output(self.likelihood),
            num_parallel_samples=self.num_samples,
            batch_size=self.batch_size,
            num_batches_per_epoch=self.num_batches_per_epoch,
            lags_seq=self._lags(),
            trainer_kwargs=self._trainer_kwargs(accelerator, root, validation),
        )

    def _lags(self) -> list[int]:
        """Lags fed to the network: recent steps and whole seasons (hourly: 1..24, 48..168),
        not GluonTS's frequency defaults (daily reaches back ~3 years: slow, mostly padding)."""
        assert self.ctx is not None
        if self.lags_seq is not None:
            return list(self.lags_seq)
        return default_lags(self.ctx.season_length, self.ctx.horizon)

    def _check_target(self, finite: np.ndarray) -> None:
        if self.likelihood == "negative-binomial" and (finite < 0).any():
            raise InvalidInputError("DeepAR likelihood negative-binomial needs a non-negative "
                                    "target; use student-t or gaussian")

    def _network_past_length(self, net: Any) -> int:
        return int(net.model._past_length)  # context + the longest lag

    # ---- forecasts ------------------------------------------------------------------------
    def _predict_kwargs(self) -> dict[str, Any]:
        return {"num_samples": self.num_samples}

    def _outputs(self, forecasts: list[Any]) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """Sample paths -> their mean and empirical quantiles."""
        assert self.ctx is not None
        samples = np.stack([np.asarray(f.samples, dtype=float) for f in forecasts])  # (n, s, h)
        samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
        return samples.mean(axis=1), {q: np.quantile(samples, q, axis=1)
                                      for q in self.ctx.quantiles}

"""Temporal Fusion Transformer through GluonTS's PyTorch ``TemporalFusionTransformerEstimator``.

One attention network across all series (Lim et al., 2021) that reads ``context_length`` past
steps and predicts all ``horizon`` steps at once. Features, validation / early stopping,
seeding, device, cold start and persistence are shared with DeepAR
(:class:`~forecasthub.models.gluonts_common.GluonTSForecaster`):

* related series -> known-future ``feat_dynamic_real`` (``dynamic_dims``: one variable per
  covariate, standardised), plus a holiday flag when ``ctx.holidays_country`` is set; GluonTS
  adds the calendar time features of the frequency;
* item metadata: string attributes -> ``feat_static_cat`` with their cardinalities
  (``static_cardinalities``), numeric ones -> ``feat_static_real`` (``static_dims``);
* quantiles: TFT predicts quantiles directly (quantile loss), no sample paths. It is trained on
  exactly the requested quantiles (``ctx.quantiles``) plus 0.5, so every requested quantile is
  an output of the network, never an interpolation. **mean = p50**: the network has no mean
  output, and the median is the point forecast it is trained for. Crossing quantiles are
  sorted per row (:func:`~forecasthub.models.frames.finalize`);
* scaling: each series is divided by its mean |value| before the network and the forecast
  multiplied back (``scale_target``): TFT's quantile loss is in the data's units, so without it
  the largest series dominate training (M4 Hourly: MASE 5.4 -> 2.4, see docs/models.md).

Hyperparameters (GluonTS names): ``context_length`` (default: two horizons or DeepAR's reach
back, a week for hourly data, whichever is longer: TFT has no lags, the context is all the
history it sees), ``hidden_dim``, ``variable_dim``, ``num_heads``, ``dropout_rate``,
``learning_rate``, ``weight_decay``, ``epochs``, ``num_batches_per_epoch``, ``batch_size``,
``early_stopping_patience``. Defaults are small and CPU friendly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.models.base import ModelContext
from forecasthub.models.features import default_lags
from forecasthub.models.gluonts_common import GluonTSForecaster, check_hyperparameters


def trained_quantiles(quantiles: tuple[float, ...] | list[float]) -> list[float]:
    """The quantiles the network learns: the requested ones plus the median, sorted."""
    return sorted({round(float(q), 6) for q in quantiles} | {0.5})


class TFT(GluonTSForecaster):
    """Global Temporal Fusion Transformer (GluonTS, PyTorch) with direct quantile outputs."""

    name = "TFT"
    estimator_module = "gluonts.torch.model.tft"
    scale_target = True  # its quantile loss is in data units: weigh every series alike
    # Measured on two CPU cores: close to DeepAR per training batch (see docs/models.md).
    cost_per_series = 0.05

    def __init__(
        self,
        context_length: int | None = None,
        epochs: int = 20,
        learning_rate: float = 1e-3,
        hidden_dim: int = 32,
        variable_dim: int = 16,
        num_heads: int = 4,
        dropout_rate: float = 0.1,
        weight_decay: float = 1e-8,
        num_batches_per_epoch: int = 50,
        batch_size: int = 32,
        early_stopping_patience: int = 5,
        device: str | None = None,
        n_jobs: int | None = None,
    ) -> None:
        check_hyperparameters("TFT", context_length, learning_rate, epochs=epochs,
                              hidden_dim=hidden_dim, variable_dim=variable_dim,
                              num_heads=num_heads, num_batches_per_epoch=num_batches_per_epoch,
                              batch_size=batch_size)
        if int(hidden_dim) % int(num_heads):
            raise InvalidInputError(f"TFT hidden_dim ({hidden_dim}) must be a multiple of "
                                    f"num_heads ({num_heads})")
        if not 0 <= float(dropout_rate) < 1:
            raise InvalidInputError(f"TFT dropout_rate must be in [0, 1), got {dropout_rate}")
        self.hidden_dim = int(hidden_dim)
        self.variable_dim = int(variable_dim)
        self.num_heads = int(num_heads)
        self.weight_decay = float(weight_decay)
        self._init_training(context_length, epochs, learning_rate, num_batches_per_epoch,
                            batch_size, dropout_rate, early_stopping_patience, device, n_jobs)

    @property
    def quantiles(self) -> list[float]:
        """Quantiles of the network's output layer (after fit: the requested ones + 0.5)."""
        return [] if self.ctx is None else trained_quantiles(self.ctx.quantiles)

    def _context(self) -> int:
        assert self.ctx is not None
        return self._context_for(self.ctx)

    def _context_for(self, ctx: ModelContext) -> int:
        """``context_length``, else two horizons or DeepAR's reach back (its longest default
        lag: a week of hours, four weeks of days, two seasons), whichever is longer."""
        if self.context_length is not None:
            return self.context_length
        reach = max(default_lags(ctx.season_length, ctx.horizon))
        return max(2 * ctx.horizon, reach)

    def _estimator(self, accelerator: str, root: str | None = None,
                   validation: bool = False) -> Any:
        from gluonts.torch.model.tft import TemporalFusionTransformerEstimator

        assert self.ctx is not None
        return TemporalFusionTransformerEstimator(
            freq=self._pfreq,
            prediction_length=self.ctx.horizon,
            context_length=self._context(),
            quantiles=self.quantiles,
            num_heads=self.num_heads,
            hidden_dim=self.hidden_dim,
            variable_dim=self.variable_dim,
            static_dims=[1] * len(self._real_cols) or None,
            dynamic_dims=[1] * self._num_dynamic() or None,
            static_cardinalities=self._cardinality() or None,
            lr=self.learning_rate,
            weight_decay=self.weight_decay,
            dropout_rate=self.dropout_rate,
            batch_size=self.batch_size,
            num_batches_per_epoch=self.num_batches_per_epoch,
            trainer_kwargs=self._trainer_kwargs(accelerator, root, validation),
        )

    def _network_past_length(self, net: Any) -> int:
        return self._context()

    def _outputs(self, forecasts: list[Any]) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """Quantile forecasts -> the requested quantiles (each one the network was trained
        on); the mean is the median."""
        assert self.ctx is not None
        keys = [round(float(k), 6) for k in forecasts[0].forecast_keys] if forecasts else []
        if keys != self.quantiles:
            raise ModelError(f"TFT outputs quantiles {keys}, expected {self.quantiles}")
        arrays = np.stack([np.asarray(f.forecast_array, dtype=float) for f in forecasts])
        by_q = {q: arrays[:, keys.index(round(float(q), 6)), :] for q in self.ctx.quantiles}
        return arrays[:, keys.index(0.5), :], by_q

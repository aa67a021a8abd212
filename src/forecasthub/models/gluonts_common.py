"""Helpers shared by the GluonTS (PyTorch) adapters: availability check, frequency conversion,
seeded/deterministic execution, quiet Lightning training, and :class:`GluonTSForecaster`, the
base of the global deep models (DeepAR, TFT).

Importing this module never imports torch; :func:`deep_available` tells whether the ``deep``
extra (torch, gluonts[torch], lightning) is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import re
import tempfile
import warnings
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError, ModelError
from forecasthub.models.base import Forecaster, ModelContext
from forecasthub.models.covariates import related_columns, typed_static
from forecasthub.models.features import HolidayFlag
from forecasthub.models.frames import check_train, finalize, future_timestamps
from forecasthub.models.quiet import quiet_logs

DEEP_EXTRA_HINT = "install the `deep` extra: pip install 'forecasthub[deep]'"

# gluonts warns on import when neither orjson nor ujson is installed; the CLI printed it to users
warnings.filterwarnings("ignore", message="Using `json`-module for json-handling",
                        category=UserWarning)


def deep_available(thorough: bool = False) -> bool:
    """True when torch, gluonts and lightning are installed. The default check only looks the
    packages up (cheap: the registry runs it at import); ``thorough`` imports them."""
    for module in ("torch", "gluonts", "lightning"):
        if importlib.util.find_spec(module) is None:
            return False
    if not thorough:
        return True
    try:
        with quiet():
            import gluonts.torch  # noqa: F401
            import lightning  # noqa: F401
            import torch  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken or partial install counts as missing
        return False
    return True


def period_freq(freq: str) -> str:
    """The pandas Period frequency for an offset alias: ``MS``/``ME`` -> ``M``, ``QS-JAN`` ->
    ``Q-JAN``, ``YS``/``YE`` -> ``Y``; others unchanged ("h", "D", "W-SUN", "3D", "15min")."""
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.freqstr
    try:
        pd.Period("2024-01-01", freq=name)
        return name
    except (ValueError, TypeError):
        pass
    n = offset.n if offset.n != 1 else ""
    base, _, anchor = offset.name.partition("-")
    base = re.sub(r"^(B?)([MQY])(S|E)$", r"\2", base.upper())
    base = {"A": "Y", "AS": "Y"}.get(base, base)
    if base == "M":
        return f"{n}M"
    return f"{n}{base}-{anchor}" if anchor else f"{n}{base}"


def resolve_accelerator(device: str | None) -> str:
    """``"cpu"`` or ``"gpu"`` from a device setting ``auto``/``cpu``/``gpu``/``cuda``."""
    import torch

    setting = (device or "auto").lower()
    if setting in ("gpu", "cuda") or setting.startswith("cuda:"):
        return "gpu" if torch.cuda.is_available() else "cpu"
    if setting == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    return "cpu"


@contextmanager
def seeded(seed: int, n_threads: int | None = None) -> Iterator[None]:
    """Seed python, numpy and torch (Lightning's seed_everything) and run deterministically;
    the previous RNG states, thread count and determinism flag are restored afterwards."""
    import torch

    py_state = random.getstate()
    np_state = np.random.get_state()
    det = torch.are_deterministic_algorithms_enabled()
    threads = torch.get_num_threads()
    env_seed = os.environ.get("PL_GLOBAL_SEED")
    with torch.random.fork_rng(devices=[]):
        try:
            from lightning.pytorch import seed_everything

            with quiet():
                seed_everything(seed, workers=True, verbose=False)
            torch.use_deterministic_algorithms(True, warn_only=True)
            if n_threads:
                torch.set_num_threads(max(1, int(n_threads)))
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
            torch.use_deterministic_algorithms(det)
            torch.set_num_threads(threads)
            if env_seed is None:
                os.environ.pop("PL_GLOBAL_SEED", None)
            else:
                os.environ["PL_GLOBAL_SEED"] = env_seed


_NOISY_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning",
                  "gluonts")


@contextmanager
def quiet() -> Iterator[None]:
    """Silence Lightning/GluonTS info logs and their UserWarnings (progress, GPU hints)."""
    with quiet_logs(_NOISY_LOGGERS, UserWarning, FutureWarning, DeprecationWarning):
        yield


def state_to_cpu(state: dict[str, Any]) -> dict[str, Any]:
    """A torch state dict with every tensor on the CPU (picklable, device independent)."""
    return {k: v.detach().cpu().clone() for k, v in state.items()}


@contextmanager
def no_nan_warnings() -> Iterator[None]:
    """Silence numpy's 'Mean of empty slice' RuntimeWarning for all-NaN columns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def check_hyperparameters(model: str, context_length: int | None, learning_rate: float,
                          **counts: int) -> None:
    """InvalidInputError unless every count is >= 1, ``context_length`` is None or >= 1 and
    ``learning_rate`` lies in (0, 1)."""
    for label, value in counts.items():
        if int(value) < 1:
            raise InvalidInputError(f"{model} {label} must be at least 1, got {value}")
    if context_length is not None and int(context_length) < 1:
        raise InvalidInputError(f"{model} context_length must be at least 1, got "
                                f"{context_length}")
    if not 0 < float(learning_rate) < 1:
        raise InvalidInputError(f"{model} learning_rate must be in (0, 1), got "
                                f"{learning_rate}")


def mean_level(y: np.ndarray) -> float:
    """Mean |value| of the finite values of ``y``; 1 when there is none or it is 0."""
    finite = np.abs(y[np.isfinite(y)])
    level = float(finite.mean()) if finite.size else 0.0
    return level if level > 0 else 1.0


PREDICT_CHUNK = 256  # items per seeded prediction chunk
COLD_SEED_OFFSET = 1_000_003  # seeds of cold-start chunks, apart from the warm ones


class GluonTSForecaster(Forecaster):
    """A global GluonTS (PyTorch) network across all series; the subclasses say which network
    (:meth:`_estimator`) and how its forecasts become our columns (:meth:`_outputs`).

    What they share, written once here:

    * known-future related covariates -> ``feat_dynamic_real`` (standardised with training-set
      mean/std; predict needs their ``horizon`` future values), plus a holiday flag from the
      ``holidays`` package when ``ctx.holidays_country`` is set; GluonTS adds the calendar
      time features of the frequency;
    * item metadata: string attributes -> ``feat_static_cat`` (codes 0..N-1, mapping kept in
      the fitted object, cardinalities given to the embeddings), numeric ones ->
      ``feat_static_real`` (standardised);
    * early stopping on a validation window: the network trains on each series minus its last
      ``horizon`` points and is scored on that last window (GluonTS validation split);
    * seeded and reproducible on CPU (Lightning ``seed_everything``, deterministic
      algorithms, no data-loader workers); prediction is seeded per fixed chunk of items, so
      asking for a subset of items gives exactly the rows of the full forecast;
    * device: ``device`` (or ``ctx.extra["device"]``): ``auto`` (default: GPU when present),
      ``cpu``, ``gpu``/``cuda``; torch CPU threads: ``n_jobs``, else ``ctx.extra["n_jobs"]``,
      else 1;
    * cold start: an item present only in the item metadata is forecast by the same network
      from a synthetic history: the average scaled recent pattern of the items that share most
      of its categorical attributes, with its own static features and future covariates;
    * persistence: the network weights as a CPU state dict (not the Lightning module), so the
      object pickles through :mod:`persist` and rebuilds the predictor on first use.
    """

    is_global = True
    supports_related = True
    supports_static = True
    min_length = 1
    estimator_module: ClassVar[str]  # e.g. "gluonts.torch.model.deepar" (import check)
    # Divide each series by its mean |value| before the network (and scale the forecast back):
    # for networks whose loss is in the data's units (TFT's quantile loss), so that large
    # series do not dominate training. DeepAR's likelihood needs no such help.
    scale_target: ClassVar[bool] = False

    def _init_training(self, context_length: int | None, epochs: int, learning_rate: float,
                       num_batches_per_epoch: int, batch_size: int, dropout_rate: float,
                       early_stopping_patience: int, device: str | None,
                       n_jobs: int | None) -> None:
        """The training settings every network has (checked by the subclass), then the empty
        fitted state."""
        self.context_length = None if context_length is None else int(context_length)
        self.epochs = int(epochs)
        self.learning_rate = float(learning_rate)
        self.num_batches_per_epoch = int(num_batches_per_epoch)
        self.batch_size = int(batch_size)
        self.dropout_rate = float(dropout_rate)
        self.early_stopping_patience = int(early_stopping_patience)
        self.device = device
        self.n_jobs = n_jobs
        self._init_fitted()

    def _init_fitted(self) -> None:
        """The fitted state, empty."""
        self.ctx: ModelContext | None = None
        self._state: dict[str, Any] | None = None
        self._predictor: Any = None
        self._pfreq: str = ""
        self._items: list[str] = []
        self._targets: dict[str, np.ndarray] = {}
        self._starts: dict[str, pd.Timestamp] = {}
        self._last: pd.Series | None = None
        self._related_cols: list[str] = []
        self._rel_mean: np.ndarray = np.zeros(0)
        self._rel_std: np.ndarray = np.ones(0)
        self._rel_hist: dict[str, np.ndarray] = {}
        self._static: pd.DataFrame | None = None
        self._cat_cols: list[str] = []
        self._real_cols: list[str] = []
        self._categories: dict[str, list[str]] = {}
        self._encoded: dict[str, tuple[list[int], list[float]]] = {}
        self._real_mean: np.ndarray = np.zeros(0)
        self._real_std: np.ndarray = np.ones(0)
        self._holiday: HolidayFlag | None = None
        self._past_length: int = 0
        self._nonneg: bool = True
        self._scales: dict[str, float] = {}
        self.epochs_run: int = 0
        self.best_val_loss: float | None = None

    # ---- what a subclass provides ---------------------------------------------------------
    @abstractmethod
    def _estimator(self, accelerator: str, root: str | None = None,
                   validation: bool = False) -> Any:
        """The GluonTS estimator for the fitted context (trainer from :meth:`_trainer_kwargs`)."""

    @abstractmethod
    def _outputs(self, forecasts: list[Any]) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """GluonTS forecasts of ``n`` items -> mean ``(n, horizon)`` and, for every requested
        quantile, an ``(n, horizon)`` array."""

    def _check_target(self, finite: np.ndarray) -> None:
        """InvalidInputError when the (finite) training values do not suit the network."""

    def _network_past_length(self, net: Any) -> int:
        """Points of history the trained network reads (the cold-start history length)."""
        assert self.ctx is not None
        return int(self.ctx.horizon)

    def _predict_kwargs(self) -> dict[str, Any]:
        """Extra arguments of ``predictor.predict`` (e.g. the number of sample paths)."""
        return {}

    # ---- pickling: weights as a CPU state dict, the predictor is rebuilt on demand ---------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_predictor"] = None
        return state

    # ---- settings -------------------------------------------------------------------------
    def _trainer_kwargs(self, accelerator: str, root: str | None, validation: bool
                        ) -> dict[str, Any]:
        """Lightning trainer: ``epochs``, quiet, deterministic, early stopping on the
        validation loss when there is a validation window."""
        callbacks = []
        if validation and self.early_stopping_patience > 0:
            from lightning.pytorch.callbacks import EarlyStopping

            callbacks.append(EarlyStopping(monitor="val_loss", mode="min",
                                           patience=self.early_stopping_patience))
        trainer_kwargs: dict[str, Any] = {
            "max_epochs": self.epochs,
            "accelerator": accelerator,
            "devices": 1,
            "deterministic": True,
            "logger": False,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "callbacks": callbacks,
        }
        if root is not None:
            trainer_kwargs["default_root_dir"] = root
        return trainer_kwargs

    def _cardinality(self) -> list[int]:
        return [len(self._categories[c]) for c in self._cat_cols]

    def _device_setting(self) -> str | None:
        assert self.ctx is not None
        return self.device or self.ctx.extra.get("device")

    def _threads(self) -> int:
        """Torch CPU threads: ``n_jobs``, else ctx.extra["n_jobs"], else 1 (shared machines)."""
        assert self.ctx is not None
        return int(self.n_jobs or self.ctx.extra.get("n_jobs") or 1)

    # ---- features -------------------------------------------------------------------------
    def _dates(self, start: pd.Timestamp, n: int) -> pd.DatetimeIndex:
        assert self.ctx is not None
        return pd.date_range(start, periods=n, freq=self.ctx.freq)

    def _num_dynamic(self) -> int:
        return len(self._related_cols) + (1 if self._holiday is not None else 0)

    def _dynamic(self, related: np.ndarray | None, start: pd.Timestamp, n: int) -> np.ndarray:
        """(n_features, n) dynamic real features: standardised related + holiday flag."""
        rows = []
        if self._related_cols:
            assert related is not None and related.shape == (len(self._related_cols), n)
            rows.append(related)
        if self._holiday is not None:
            rows.append(self._holiday(self._dates(start, n))[None, :])
        return np.concatenate(rows, axis=0).astype(np.float32)

    def _scale_of(self, item: str, target: np.ndarray) -> float:
        """The divisor of ``item``'s target (1 unless :attr:`scale_target`): its training
        mean |value|, or that of ``target`` for an item without history."""
        if not self.scale_target:
            return 1.0
        if item in self._scales:
            return self._scales[item]
        return mean_level(target)

    def _encode_static(self, row: pd.Series) -> tuple[list[int], list[float]]:
        cats = []
        for col in self._cat_cols:
            value = row[col]
            known = self._categories[col]
            cats.append(known.index(str(value)) if pd.notna(value) and str(value) in known
                        else 0)
        reals = []
        for j, col in enumerate(self._real_cols):
            value = float(row[col])
            reals.append(0.0 if np.isnan(value)
                         else float((value - self._real_mean[j]) / self._real_std[j]))
        return cats, reals

    def _entry(self, item: str, target: np.ndarray, start: pd.Timestamp,
               related: np.ndarray | None, dyn_length: int) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "item_id": item,
            "start": pd.Period(start, freq=self._pfreq),
            "target": (target / self._scale_of(item, target)).astype(np.float32),
        }
        if self._num_dynamic():
            entry["feat_dynamic_real"] = self._dynamic(related, start, dyn_length)
        if item in self._encoded:
            cats, reals = self._encoded[item]
            if self._cat_cols:
                entry["feat_static_cat"] = np.asarray(cats, dtype=np.int64)
            if self._real_cols:
                entry["feat_static_real"] = np.asarray(reals, dtype=np.float32)
        else:
            if self._cat_cols:
                entry["feat_static_cat"] = np.zeros(len(self._cat_cols), dtype=np.int64)
            if self._real_cols:
                entry["feat_static_real"] = np.zeros(len(self._real_cols), dtype=np.float32)
        return entry

    # ---- fit ------------------------------------------------------------------------------
    def fit(
        self,
        train: pd.DataFrame,
        ctx: ModelContext,
        related: pd.DataFrame | None = None,
        static: pd.DataFrame | None = None,
    ) -> GluonTSForecaster:
        check_train(train)
        try:
            import torch  # noqa: F401

            importlib.import_module(self.estimator_module)
        except ImportError as e:
            raise ModelError(f"{self.name} needs torch and gluonts; {e}") from e
        h = ctx.horizon
        frame = train[[ITEM_ID, TIMESTAMP, TARGET]].copy()
        frame[ITEM_ID] = frame[ITEM_ID].astype(str)
        frame = frame.sort_values([ITEM_ID, TIMESTAMP], kind="stable")
        values = frame[TARGET].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            raise InvalidInputError(f"{self.name}: the training target has no values")
        self._check_target(finite)
        self.ctx = ctx
        self._pfreq = period_freq(ctx.freq)
        self._nonneg = bool((finite >= 0).all())
        self._holiday = HolidayFlag(ctx.holidays_country) if ctx.holidays_country else None

        groups = frame.groupby(ITEM_ID, sort=True)
        self._items = [str(i) for i in groups.groups]
        self._targets = {str(i): g[TARGET].to_numpy(dtype=np.float32) for i, g in groups}
        self._starts = {str(i): pd.Timestamp(g[TIMESTAMP].iloc[0]) for i, g in groups}
        self._last = groups[TIMESTAMP].max()
        self._last.index = self._last.index.astype(str)
        self._scales = ({i: mean_level(y) for i, y in self._targets.items()}
                        if self.scale_target else {})

        self._fit_related(frame, related)
        self._fit_static(static)

        # training: each series minus its last horizon; validation: the last horizon window
        train_data, val_data = [], []
        for item in self._items:
            y = self._targets[item]
            rel = self._rel_hist.get(item)
            if len(y) >= 2 * h:
                cut = len(y) - h
                train_data.append(self._entry(item, y[:cut], self._starts[item],
                                              None if rel is None else rel[:, :cut], cut))
                val_data.append(self._entry(item, y, self._starts[item], rel, len(y)))
            elif len(y) >= h:
                train_data.append(self._entry(item, y, self._starts[item], rel, len(y)))
        if not train_data:
            raise ModelError(f"{self.name} needs at least one series with {h} (horizon) points")
        use_val = bool(val_data)
        accelerator = resolve_accelerator(self._device_setting())
        with seeded(ctx.seed, self._threads()), quiet(), \
                tempfile.TemporaryDirectory(prefix=f"{self.name.lower()}-") as root:
            estimator = self._estimator(accelerator, root, validation=use_val)
            try:
                out = estimator.train_model(training_data=train_data,
                                            validation_data=val_data if use_val else None)
            except Exception as e:  # torch/lightning/gluonts raise assorted errors
                raise ModelError(f"{self.name} failed to train: {type(e).__name__}: {e}") from e
            self._state = state_to_cpu(out.trained_net.state_dict())
            self._past_length = self._network_past_length(out.trained_net)
            self.epochs_run = int(out.trainer.current_epoch)
            scores = [cb.best_model_score for cb in out.trainer.checkpoint_callbacks
                      if cb.best_model_score is not None]
            # best validation loss (the weights kept); the best training loss without holdout
            self.best_val_loss = float(min(scores)) if use_val and scores else None
        self._predictor = None
        return self

    def _fit_related(self, frame: pd.DataFrame, related: pd.DataFrame | None) -> None:
        self._related_cols = related_columns(related)
        self._rel_hist = {}
        if not self._related_cols:
            self._rel_mean, self._rel_std = np.zeros(0), np.ones(0)
            return
        assert related is not None
        rel = related.assign(**{ITEM_ID: related[ITEM_ID].astype(str)})
        merged = frame[[ITEM_ID, TIMESTAMP]].merge(
            rel[[ITEM_ID, TIMESTAMP, *self._related_cols]], on=[ITEM_ID, TIMESTAMP], how="left")
        x = merged[self._related_cols].to_numpy(dtype=float)
        mean = np.nanmean(x, axis=0) if np.isfinite(x).any() else np.zeros(x.shape[1])
        std = np.nanstd(x, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
        self._rel_mean, self._rel_std = mean, std
        z = np.nan_to_num((x - mean) / std, nan=0.0).astype(np.float32)
        bounds = np.cumsum([0] + [len(self._targets[i]) for i in self._items])
        for k, item in enumerate(self._items):  # frame is sorted by item like self._items
            self._rel_hist[item] = z[bounds[k]:bounds[k + 1]].T.copy()

    def _fit_static(self, static: pd.DataFrame | None) -> None:
        self._static = typed_static(static)
        self._cat_cols, self._real_cols, self._categories = [], [], {}
        self._encoded = {}
        if self._static is None:
            return
        for col in self._static.columns:
            if col == ITEM_ID:
                continue
            if isinstance(self._static[col].dtype, pd.CategoricalDtype):
                self._cat_cols.append(col)
                self._categories[col] = [str(c) for c in self._static[col].cat.categories]
            else:
                self._real_cols.append(col)
        if self._real_cols:
            x = self._static[self._real_cols].to_numpy(dtype=float)
            mean = np.nanmean(x, axis=0) if np.isfinite(x).any() else np.zeros(x.shape[1])
            std = np.nanstd(x, axis=0)
            self._real_mean = np.where(np.isfinite(mean), mean, 0.0)
            self._real_std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
        self._encoded = {str(row[ITEM_ID]): self._encode_static(row)
                         for _, row in self._static.iterrows()}

    # ---- predict --------------------------------------------------------------------------
    def _get_predictor(self) -> Any:
        """The GluonTS ``PyTorchPredictor`` rebuilt from the stored weights (cached)."""
        if self._predictor is None:
            assert self._state is not None
            accelerator = resolve_accelerator(self._device_setting())
            with quiet():
                estimator = self._estimator(accelerator)
                module = estimator.create_lightning_module()
                module.load_state_dict(self._state)
                module.eval()
                predictor = estimator.create_predictor(estimator.create_transformation(),
                                                       module)
                predictor.to("cuda" if accelerator == "gpu" else "cpu")
            self._predictor = predictor
        return self._predictor

    def _cold_items(self) -> list[str]:
        if self._static is None:
            return []
        known = set(self._items)
        return sorted(i for i in self._static[ITEM_ID] if i not in known)

    def predict(
        self,
        future_related: pd.DataFrame | None = None,
        items: list[str] | None = None,
    ) -> pd.DataFrame:
        if self._state is None or self.ctx is None:
            raise ModelError(f"{self.name} must be fitted before predict")
        ctx = self.ctx
        if self._related_cols and future_related is None:
            raise ModelError(
                f"{self.name} was trained with related covariates {self._related_cols}; "
                "predict needs their future values")
        cold_known = self._cold_items()
        if items is None:
            wanted = set(self._items) | set(cold_known)
        else:
            wanted = {str(i) for i in items}
        unknown = sorted(wanted - set(self._items) - set(cold_known))
        if unknown:
            raise ModelError(
                f"No history and no item metadata for {len(unknown)} item(s), "
                f"e.g. {unknown[:5]}: cannot forecast them")
        future = self._future_related(future_related)
        parts = []
        for group, offset in ((self._items, 0), (cold_known, COLD_SEED_OFFSET)):
            for c in range(0, len(group), PREDICT_CHUNK):
                chunk = group[c:c + PREDICT_CHUNK]
                if wanted.intersection(chunk):
                    part = self._predict_chunk(chunk, future, ctx.seed + offset + c)
                    parts.append(part[part[ITEM_ID].isin(wanted)])
        frame = pd.concat(parts, ignore_index=True)
        if self._nonneg:
            cols = [MEAN, *(quantile_column(q) for q in ctx.quantiles)]
            frame[cols] = frame[cols].clip(lower=0.0)
        return finalize(frame, ctx.quantiles)

    def _future_related(self, future_related: pd.DataFrame | None) -> pd.DataFrame | None:
        if not self._related_cols or future_related is None:
            return None
        missing = [c for c in self._related_cols if c not in future_related.columns]
        if missing:
            raise ModelError(f"Future related covariates lack column(s) {missing}")
        out = future_related.assign(**{ITEM_ID: future_related[ITEM_ID].astype(str)})
        return out[[ITEM_ID, TIMESTAMP, *self._related_cols]]

    def _future_matrix(self, future: pd.DataFrame | None, item: str,
                       last: pd.Timestamp) -> np.ndarray | None:
        """(n_related, horizon) standardised future covariates of ``item`` after ``last``."""
        if not self._related_cols:
            return None
        assert self.ctx is not None and future is not None
        stamps = pd.date_range(last, periods=self.ctx.horizon + 1, freq=self.ctx.freq)[1:]
        rows = future[future[ITEM_ID] == item].drop_duplicates(TIMESTAMP).set_index(TIMESTAMP)
        x = rows.reindex(stamps)[self._related_cols].to_numpy(dtype=float)
        gaps = np.isnan(x).all(axis=1)
        if gaps.any():
            raise ModelError(
                f"Future related covariates miss item {item!r} at {stamps[gaps.argmax()]}; "
                f"they must cover the {self.ctx.horizon} steps after each series' end")
        z = np.nan_to_num((x - self._rel_mean) / self._rel_std, nan=0.0)
        return z.T.astype(np.float32)

    def _predict_chunk(self, chunk: list[str], future: pd.DataFrame | None,
                       seed: int) -> pd.DataFrame:
        assert self.ctx is not None and self._last is not None
        ctx = self.ctx
        h = ctx.horizon
        known = set(self._items)
        entries, lasts, scales = [], {}, []
        for item in chunk:
            if item in known:
                y, start = self._targets[item], self._starts[item]
                hist = self._rel_hist.get(item)
                last = self._last[item]
            else:
                y, hist, start, last = self._cold_history(item)
            lasts[item] = last
            fut = self._future_matrix(future, item, last)
            rel = None if fut is None else np.concatenate([hist, fut], axis=1)
            entries.append(self._entry(item, y, start, rel, len(y) + h))
            scales.append(self._scale_of(item, y))
        predictor = self._get_predictor()
        with seeded(seed, self._threads()), quiet():
            try:
                forecasts = list(predictor.predict(entries, **self._predict_kwargs()))
            except Exception as e:  # torch/gluonts raise assorted errors
                raise ModelError(f"{self.name} failed to predict: {type(e).__name__}: {e}") from e
        out = future_timestamps(pd.Series(lasts), ctx.freq, h)
        mean, quantiles = self._outputs(forecasts)
        factor = np.asarray(scales, dtype=float)[:, None]
        out[MEAN] = np.nan_to_num(mean * factor, nan=0.0, posinf=0.0, neginf=0.0).ravel()
        for q in ctx.quantiles:
            out[quantile_column(q)] = np.nan_to_num(quantiles[q] * factor, nan=0.0, posinf=0.0,
                                                    neginf=0.0).ravel()
        return out

    # ---- cold start -----------------------------------------------------------------------
    def _peers(self, item: str) -> list[str]:
        """Warm items sharing the most categorical attributes with ``item`` (all if none)."""
        if self._static is None or not self._cat_cols:
            return list(self._items)
        rows = self._static.set_index(ITEM_ID)
        warm = [i for i in self._items if i in rows.index]
        if not warm:
            return list(self._items)
        mine = rows.loc[item, self._cat_cols].astype(str).to_numpy()
        theirs = rows.loc[warm, self._cat_cols].astype(str).to_numpy()
        score = (theirs == mine).sum(axis=1)
        if score.max() == 0:
            return list(self._items)
        return [w for w, s in zip(warm, score, strict=True) if s == score.max()]

    def _cold_history(
        self, item: str
    ) -> tuple[np.ndarray, np.ndarray | None, pd.Timestamp, pd.Timestamp]:
        """Synthetic recent history for a new item: its peers' average scaled pattern at their
        average level, ending at the latest training timestamp."""
        assert self.ctx is not None and self._last is not None
        peers = self._peers(item)
        n = max(1, min(self._past_length, max(len(self._targets[p]) for p in peers)))
        patterns, levels, rels = [], [], []
        for p in peers:
            y = self._targets[p][-n:].astype(float)
            pad = n - len(y)
            scale = np.nanmean(np.abs(y)) if np.isfinite(y).any() else np.nan
            if np.isfinite(scale) and scale > 0:
                patterns.append(np.concatenate([np.full(pad, np.nan), y / scale]))
                levels.append(scale)
            if self._related_cols:
                r = self._rel_hist[p][:, -n:]
                rels.append(np.concatenate([np.full((r.shape[0], pad), np.nan), r], axis=1))
        if patterns:
            with np.errstate(all="ignore"), no_nan_warnings():
                shape = np.nanmean(np.stack(patterns), axis=0)
            y = shape * float(np.mean(levels))
        else:
            y = np.zeros(n)
        y = np.where(np.isfinite(y), y, np.nan)
        hist = None
        if self._related_cols:
            with np.errstate(all="ignore"), no_nan_warnings():
                hist = np.nan_to_num(np.nanmean(np.stack(rels), axis=0), nan=0.0)
            hist = hist.astype(np.float32)
        last = pd.Timestamp(self._last.max())
        start = pd.date_range(end=last, periods=n, freq=self.ctx.freq)[0]
        return y.astype(np.float32), hist, start, last

"""SageMaker DeepAR inference over a trained predictor: real-time requests and batch transform.

Request (real time): ``{"instances": [{"start", "target", "cat", "dynamic_feat"}, ...],
"configuration": {"num_samples": 100, "output_types": ["mean", "quantiles", "samples"],
"quantiles": ["0.1", "0.5", "0.9"]}}`` -> ``{"predictions": [{"mean": [...], "quantiles":
{"0.1": [...], ...}, "samples": [[...], ...]}, ...]}``. Batch transform: one instance per input
line, one prediction object per output line, in input order; the configuration comes from
``DEEPAR_INFERENCE_CONFIG`` (or the CLI's ``--config``). Only the requested output types are
returned; quantile keys are the strings asked for. Every array has the predictor's horizon
(its prediction_length) of values, starting one step after the last target point.

How a predictor answers:

* GluonTS-based models (DeepAR, and any adapter built on
  :class:`~forecasthub.models.gluonts_common.GluonTSForecaster`): each instance's own history
  (target with NaN gaps, ``cat`` as the model's category codes, ``dynamic_feat`` in the units of
  the related time series, history + horizon) goes straight to the fitted GluonTS predictor;
  ``num_samples`` sample paths are drawn (seeded: the same request gives the same answer) and
  mean / quantiles / samples are computed from them. ``cat`` codes number the values of each
  string metadata attribute the model was trained on in
  :func:`~forecasthub.sagemaker.convert.category_order` (sorted; numerically for whole-number
  text), exactly as ``forecasthub sagemaker export`` writes them in ``mapping.json``.
* other algorithms (ETS, ARIMA, SeasonalNaive, LightGBM ...): a fresh, unfitted copy of the
  predictor's algorithm (same settings and model context) is fitted on the instances'
  histories and forecasts them (with the per-series fallback AutoML uses for too-short series);
  they return mean and quantiles, and asking them for ``samples`` is an error.
* an AutoML ensemble: its GluonTS member with the largest weight answers; an ensemble without
  one is refused (a blend of refitted local models is not what a DeepAR endpoint returns; train
  a single-algorithm predictor for it).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasthub.columns import ITEM_ID, MEAN, TARGET, TIMESTAMP, quantile_column
from forecasthub.errors import InvalidInputError, ModelError, NotFoundError
from forecasthub.sagemaker.jsonlines import (
    JsonLinesError,
    JsonLinesWriter,
    Series,
    dumps,
    parse_object,
    read_series,
)

ENV_CONFIG = "DEEPAR_INFERENCE_CONFIG"
OUTPUT_TYPES = ("mean", "quantiles", "samples")
DEFAULT_QUANTILES = ("0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9")
MAX_SAMPLES = 10_000
CHUNK = 256  # instances per model call in batch transform
_CACHE_SIZE = 4


# -- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InferenceConfig:
    """DeepAR's ``configuration``: defaults as SageMaker's batch transform documents them."""

    num_samples: int = 100
    output_types: tuple[str, ...] = ("mean", "quantiles")
    quantiles: tuple[str, ...] = DEFAULT_QUANTILES

    @property
    def quantile_values(self) -> tuple[float, ...]:
        return tuple(float(q) for q in self.quantiles)

    @classmethod
    def parse(cls, value: Any, where: str = "configuration") -> InferenceConfig:
        """From a dict or JSON text; InvalidInputError naming the bad member."""
        if value is None or value == "":
            return cls()
        if isinstance(value, (str, bytes)):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{where} is not valid JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise InvalidInputError(f"{where} must be a JSON object with num_samples, "
                                    "output_types and quantiles")
        unknown = sorted(set(value) - {"num_samples", "output_types", "quantiles"})
        if unknown:
            raise InvalidInputError(f"{where} has unknown member(s) {unknown}; valid: "
                                    "num_samples, output_types, quantiles")
        num = value.get("num_samples", cls.num_samples)
        if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num <= MAX_SAMPLES:
            raise InvalidInputError(f"{where}.num_samples must be an integer from 1 to "
                                    f"{MAX_SAMPLES}, got {num!r}")
        types = value.get("output_types", list(cls.output_types))
        if not isinstance(types, list) or not types:
            raise InvalidInputError(f"{where}.output_types must be a non-empty list of "
                                    f"{', '.join(OUTPUT_TYPES)}")
        bad = [t for t in types if t not in OUTPUT_TYPES]
        if bad:
            raise InvalidInputError(f"{where}.output_types has invalid value(s) {bad}; valid: "
                                    f"{', '.join(OUTPUT_TYPES)}")
        quantiles = value.get("quantiles", list(cls.quantiles))
        if not isinstance(quantiles, list) or ("quantiles" in types and not quantiles):
            raise InvalidInputError(f"{where}.quantiles must be a list of strings such as "
                                    '["0.1", "0.5", "0.9"]')
        keys = []
        for q in quantiles:
            if isinstance(q, bool) or not isinstance(q, (str, int, float)):
                raise InvalidInputError(f"{where}.quantiles: {q!r} is not a quantile")
            text = q.strip() if isinstance(q, str) else str(q)
            try:
                number = float(text)
            except ValueError:
                raise InvalidInputError(f"{where}.quantiles: {q!r} is not a number") from None
            if not 0 < number < 1:
                raise InvalidInputError(f"{where}.quantiles: {q!r} must lie strictly between 0 "
                                        "and 1")
            if text in keys:
                raise InvalidInputError(f"{where}.quantiles lists {text!r} twice")
            keys.append(text)
        return cls(num, tuple(dict.fromkeys(types)), tuple(keys))

    @classmethod
    def from_env(cls, value: str | None = None) -> InferenceConfig:
        """``value`` (e.g. the CLI's --config), else ``DEEPAR_INFERENCE_CONFIG``, else defaults."""
        if value:
            return cls.parse(value, "--config")
        env = os.environ.get(ENV_CONFIG)
        return cls.parse(env, ENV_CONFIG) if env else cls()


# -- loading a predictor -------------------------------------------------------------------------


@dataclass
class LoadedPredictor:
    arn: str
    name: str
    artifact_key: str
    frequency: str
    horizon: int
    model: Any  # the stored Forecaster (FallbackForecaster / WeightedEnsemble / a model)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)  # one call at a time


_cache: OrderedDict[str, LoadedPredictor] = OrderedDict()
_cache_lock = threading.Lock()


def predictor_arn(hub: Any, predictor: str) -> str:
    if not isinstance(predictor, str) or not predictor.strip():
        raise InvalidInputError("a predictor name or ARN is required")
    predictor = predictor.strip()
    return predictor if predictor.startswith("arn:") else hub.arn("predictor", predictor)


def resolve_predictor(hub: Any, predictor: str | None = None,
                      dataset_group: str | None = None) -> str:
    """The predictor ARN: the one named, else the model deployed (or pinned) for the group."""
    if predictor:
        return predictor_arn(hub, predictor)
    if dataset_group:
        from forecasthub.registry import resolve_model

        return str(resolve_model(hub, dataset_group)["PredictorArn"])
    raise InvalidInputError("say which predictor answers: a predictor name or ARN (query "
                            "parameter predictor= or header X-Forecasthub-Predictor), or a "
                            "dataset group whose deployed model answers (dataset_group=)")


def load_predictor(hub: Any, predictor: str) -> LoadedPredictor:
    """The ACTIVE predictor's fitted model from our own store (cached by artifact)."""
    from forecasthub.forecasting.config import PredictorConfig
    from forecasthub.models.base import Forecaster
    from forecasthub.resources import Status
    from forecasthub.services.predictors import get_predictor
    from forecasthub.storage.layout import MODEL_FILE

    arn = predictor_arn(hub, predictor)
    with hub.db.session() as s:
        row = get_predictor(s, arn)
        if row.status != Status.ACTIVE or not row.artifact_key:
            raise InvalidInputError(f"predictor {row.name!r} is {row.status}; it must be ACTIVE "
                                    "to answer inference requests")
        config = PredictorConfig.from_json(row.config)
        name, key = row.name, row.artifact_key
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    if not hub.store.is_committed(key):
        raise NotFoundError(f"the artifacts of predictor {name!r} are missing")
    with hub.store.local_copy(f"{key}/{MODEL_FILE}") as path:
        model = Forecaster.load(path)
    loaded = LoadedPredictor(arn, name, key, config.frequency, config.horizon, model)
    with _cache_lock:
        _cache[key] = loaded
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


# -- engines -------------------------------------------------------------------------------------


def _is_gluonts(model: Any) -> bool:
    return all(hasattr(model, a) for a in ("_get_predictor", "_entry", "_state",
                                           "_related_cols", "_cat_cols", "_categories"))


def _unwrap(model: Any, name: str) -> tuple[Any, str]:
    """(the model that answers, its algorithm name) for a stored predictor model."""
    from forecasthub.automl.ensemble import WeightedEnsemble
    from forecasthub.automl.fallback import FallbackForecaster

    if isinstance(model, WeightedEnsemble):
        deep = [(w, n) for n, w in model.weights.items()
                if w > 0 and _is_gluonts(model.members[n].primary)]
        if not deep:
            members = ", ".join(f"{n} ({w:.2f})" for n, w in model.weights.items() if w > 0)
            raise InvalidInputError(
                f"predictor {name!r} is an AutoML ensemble of {members} without a GluonTS "
                "(DeepAR) member; DeepAR-style inference needs one model: train a predictor "
                "with AlgorithmArn arn:aws:forecast:::algorithm/Deep_AR_Plus (or another single "
                "algorithm)")
        best = max(deep)[1]
        return _unwrap(model.members[best], name)
    if isinstance(model, FallbackForecaster):
        if _is_gluonts(model.primary):
            for part, _ in model._parts:  # the fitted network (series it could not take were
                if type(part) is type(model.primary):  # handed to simpler models)
                    return part, model.primary.name
            raise ModelError(f"predictor {name!r}: its {model.primary.name} network was never "
                             "fitted (every series fell back to a simpler model)")
        return model, model.primary.name
    return model, getattr(model, "name", type(model).__name__)


class Engine:
    """Answers DeepAR requests with one loaded predictor."""

    def __init__(self, loaded: LoadedPredictor) -> None:
        self.loaded = loaded
        self.model, self.algorithm = _unwrap(loaded.model, loaded.name)
        self.gluonts = _is_gluonts(self.model)
        ctx = getattr(self.model, "ctx", None)
        if ctx is None:
            raise ModelError(f"predictor {loaded.name!r} holds no fitted model context")
        self.ctx = ctx
        self.horizon = int(ctx.horizon)
        # instance cat code -> the model's code: codes follow category_order of the values, as
        # `sagemaker export` writes them (the model itself sorts them as text)
        self.cat_codes: list[np.ndarray] = []
        if self.gluonts:
            from forecasthub.sagemaker.convert import category_order

            for col in self.model._cat_cols:
                known = [str(v) for v in self.model._categories[col]]
                self.cat_codes.append(np.asarray([known.index(v) for v in category_order(known)],
                                                 dtype=np.int64))

    # -- validation of one instance against the model ------------------------------------------
    def check(self, series: Series) -> None:
        h = self.horizon
        if self.gluonts:
            cats = list(self.model._cat_cols)
            n_dyn = len(self.model._related_cols)
        else:
            cats, n_dyn = [], series.n_dynamic  # local models take what they can use
        if cats:
            if series.cat is None:
                raise series.error(f"the model was trained with {len(cats)} categorical "
                                   f"feature(s) {cats}; every instance needs cat", "cat")
            if len(series.cat) != len(cats):
                raise series.error(f"has {len(series.cat)} cat value(s); the model has "
                                   f"{len(cats)} categorical feature(s) {cats}", "cat")
            for j, (code, col) in enumerate(zip(series.cat, cats, strict=True)):
                cardinality = len(self.model._categories[col])
                if code >= cardinality:
                    raise series.error(f"cat[{j}] = {code} is out of range: feature {col!r} has "
                                       f"{cardinality} categories (codes 0..{cardinality - 1})",
                                       "cat")
        elif self.gluonts and series.cat is not None:
            raise series.error("the model was trained without categorical features; omit cat",
                               "cat")
        if self.gluonts and n_dyn and series.dynamic_feat is None:
            raise series.error(f"the model was trained with {n_dyn} dynamic feature(s) "
                               f"{list(self.model._related_cols)}; every instance needs "
                               f"dynamic_feat with len(target) + {h} values each",
                               "dynamic_feat")
        if self.gluonts and not n_dyn and series.dynamic_feat is not None:
            raise series.error("the model was trained without dynamic features; omit "
                               "dynamic_feat", "dynamic_feat")
        if series.dynamic_feat is not None:
            if series.n_dynamic != n_dyn:
                raise series.error(f"has {series.n_dynamic} dynamic feature(s); the model has "
                                   f"{n_dyn}", "dynamic_feat")
            need = len(series.target) + h
            got = series.dynamic_feat.shape[1]
            if got != need:
                raise series.error(f"each dynamic_feat list has {got} values but needs "
                                   f"len(target) + prediction_length = {len(series.target)} + "
                                   f"{h} = {need}", "dynamic_feat")

    # -- prediction ------------------------------------------------------------------------------
    def predict(self, instances: list[Series], config: InferenceConfig) -> list[dict[str, Any]]:
        """One prediction object per instance, in order."""
        if not instances:
            return []
        for series in instances:
            self.check(series)
        if self.gluonts:
            return self._predict_gluonts(instances, config)
        return self._predict_local(instances, config)

    def _predict_gluonts(self, instances: list[Series], config: InferenceConfig
                         ) -> list[dict[str, Any]]:
        from forecasthub.models.gluonts_common import quiet, seeded

        model, h = self.model, self.horizon
        entries, scales = [], []
        for k, series in enumerate(instances):
            related = None
            if model._related_cols:
                assert series.dynamic_feat is not None
                mean = np.asarray(model._rel_mean, dtype=float)[:, None]
                std = np.asarray(model._rel_std, dtype=float)[:, None]
                related = np.nan_to_num((series.dynamic_feat - mean) / std).astype(np.float32)
            start = pd.Timestamp(series.start)
            name = f"__sagemaker_instance_{k}"
            entry = model._entry(name, series.target.astype(np.float32), start, related,
                                 len(series.target) + h)
            # models trained on scaled targets (TFT) see the instance divided by its level
            scales.append(float(model._scale_of(name, series.target)))
            if model._cat_cols:
                assert series.cat is not None
                entry["feat_static_cat"] = np.asarray(
                    [codes[c] for codes, c in zip(self.cat_codes, series.cat, strict=True)],
                    dtype=np.int64)
            entries.append(entry)
        predictor = model._get_predictor()
        kwargs = dict(model._predict_kwargs()) if hasattr(model, "_predict_kwargs") else {}
        if "num_samples" in kwargs:
            kwargs["num_samples"] = config.num_samples
        with self.loaded.lock, seeded(int(self.ctx.seed), model._threads()), quiet():
            try:
                forecasts = list(predictor.predict(entries, **kwargs))
            except Exception as e:  # torch/gluonts raise assorted errors
                raise ModelError(f"{self.algorithm} failed to predict: {type(e).__name__}: "
                                 f"{e}") from e
        nonneg = bool(getattr(model, "_nonneg", False))
        out = []
        for forecast, scale in zip(forecasts, scales, strict=True):
            samples = getattr(forecast, "samples", None)
            if samples is not None:
                paths = np.nan_to_num(np.asarray(samples, dtype=float) * scale, nan=0.0,
                                      posinf=0.0, neginf=0.0)[:, :h]
                if nonneg:
                    paths = np.maximum(paths, 0.0)
                mean = paths.mean(axis=0)
                quantiles = {key: np.quantile(paths, q, axis=0) for key, q in
                             zip(config.quantiles, config.quantile_values, strict=True)}
            else:  # a quantile forecast (e.g. TFT): no sample paths
                if "samples" in config.output_types:
                    raise InvalidInputError(f"predictor {self.loaded.name!r} ({self.algorithm}) "
                                            "forecasts quantiles, not sample paths; ask for "
                                            "output_types mean and quantiles")
                paths = None
                mean = np.asarray(forecast.mean, dtype=float)[:h] * scale
                quantiles = {key: np.asarray(forecast.quantile(q), dtype=float)[:h] * scale
                             for key, q in zip(config.quantiles, config.quantile_values,
                                               strict=True)}
                if nonneg:
                    mean = np.maximum(mean, 0.0)
                    quantiles = {k: np.maximum(v, 0.0) for k, v in quantiles.items()}
            out.append(_prediction(config, mean, quantiles, paths))
        return out

    def _predict_local(self, instances: list[Series], config: InferenceConfig
                       ) -> list[dict[str, Any]]:
        from forecasthub.automl.fallback import FallbackForecaster

        if "samples" in config.output_types:
            raise InvalidInputError(
                f"predictor {self.loaded.name!r} ({self.algorithm}) does not draw sample paths; "
                'ask for output_types "mean" and/or "quantiles"')
        template = self.model.primary if isinstance(self.model, FallbackForecaster) \
            else self.model
        fresh = FallbackForecaster(_unfitted(template), stage="sagemaker inference")
        qs = tuple(sorted(set(config.quantile_values))) or (0.5,)
        ctx = dataclasses.replace(self.ctx, quantiles=qs)
        h = self.horizon
        ids = [f"i{k:08d}" for k in range(len(instances))]
        frames, related, statics = [], [], []
        for item, series in zip(ids, instances, strict=True):
            n = len(series.target)
            stamps = pd.date_range(pd.Timestamp(series.start), periods=n + h, freq=ctx.freq)
            frames.append(pd.DataFrame({ITEM_ID: item, TIMESTAMP: stamps[:n],
                                        TARGET: series.target}))
            if series.dynamic_feat is not None and template.supports_related:
                related.append(pd.DataFrame({ITEM_ID: item, TIMESTAMP: stamps, **{
                    f"feat_{j}": series.dynamic_feat[j] for j in range(series.n_dynamic)}}))
            if series.cat is not None and template.supports_static:
                statics.append({ITEM_ID: item, **{f"cat_{j}": str(c)
                                                  for j, c in enumerate(series.cat)}})
        train = pd.concat(frames, ignore_index=True)
        rel = pd.concat(related, ignore_index=True) if related and \
            len(related) == len(instances) else None
        static = pd.DataFrame(statics) if statics and len(statics) == len(instances) else None
        try:
            fresh.fit(train, ctx, related=rel, static=static)
            forecast = fresh.predict(rel, items=ids)
        except (ModelError, ValueError, ArithmeticError) as e:
            raise ModelError(f"{self.algorithm} could not forecast the instances: {e}") from e
        out = []
        grouped = {k: g.sort_values(TIMESTAMP) for k, g in forecast.groupby(ITEM_ID, sort=False)}
        for item in ids:
            g = grouped[item]
            mean = g[MEAN].to_numpy(dtype=float)
            quantiles = {key: g[quantile_column(q)].to_numpy(dtype=float)
                         for key, q in zip(config.quantiles, config.quantile_values,
                                           strict=True)}
            out.append(_prediction(config, mean, quantiles, None))
        return out


def _unfitted(model: Any) -> Any:
    """A fresh copy of ``model``'s configuration (its fitted state cleared where we can)."""
    fresh = copy.deepcopy(model)
    if hasattr(fresh, "_init_fitted"):
        fresh._init_fitted()
    return fresh


def _finite(values: np.ndarray) -> list[float]:
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0,
                         neginf=0.0).tolist()


def _prediction(config: InferenceConfig, mean: np.ndarray, quantiles: dict[str, np.ndarray],
                samples: np.ndarray | None) -> dict[str, Any]:
    """One prediction object with exactly the requested output types (SageMaker's keys)."""
    out: dict[str, Any] = {}
    if quantiles:  # non-decreasing in q, whatever the model did
        keys = sorted(quantiles, key=float)
        stacked = np.sort(np.stack([quantiles[k] for k in keys]), axis=0)
        quantiles = {k: stacked[i] for i, k in enumerate(keys)}
    for kind in config.output_types:
        if kind == "mean":
            out["mean"] = _finite(mean)
        elif kind == "quantiles":
            out["quantiles"] = {key: _finite(quantiles[key]) for key in config.quantiles}
        elif kind == "samples":
            assert samples is not None
            out["samples"] = [_finite(path) for path in samples]
    return out


# -- entry points --------------------------------------------------------------------------------


def engine_for(hub: Any, predictor: str) -> Engine:
    return Engine(load_predictor(hub, predictor))


def parse_request(body: Any, source: str = "request") -> tuple[list[Series], InferenceConfig]:
    """The real-time request JSON -> (instances, configuration); errors name the instance."""
    if not isinstance(body, dict):
        raise InvalidInputError('the request must be a JSON object {"instances": [...], '
                                '"configuration": {...}}')
    unknown = sorted(set(body) - {"instances", "configuration"})
    if unknown:
        raise InvalidInputError(f"the request has unknown member(s) {unknown}; valid: "
                                "instances, configuration")
    config = InferenceConfig.parse(body.get("configuration"))
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances:
        raise InvalidInputError("instances must be a non-empty list of time series")
    where = f"{source} instances"
    series = [parse_object(obj, source=where, line=i) for i, obj in enumerate(instances, 1)]
    return series, config


def invoke(engine: Engine, body: Any) -> dict[str, Any]:
    """Answer one real-time request: ``{"predictions": [...]}``."""
    instances, config = parse_request(body)
    return {"predictions": engine.predict(instances, config)}


def predict_stream(engine: Engine, series: Iterable[Series], config: InferenceConfig,
                   chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """Predictions for a stream of instances, ``chunk`` at a time, in order."""
    batch: list[Series] = []
    for s in series:
        batch.append(s)
        if len(batch) >= chunk:
            yield from engine.predict(batch, config)
            batch = []
    if batch:
        yield from engine.predict(batch, config)


def batch_transform(hub: Any, predictor: str, input_path: str, output_path: str,
                    config: InferenceConfig | None = None) -> dict[str, Any]:
    """JSON Lines instances (plain or gzip) -> JSON Lines predictions, one per line, in order;
    the output file appears only when every line succeeded."""
    from forecasthub.services import paths

    config = config or InferenceConfig.from_env()
    source = paths.resolve_local(str(input_path), hub.settings.import_roots)
    if not source.is_file():
        raise InvalidInputError(f"{input_path} is not a file")
    target = paths.resolve_local(str(output_path), hub.settings.import_roots, must_exist=False)
    engine = engine_for(hub, predictor)
    with JsonLinesWriter(target) as out:
        for prediction in predict_stream(engine, read_series(source, source=str(input_path)),
                                         config):
            out.write(dumps(prediction))
        if out.count == 0:
            raise JsonLinesError("the input has no instances (no non-blank line)",
                                 file=str(input_path))
    return {"PredictorArn": engine.loaded.arn, "Algorithm": engine.algorithm,
            "Instances": out.count, "Horizon": engine.horizon, "Output": str(output_path),
            "Configuration": dataclasses.asdict(config)}

"""Search spaces on Optuna: samplers, suggestions per range, and the distributions that let a
resumed job hand its recorded trials back to a fresh study (``study.add_trial``).

Scaling: ``Linear`` samples uniformly; ``Logarithmic`` uses Optuna's ``log=True`` (uniform in
log space) for integer and continuous ranges; ``ReverseLogarithmic`` (continuous ranges inside
[0, 1)) samples ``u = 1 - value`` with ``log=True`` on ``[1 - MaxValue, 1 - MinValue]``, so
values close to 1 are explored more finely, as SageMaker's reverse logarithmic scale does.
Optuna sees the internal parameter ``u``; the trial records and the model get ``1 - u``.
"""

from __future__ import annotations

from typing import Any

from forecasthub.tuning.config import CATEGORICAL, CONTINUOUS, INTEGER, ParameterRange


def make_sampler(strategy: str, seed: int, max_trials: int = 10) -> Any:
    """Bayesian -> TPE (seeded; constant liar for parallel trials; random start-up trials: a
    third of the budget, 2 to 10), Random -> RandomSampler (seeded)."""
    import optuna

    if strategy == "Bayesian":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True,
                                          n_startup_trials=min(10, max(2, max_trials // 3)))
    return optuna.samplers.RandomSampler(seed=seed)


def make_study(strategy: str, seed: int, name: str, max_trials: int = 10) -> Any:
    """An in-memory study (our own table is the persistent record of the trials)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="minimize", sampler=make_sampler(strategy, seed, max_trials),
                               study_name=name)


def _reverse_bounds(r: ParameterRange) -> tuple[float, float]:
    assert r.low is not None and r.high is not None
    return 1.0 - r.high, 1.0 - r.low


def distribution(r: ParameterRange) -> Any:
    """The Optuna distribution of a range's internal parameter."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if r.type == CATEGORICAL:
        return CategoricalDistribution(list(r.labels))
    assert r.low is not None and r.high is not None
    if r.type == INTEGER:
        return IntDistribution(int(r.low), int(r.high), log=r.scaling == "Logarithmic")
    if r.scaling == "ReverseLogarithmic":
        low, high = _reverse_bounds(r)
        return FloatDistribution(low, high, log=True)
    return FloatDistribution(r.low, r.high, log=r.scaling == "Logarithmic")


def suggest(trial: Any, r: ParameterRange) -> tuple[Any, Any]:
    """(typed value for the model, internal value Optuna recorded) of one range."""
    if r.type == CATEGORICAL:
        label = trial.suggest_categorical(r.name, list(r.labels))
        return r.values[r.labels.index(label)], label
    assert r.low is not None and r.high is not None
    if r.type == INTEGER:
        value = trial.suggest_int(r.name, int(r.low), int(r.high),
                                  log=r.scaling == "Logarithmic")
        return int(value), int(value)
    if r.type == CONTINUOUS and r.scaling == "ReverseLogarithmic":
        low, high = _reverse_bounds(r)
        u = trial.suggest_float(r.name, low, high, log=True)
        return min(max(1.0 - u, r.low), r.high), u
    value = trial.suggest_float(r.name, r.low, r.high, log=r.scaling == "Logarithmic")
    return float(value), float(value)


def internal_value(r: ParameterRange, value: Any) -> Any:
    """The internal parameter for a recorded typed value (for ``study.add_trial``)."""
    if r.type == CATEGORICAL:
        from forecasthub.tuning.hyperparameters import as_string

        return as_string(value)
    if r.type == INTEGER:
        return int(value)
    if r.scaling == "ReverseLogarithmic":
        low, high = _reverse_bounds(r)
        return min(max(1.0 - float(value), low), high)
    return float(value)


def replay(study: Any, ranges: list[ParameterRange], params: dict[str, Any],
           value: float | None) -> None:
    """Add one recorded trial (typed params; value None = failed) to ``study``."""
    import optuna
    from optuna.trial import TrialState

    internal = {r.name: internal_value(r, params[r.name]) for r in ranges if r.name in params}
    dists = {r.name: distribution(r) for r in ranges if r.name in internal}
    if value is None:
        trial = optuna.trial.create_trial(state=TrialState.FAIL, params=internal,
                                          distributions=dists)
    else:
        trial = optuna.trial.create_trial(value=value, params=internal, distributions=dists)
    study.add_trial(trial)

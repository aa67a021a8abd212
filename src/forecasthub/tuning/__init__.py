"""Hyperparameter tuning jobs with SageMaker's semantics (CreateHyperParameterTuningJob ...):
static hyperparameters plus integer, continuous and categorical ranges (linear, logarithmic or
reverse-logarithmic scaling), an objective metric measured on a validation window, Bayesian
(Optuna TPE) or random search, every trial recorded; the best trial becomes a predictor.

* :mod:`.hyperparameters` - what each algorithm accepts, typed conversion, model building
* :mod:`.config` - request parsing and validation
* :mod:`.search` - Optuna samplers, suggestions, replay of recorded trials
* :mod:`.validation` - the validation window and one trial's metrics
* :mod:`.runner` - a job's run: trials, parallelism, stop, resume, the best predictor
"""

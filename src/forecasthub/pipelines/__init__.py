"""Automation: the landing watcher, the inference and retraining pipelines, schedules.

    inference:  import -> forecast with the deployed (or pinned) model -> export -> SQL catalog
                [-> drift check]
    retraining: import -> predictor -> evaluation -> registration -> approval -> deployment

Each pass is a pipeline run (table ``pipeline_runs``) with every step's state, attempts,
duration and outputs; see :mod:`forecasthub.pipelines.watch` (the loop),
:mod:`forecasthub.pipelines.config` (the YAML), :mod:`forecasthub.pipelines.inference` and
:mod:`forecasthub.pipelines.retrain`.
"""

"""Automation: landing-folder watcher and the inference pipeline it runs.

    import -> forecast with the deployed (or pinned) model -> export -> SQL catalog refresh

Each pass is a pipeline run (table ``pipeline_runs``) with every step's state. See
:mod:`forecasthub.pipelines.watch` for the YAML and :mod:`forecasthub.pipelines.inference`.
"""

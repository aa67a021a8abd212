"""Tuning DeepAR (SageMaker DeepAR's hyperparameter names) for a few tiny trials (slow)."""

from __future__ import annotations

import pytest

from forecasthub.models.registry import deep_models_available
from tests.tuning.conftest import job_request

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not deep_models_available(), reason="needs the deep extra")]


def test_deepar_tuning_with_sagemaker_names(shop) -> None:
    fh = shop["fh"]
    ranges = {
        "IntegerParameterRanges": [{"Name": "num_cells", "MinValue": "4", "MaxValue": "16",
                                    "ScalingType": "Logarithmic"}],
        "ContinuousParameterRanges": [{"Name": "learning_rate", "MinValue": "1e-3",
                                       "MaxValue": "1e-2", "ScalingType": "Logarithmic"},
                                      {"Name": "dropout_rate", "MinValue": "0.0",
                                       "MaxValue": "0.2", "ScalingType": "Linear"}],
    }
    static = {"epochs": "1", "num_layers": "1", "context_length": "14", "mini_batch_size": "16",
              "num_batches_per_epoch": "5", "likelihood": "student-T", "num_eval_samples": "20",
              "prediction_length": "7", "time_freq": "D"}
    req = job_request(shop["group"], name="deepar-tune", algorithm="Deep_AR_Plus", trials=2,
                      static=static, ranges=ranges)
    fh.create_hyper_parameter_tuning_job(wait=True, **req)
    job = fh.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="deepar-tune")
    assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
    trials = fh.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="deepar-tune")["TrainingJobSummaries"]
    assert len(trials) == 2
    assert all(t["TrainingJobStatus"] == "Completed" for t in trials), trials
    for t in trials:
        assert 4 <= int(t["TunedHyperParameters"]["num_cells"]) <= 16
    predictor = fh.describe_predictor(PredictorArn=job["BestPredictorArn"])
    assert predictor["Status"] == "ACTIVE", predictor.get("Message")
    assert predictor["AlgorithmArn"].endswith(("/Deep_AR_Plus", "/DeepAR"))
    params = predictor["TrainingParameters"]
    assert params["mini_batch_size"] == "16" and params["epochs"] == "1"
    assert params["num_cells"] == job["BestTrainingJob"]["TunedHyperParameters"]["num_cells"]
    assert "prediction_length" not in params  # restated the horizon; not a model parameter

"""SageMaker DeepAR compatibility: its JSON Lines datasets and its batch / real-time inference.

* :mod:`.jsonlines` -- the format: streamed, validated reading and atomic writing;
* :mod:`.convert` -- JSON Lines <-> a dataset group (TTS, RTS from ``dynamic_feat``, item
  metadata from ``cat``), with the categorical mapping kept in ``mapping.json``;
* :mod:`.inference` -- DeepAR's request/response (``instances`` + ``configuration`` ->
  ``predictions``) and batch transform over a trained predictor;
* :mod:`.api` -- ``POST /invocations`` (and ``/api/v1/sagemaker/invocations``).

See docs/sagemaker.md.
"""

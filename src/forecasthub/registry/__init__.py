"""Model registry: predictors as approved / rejected model versions, one deployed per group.

See :mod:`forecasthub.registry.versions`.
"""

from forecasthub.registry.versions import (
    APPROVED,
    PENDING,
    REJECTED,
    STATUSES,
    deploy,
    deployed_version,
    describe_version,
    history,
    list_versions,
    on_predictor_trained,
    register_predictor,
    resolve_model,
    rollback,
    set_rule,
    set_status,
)

__all__ = ["APPROVED", "PENDING", "REJECTED", "STATUSES", "deploy", "deployed_version",
           "describe_version", "history", "list_versions", "on_predictor_trained",
           "register_predictor", "resolve_model", "rollback", "set_rule", "set_status"]

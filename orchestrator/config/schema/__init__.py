"""Strict models of the configuration files (phase one: what the user wrote), one module per
file: `settings` (`orchestrator.yaml`), `environment` (`environments/<name>.yaml`),
`pulumi_project` (a project's `Pulumi.yaml`); `packs` holds the policy pack settings both
kinds of file take, `base` the strict base model and the checks of shared values.

Unknown keys are errors. Field descriptions feed the configuration reference in docs
(`python -m orchestrator.docs_gen`).
"""

from orchestrator.config.schema.base import EnvVarName, Strict
from orchestrator.config.schema.environment import (
    ALERT_EVENTS,
    AlertEvent,
    AwsModel,
    DriftModel,
    EnvironmentModel,
    NotifyModel,
    ReviewModel,
    UnmanagedModel,
)
from orchestrator.config.schema.packs import EnvironmentPolicyModel, PackModel, PolicyModel, PolicyPackModel
from orchestrator.config.schema.pulumi_project import PulumiProjectModel
from orchestrator.config.schema.settings import (
    CiModel,
    CommentModel,
    InstallModel,
    OrchestratorModel,
    ProjectModel,
    TrustModel,
    VcsModel,
)

__all__ = [
    "ALERT_EVENTS",
    "AlertEvent",
    "AwsModel",
    "CiModel",
    "CommentModel",
    "DriftModel",
    "EnvVarName",
    "EnvironmentModel",
    "EnvironmentPolicyModel",
    "InstallModel",
    "NotifyModel",
    "OrchestratorModel",
    "PackModel",
    "PolicyModel",
    "PolicyPackModel",
    "ProjectModel",
    "PulumiProjectModel",
    "ReviewModel",
    "Strict",
    "TrustModel",
    "UnmanagedModel",
    "VcsModel",
]

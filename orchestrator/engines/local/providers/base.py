"""The contract between the local engine's step executor and a built-in provider.

Inputs arrive as the SDK sends them: camelCase keys, numbers as floats, secret values
already unwrapped (the engine re-marks secrets itself). A provider never sees the unknown
marker in `create`/`update` (those run only on a real update); `check` and `diff` may
see it during a preview and must treat it as "will change".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orchestrator.engines.base import PropertyDiff
from orchestrator.models import AwsSettings

# The SDK's marker for a value not known during a preview.
UNKNOWN_MARKER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class ProviderError(Exception):
    """A failure the user can act on (bad input, cloud refused, resource missing)."""


@dataclass(frozen=True)
class ProviderContext:
    """Where a provider acts. `aws.endpoint` is a resolved URL or None (real AWS)."""

    project: str
    stack: str
    aws: AwsSettings
    manifests_dir: Path
    config: dict[str, Any] = field(default_factory=dict)
    # An explicit aws.Provider's per-service endpoints (boto3 service name → URL) and its
    # assumeRole block (roleArn is in `aws.role_arn`; sessionName, externalId here).
    endpoints: Mapping[str, str] = field(default_factory=dict)
    assume_role: Mapping[str, Any] = field(default_factory=dict)
    program_dir: Path | None = None  # where the program lives (local commands run there)


@dataclass(frozen=True)
class DiffResult:
    changed: bool
    diffs: tuple[PropertyDiff, ...] = ()
    replace_paths: tuple[str, ...] = ()  # properties whose change forces a replace
    delete_before_replace: bool = False

    @property
    def replace(self) -> bool:
        return bool(self.replace_paths)


@dataclass(frozen=True)
class ReadResult:
    id: str
    outputs: dict[str, Any]


class ResourceProvider(Protocol):
    def check(self, urn: str, name: str, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        """Validate and normalize inputs; fill autonames (reusing the old name when present)."""
        ...

    def diff(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult: ...

    def preview_outputs(self, urn: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Outputs shown for a create/replace during a preview: computed ones are UNKNOWN_MARKER."""
        ...

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]: ...

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        """The live object, or None when it no longer exists."""
        ...

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]: ...

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None: ...

"""The values `orchestrator init` works with: what it found, what it proposes, what it wrote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from orchestrator.config.resolved import InstallSource
from orchestrator.stackrefs import StackReferenceSite

CiKind = Literal["github", "gitlab", "none"]
EngineKind = Literal["local", "pulumi"]
# How generated CI gets AWS credentials for the pulumi engine: the CI's OIDC token exchanged for a
# role (no stored keys), or static keys in secrets (the documented fallback).
AwsCredentials = Literal["oidc", "keys"]
EnvKind = Literal["dev", "staging", "other", "prod"]
ActionKind = Literal[
    "written", "overwritten", "appended", "skipped", "would write", "would overwrite", "would append", "would skip"
]

ENVIRONMENTS_DIR = "environments"
# GitHub runs scheduled workflows at most every 5 minutes; 15 is the documented choice when
# environments differ: `orchestrator drift --due` then runs only those whose cron fell due.
FALLBACK_DRIFT_CRON = "*/15 * * * *"


@dataclass(frozen=True)
class InitOptions:
    ci: CiKind = "github"
    engine: EngineKind = "local"
    force: bool = False
    matrix_threshold: int = 10
    dry_run: bool = False
    python_version: str = "3.11"
    review: bool = False  # review stacks: enabled in the first unprotected environment, and their workflow
    aws_credentials: AwsCredentials = "oidc"


@dataclass(frozen=True)
class DetectedProject:
    name: str
    directory: str  # posix, relative to the repository root; "." at the root
    runtime: str
    stacks: tuple[str, ...]  # names from the project's Pulumi.<stack>.yaml files
    regions: Mapping[str, str] = field(default_factory=dict)  # stack -> its `aws:region` config
    reads: tuple[StackReferenceSite, ...] = ()  # the StackReferences of its programs (other projects only)


@dataclass(frozen=True)
class Detection:
    root: Path
    projects: tuple[DetectedProject, ...]
    branches: tuple[str, ...]
    default_branch: str
    shared_dirs: tuple[str, ...]
    remote_repo: str | None  # owner/name from the origin remote, when it names one
    requirements: tuple[str, ...] = ()  # the projects' requirements.txt files, for CI installs


@dataclass(frozen=True)
class ProposedEnvironment:
    name: str
    kind: EnvKind
    branch: str
    order: int
    stack_name: str  # the template; a literal when the Pulumi stack name is not a valid env name
    protected: bool
    approvals: int
    requires: tuple[str, ...]
    projects: tuple[str, ...] | None
    region: str
    drift_schedule: str
    why: str  # one line on how the branch and gates were chosen


@dataclass(frozen=True)
class Proposal:
    stacks_dir: str
    environments_dir: str
    watch: tuple[str, ...]
    environments: tuple[ProposedEnvironment, ...]
    tracked_branches: tuple[str, ...]
    drift_cron: str
    notes: tuple[str, ...]
    install: InstallSource | None = None  # where CI installs the orchestrator from (see install.py)


@dataclass(frozen=True)
class GeneratedFile:
    path: str  # posix, relative to the repository root
    content: str
    purpose: str


@dataclass(frozen=True)
class FileAction:
    path: str
    action: ActionKind
    reason: str


@dataclass(frozen=True)
class InitResult:
    root: Path
    detection: Detection
    proposal: Proposal
    files: tuple[GeneratedFile, ...]
    actions: tuple[FileAction, ...]
    notes: tuple[str, ...]
    dry_run: bool
    next_steps: tuple[str, ...] = ()  # the commands to run next, to a first pull-request comment

"""The model of `orchestrator.yaml`, the repository-wide settings: where stacks and
environments live, per-project options, the VCS host, the PR comment, trust, the store's
database, policy packs and how generated CI installs the orchestrator."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from orchestrator.config.schema.base import EnvVarName, Strict, path_globs
from orchestrator.config.schema.packs import PolicyModel


class ProjectModel(Strict):
    depends_on: list[str] = Field(default_factory=list, description="Projects this one reads outputs from.")
    watch: list[str] = Field(default_factory=list, description="Extra globs whose changes affect this project.")
    environments: list[str] | None = Field(None, description="Environments this project is deployed to; default all.")

    @field_validator("watch")
    @classmethod
    def _watch(cls, globs: list[str]) -> list[str]:
        return path_globs(globs)


class VcsModel(Strict):
    provider: Literal["github", "gitlab", "files"] = Field("github", description="Where comments and statuses go.")
    repo: str | None = Field(None, description="`owner/name` (GitHub) or project path (GitLab).")
    token_env: EnvVarName = Field("GITHUB_TOKEN", description="Environment variable holding the API token.")
    api_url: str | None = Field(None, description="API base URL (GitHub Enterprise, self-hosted GitLab).")


class CommentModel(Strict):
    max_chars: int = Field(65536, ge=2000, description="Size budget of the PR comment in characters.")
    group_identical: bool = Field(True, description="Show identical change sets across environments once.")


class TrustModel(Strict):
    users: list[str] = Field(default_factory=list, description="Users whose pull requests are previewed.")
    teams: list[str] = Field(
        default_factory=list,
        description="Teams (`org/team`) whose members are trusted; needs a token that can read the organization's "
        "teams, which GitHub Actions' GITHUB_TOKEN cannot (see security.md).",
    )
    min_permission: Literal["read", "triage", "write", "maintain", "admin"] = Field(
        "write", description="Repository permission that makes an author trusted."
    )


class InstallModel(Strict):
    """Where CI installs the orchestrator from: one pinned source, so a workflow runs exactly that code."""

    git: str | None = Field(
        None, description="The orchestrator's git repository (`https://...`), installed at `commit`."
    )
    commit: str | None = Field(
        None, pattern=r"^[0-9a-f]{40}$", description="Full commit SHA of `git` to install (40 hex digits)."
    )
    wheel: str | None = Field(None, description="URL (`https://...`) of a wheel of the orchestrator.")
    sha256: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", description="SHA-256 of `wheel`, checked before install."
    )
    requirements: str | None = Field(
        None,
        description="A requirements file in this repository pinning the orchestrator and its dependencies with "
        "hashes (`pip install --require-hashes`).",
    )

    @model_validator(mode="after")
    def _one_pinned_source(self) -> InstallModel:
        given = [name for name in ("git", "wheel", "requirements") if getattr(self, name)]
        if not given and not (self.commit or self.sha256):
            return self  # not configured
        if len(given) != 1:
            raise ValueError("give exactly one of git (with commit), wheel (with sha256) or requirements")
        if self.git and not self.commit:
            raise ValueError("git needs commit: the full SHA to install (a branch or tag can move)")
        if self.wheel and not self.sha256:
            raise ValueError("wheel needs sha256: the hash CI checks before installing it")
        for url in (self.git, self.wheel):
            if url and not url.startswith("https://"):
                raise ValueError(f"{url!r} must be an https:// URL")
        if self.requirements and (self.requirements.startswith("/") or ".." in self.requirements.split("/")):
            raise ValueError(f"{self.requirements!r} must be a file inside the repository")
        return self


class CiModel(Strict):
    install: InstallModel = Field(
        default_factory=lambda: InstallModel(),
        description="How generated CI installs the orchestrator (`orchestrator init` writes the workflows); "
        "unset: where the running orchestrator was installed from, when pip recorded a pin.",
    )


class OrchestratorModel(Strict):
    stacks_dir: str = Field("stacks", description="Directory holding one directory per Pulumi project.")
    environments_dir: str = Field("environments", description="Directory holding `<env>.yaml` files.")
    watch: list[str] = Field(default_factory=list, description="Repo-wide globs whose changes affect every project.")
    projects: dict[str, ProjectModel] = Field(default_factory=dict, description="Per-project settings by name.")
    vcs: VcsModel = Field(default_factory=lambda: VcsModel(), description="Version-control host settings.")
    concurrency: int | None = Field(None, ge=1, description="Stacks run at once; default the number of cores.")
    comment: CommentModel = Field(default_factory=lambda: CommentModel(), description="PR comment settings.")
    trust: TrustModel = Field(default_factory=lambda: TrustModel(), description="Who may trigger previews.")
    database: str | None = Field(
        None, description="SQLAlchemy URL of the store; default SQLite at `.orchestrator/orchestrator.db`."
    )
    policy: PolicyModel = Field(
        default_factory=lambda: PolicyModel(), description="Policy as code: Pulumi policy packs (docs/policy.md)."
    )
    ci: CiModel = Field(default_factory=lambda: CiModel(), description="Generated CI settings.")

    @field_validator("watch")
    @classmethod
    def _watch(cls, globs: list[str]) -> list[str]:
        return path_globs(globs)

    @field_validator("stacks_dir", "environments_dir")
    @classmethod
    def _relative_dir(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"{value!r} must be a directory inside the repository")
        return value.strip("/") or "."


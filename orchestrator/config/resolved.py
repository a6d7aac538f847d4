"""Resolved configuration (phase two): values that know where they came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.globs import match
from orchestrator.models import AwsSettings, EngineName, PolicyPackRef, StackSpec
from orchestrator.stackrefs.scan import StackReferenceSite


@dataclass(frozen=True)
class UnmanagedSettings:
    enabled: bool = True
    exclude_names: tuple[str, ...] = ()
    exclude_tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DriftSettings:
    schedule: str = "0 */6 * * *"
    remediate: bool = False
    ignore: tuple[str, ...] = ()
    unmanaged: UnmanagedSettings = field(default_factory=UnmanagedSettings)


@dataclass(frozen=True)
class NotifySettings:
    """Where and what an environment's alerts go (`notify:`); the URL itself is read from `webhook_url_env`."""

    webhook_url_env: str | None = None
    format: str = "slack"  # slack | json
    events: tuple[str, ...] = ("deploy_failed", "stack_locked", "gate_waiting", "rollback", "drift")
    lock_threshold_s: float = 1800.0
    timeout_s: float = 5.0

    def wants(self, event: str) -> bool:
        return self.webhook_url_env is not None and event in self.events


@dataclass(frozen=True)
class PolicyPackSetting:
    """A policy pack an environment runs: `path` relative to the repository root, `config` as
    Pulumi's policy config file holds it, `source` the file and key that added it."""

    path: str
    config: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def owns(self, path: str) -> bool:
        return path.startswith(self.path + "/")


@dataclass(frozen=True)
class ReviewSettings:
    """An environment's review stacks (`review:`): one stack per project and pull request, named
    by `stack_name_template` (placeholders {pr}, {env}, {project}), in the environment's backend
    with its config and credentials."""

    enabled: bool = False
    stack_name_template: str = "pr-{pr}"
    projects: tuple[str, ...] | None = None
    ttl: str = "72h"  # a span such as 72h or 3d, checked when the configuration loads
    max_active: int = 10

    @property
    def ttl_s(self) -> float:
        from orchestrator.insights.model import parse_span  # read by review flows only: not at start-up

        return parse_span(self.ttl).total_seconds()

    def stack_name(self, environment: str, project: str, pr: int) -> str:
        return _fill(self.stack_name_template, pr=str(pr), env=environment, project=project)

    def names(self, environment: str, project: str) -> re.Pattern[str]:
        """The stack names the template makes for `project` in `environment`, for any pull request
        number, as a pattern on a name's last part (a fully qualified `org/project/stack` counts
        by its `stack`)."""
        literal = _short(_fill(self.stack_name_template, pr=_ANY_PR, env=environment, project=project))
        return re.compile("[0-9]+".join(re.escape(part) for part in literal.split(_ANY_PR)))

    def made(self, environment: str, project: str, stack_name: str) -> bool:
        """Whether `stack_name` is one this template makes: only such a stack may a review destroy."""
        return self.names(environment, project).fullmatch(_short(stack_name)) is not None

    def allows(self, project: str) -> bool:
        return self.projects is None or project in self.projects


_ANY_PR = "\x00"  # stands for the pull request number while a pattern is built


def _short(stack_name: str) -> str:
    return stack_name.rsplit("/", 1)[-1]


def _fill(template: str, **values: str) -> str:
    # One pass, so a value holding "{pr}" is never filled in again.
    return re.sub(r"\{(pr|env|project)\}", lambda found: values[found.group(1)], template)


@dataclass(frozen=True)
class Environment:
    name: str
    source: str  # the file it was read from, relative to the repository
    branch_rules: tuple[str, ...]
    order: int = 0
    engine: EngineName = "local"
    backend: str = "file://.orchestrator/state"
    stack_name_template: str = "{env}"
    aws: AwsSettings = field(default_factory=AwsSettings)
    config: dict[str, Any] = field(default_factory=dict)
    projects: tuple[str, ...] | None = None
    requires: tuple[str, ...] = ()
    protected: bool = False
    approvals: int = 0
    drift: DriftSettings = field(default_factory=DriftSettings)
    notify_webhook_url_env: str | None = None
    notify: NotifySettings = field(default_factory=NotifySettings)
    policy_packs: tuple[PolicyPackSetting, ...] = ()  # orchestrator.yaml's for this environment, then its own
    review: ReviewSettings = field(default_factory=ReviewSettings)

    def matching_rule(self, branch: str) -> str | None:
        """The first branch rule that matches `branch`, or None."""
        for rule in self.branch_rules:
            if rule == branch or match(rule, branch):
                return rule
        return None

    def stack_name(self, project: str) -> str:
        return self.stack_name_template.replace("{env}", self.name).replace("{project}", project)


@dataclass(frozen=True)
class Project:
    name: str
    directory: str  # posix path relative to the repository root
    watch: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()  # explicit, from orchestrator.yaml
    stack_references: tuple[str, ...] = ()  # project names found in StackReference(...) calls
    stack_reference_sites: tuple[StackReferenceSite, ...] = ()  # where each was found (file:line)
    environments: tuple[str, ...] | None = None  # from orchestrator.yaml projects.<name>.environments

    @property
    def dependencies(self) -> tuple[str, ...]:
        seen = dict.fromkeys((*self.depends_on, *self.stack_references))
        seen.pop(self.name, None)
        return tuple(seen)

    def dependency_origins(self) -> dict[str, tuple[str, ...]]:
        """Each dependency and where it was declared: `orchestrator.yaml depends_on`, or file:line."""
        origins: dict[str, list[str]] = {name: ["orchestrator.yaml depends_on"] for name in self.depends_on}
        for site in self.stack_reference_sites:
            if site.project is not None and site.project != self.name:
                origins.setdefault(site.project, []).append(site.where)
        return {name: tuple(where) for name, where in origins.items()}

    @property
    def unresolved_references(self) -> tuple[StackReferenceSite, ...]:
        """StackReferences whose project is only known when the program runs: no dependency is assumed."""
        return tuple(site for site in self.stack_reference_sites if site.project is None)

    def owns(self, path: str) -> bool:
        return self.directory == "." or path.startswith(self.directory + "/")


@dataclass(frozen=True)
class InstallSource:
    """Where CI installs the orchestrator from, pinned: a git commit, a wheel and its SHA-256, or
    a hash-pinned requirements file of the repository (`ci.install`)."""

    git: str | None = None
    commit: str | None = None
    wheel: str | None = None
    sha256: str | None = None
    requirements: str | None = None

    @property
    def github_action(self) -> str | None:
        """`owner/name` when the source is a repository on github.com (its action.yml installs it)."""
        if not self.git or not self.git.startswith("https://github.com/"):
            return None
        path = self.git.removeprefix("https://github.com/").removesuffix("/").removesuffix(".git")
        return path if path.count("/") == 1 else None

    def describe(self) -> str:
        if self.git:
            return f"{self.git} at {self.commit}"
        if self.wheel:
            return f"{self.wheel} (sha256 {self.sha256})"
        return f"{self.requirements} (hash-pinned requirements)"


@dataclass(frozen=True)
class Settings:
    stacks_dir: str = "stacks"
    environments_dir: str = "environments"
    watch: tuple[str, ...] = ()
    concurrency: int | None = None
    comment_max_chars: int = 65536
    comment_group_identical: bool = True
    vcs_provider: str = "github"
    vcs_repo: str | None = None
    vcs_token_env: str = "GITHUB_TOKEN"
    vcs_api_url: str | None = None
    trust_users: tuple[str, ...] = ()
    trust_teams: tuple[str, ...] = ()
    trust_min_permission: str = "write"
    database: str | None = None
    ci_install: InstallSource | None = None


@dataclass(frozen=True)
class RepoConfig:
    """The configuration of an infrastructure repository at one commit (or its working tree)."""

    root: Path  # the repository on disk (where .orchestrator/ lives)
    source: str  # "working tree" or "commit <sha>"
    settings: Settings
    environments: dict[str, Environment]
    projects: dict[str, Project]
    notes: tuple[str, ...] = ()

    def environment(self, name: str) -> Environment:
        from orchestrator.errors import UserError

        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise UserError(
                f"unknown environment {name!r}",
                f"environments are the files in {self.settings.environments_dir}/ (known: {known})",
            ) from None

    def project(self, name: str) -> Project:
        from orchestrator.errors import UserError

        try:
            return self.projects[name]
        except KeyError:
            known = ", ".join(sorted(self.projects)) or "none"
            raise UserError(
                f"unknown project {name!r}",
                f"projects are directories under {self.settings.stacks_dir}/ with a Pulumi.yaml (known: {known})",
            ) from None

    def deploys(self, project: str, environment: str) -> bool:
        """Whether `project` has a stack in `environment`."""
        env = self.environments[environment]
        proj = self.projects[project]
        if env.projects is not None and project not in env.projects:
            return False
        return proj.environments is None or environment in proj.environments

    def environments_for_branch(self, branch: str) -> list[tuple[Environment, str]]:
        """Environments tracking `branch` with the rule that matched, in promotion order."""
        found = [(env, rule) for env in self.environments.values() if (rule := env.matching_rule(branch))]
        return _after_requirements(sorted(found, key=lambda pair: (pair[0].order, pair[0].name)))

    def backend_url(self, environment: str) -> str:
        """The environment's backend with a relative `file://` path made absolute from the repository."""
        backend = self.environments[environment].backend
        if backend.startswith("file://"):
            path = Path(backend.removeprefix("file://"))
            if not path.is_absolute():
                path = self.root / path
            return "file://" + str(path.resolve())
        return backend

    def stack_spec(self, project: str, environment: str, checkout: Path | None = None) -> StackSpec:
        """The StackSpec of one stack; `checkout` is the tree holding the code (default the repository)."""
        proj = self.project(project)
        env = self.environment(environment)
        base = checkout if checkout is not None else self.root
        return StackSpec(
            project=proj.name,
            environment=env.name,
            stack_name=env.stack_name(proj.name),
            directory=base / proj.directory,
            backend=self.backend_url(env.name),
            engine=env.engine,
            config=dict(env.config),
            aws=env.aws,
            repo_root=self.root,
            policy_packs=tuple(
                PolicyPackRef(path=p.path, directory=base / p.path, config=dict(p.config), source=p.source)
                for p in env.policy_packs
            ),
        )


def _after_requirements(ordered: list[tuple[Environment, str]]) -> list[tuple[Environment, str]]:
    """`ordered` (by `order`), moved only where needed so an environment follows those it `requires`.

    A push promotes one commit through these environments; running one before an environment
    it requires would break the gate whatever their `order` says. Requires-cycles are rejected
    when the configuration is loaded; should one slip through, the rest keep their order.
    """
    pending = list(ordered)
    names = {env.name for env, _ in ordered}
    placed: list[tuple[Environment, str]] = []
    done: set[str] = set()
    while pending:
        ready = next(
            (pair for pair in pending if all(r in done or r not in names for r in pair[0].requires)),
            pending[0],
        )
        pending.remove(ready)
        placed.append(ready)
        done.add(ready[0].name)
    return placed

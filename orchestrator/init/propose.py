"""The proposal: stacks_dir, watch globs and one environment per Pulumi stack name, with its
branch, order, gates, region and drift schedule chosen from the names the repository uses."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath

from orchestrator.config.load import ENV_NAME
from orchestrator.init.model import (
    ENVIRONMENTS_DIR,
    FALLBACK_DRIFT_CRON,
    DetectedProject,
    Detection,
    EnvKind,
    InitOptions,
    Proposal,
    ProposedEnvironment,
)
from orchestrator.stackrefs import stack_of

_DEV_NAMES = ("dev", "development", "develop", "sandbox")
_STAGING_NAMES = ("test", "testing", "qa", "uat", "stage", "staging", "preprod", "pre-prod", "preproduction")
_PROD_NAMES = ("prod", "production", "prd", "live")
_DEV_BRANCHES = ("develop", "development", "dev")
_KIND_RANK: dict[EnvKind, int] = {"dev": 0, "staging": 1, "other": 2, "prod": 3}

DEFAULT_DRIFT_SCHEDULE = "0 */6 * * *"
PROD_DRIFT_SCHEDULE = "0 * * * *"


def propose(detection: Detection, options: InitOptions) -> Proposal:
    notes: list[str] = []
    stacks_dir = _stacks_dir(detection.projects, notes)
    environments = _environments(detection, options, notes)
    _runtime_notes(detection.projects, options, notes)
    tracked = tuple(sorted({e.branch for e in environments}))
    schedules = {e.drift_schedule for e in environments}
    drift_cron = next(iter(schedules)) if len(schedules) == 1 else FALLBACK_DRIFT_CRON
    return Proposal(
        stacks_dir=stacks_dir,
        environments_dir=ENVIRONMENTS_DIR,
        watch=tuple(f"{d}/**" for d in detection.shared_dirs),
        environments=tuple(environments),
        tracked_branches=tracked,
        drift_cron=drift_cron,
        notes=tuple(notes),
    )


def _stacks_dir(projects: Sequence[DetectedProject], notes: list[str]) -> str:
    directories = [p.directory for p in projects]
    if len(directories) == 1:
        # One project: its parent, so sibling projects added later are found too.
        parent = str(PurePosixPath(directories[0]).parent) if directories[0] != "." else "."
        return parent
    common = os.path.commonpath(directories) if "." not in directories else "."
    common = common or "."
    if common == ".":
        notes.append(
            "the projects share no parent directory, so stacks_dir is '.': every Pulumi.yaml in the "
            "repository is a project; move them under one directory (e.g. infra/) to narrow the search"
        )
    return common


def _environments(detection: Detection, options: InitOptions, notes: list[str]) -> list[ProposedEnvironment]:
    stack_names = sorted({s for p in detection.projects for s in p.stacks})
    if not stack_names:
        notes.append(
            f"no Pulumi.<stack>.yaml files found: proposing one environment, dev, on {detection.default_branch}"
        )
        stack_names = ["dev"]
    named = _env_names(stack_names, notes)
    kinds = {env: _kind(env) for env in named}
    ordered = sorted(named, key=lambda env: (_KIND_RANK[kinds[env]], _staging_rank(env), env))
    environments: list[ProposedEnvironment] = []
    previous_on_branch: dict[str, str] = {}
    for order, env in enumerate(ordered, start=1):
        kind = kinds[env]
        branch, why = _branch_for(env, kind, detection)
        requires = (previous_on_branch[branch],) if branch in previous_on_branch else ()
        if requires:
            why += f"; after {requires[0]} on the same branch"
        previous_on_branch[branch] = env
        stack = named[env]
        environments.append(
            ProposedEnvironment(
                name=env,
                kind=kind,
                branch=branch,
                order=order,
                stack_name="{env}" if stack == env else stack,
                protected=kind == "prod",
                approvals=1 if kind == "prod" else 0,
                requires=requires,
                projects=_env_projects(stack, detection.projects, notes, env),
                region=_region(stack, detection.projects, notes, env),
                drift_schedule=PROD_DRIFT_SCHEDULE if kind == "prod" else DEFAULT_DRIFT_SCHEDULE,
                why=why,
            )
        )
    _narrow_requirement_notes(environments, [p.name for p in detection.projects], notes)
    return environments


def _narrow_requirement_notes(
    environments: Sequence[ProposedEnvironment], all_projects: Sequence[str], notes: list[str]
) -> None:
    """A gate on an environment that does not deploy every project the gated one does: a commit
    changing only the others never succeeds there. Say so; the user knows which way to resolve it."""
    by_name = {e.name: e for e in environments}
    for env in environments:
        mine = set(env.projects or all_projects)
        for required in env.requires:
            theirs = set(by_name[required].projects or all_projects)
            if not mine <= theirs:
                stack = by_name[required].stack_name.replace("{env}", required)
                notes.append(
                    f"environment {env.name} requires {required}, which does not deploy "
                    f"{', '.join(sorted(mine - theirs))}: add the missing Pulumi.{stack}.yaml "
                    f"files, or edit `requires` in environments/{env.name}.yaml"
                )


def _env_names(stack_names: Sequence[str], notes: list[str]) -> dict[str, str]:
    """Environment name -> Pulumi stack name. Environment names are file names, so lower case."""
    named: dict[str, str] = {}
    for stack in stack_names:
        env = re.sub(r"[^a-z0-9_-]+", "-", stack.lower()).strip("-_")
        if not ENV_NAME.match(env):
            notes.append(f"stack {stack!r}: no environment name can be made from it; add one by hand")
            continue
        if env in named:
            notes.append(f"stacks {named[env]!r} and {stack!r} both map to environment {env!r}; kept {named[env]!r}")
            continue
        named[env] = stack
    return named


def _kind(env: str) -> EnvKind:
    head = re.split(r"[-_]", env, maxsplit=1)[0]
    for kind, names in (("dev", _DEV_NAMES), ("staging", _STAGING_NAMES), ("prod", _PROD_NAMES)):
        if env in names or head in names:
            return kind  # type: ignore[return-value]
    return "other"


def _staging_rank(env: str) -> int:
    head = re.split(r"[-_]", env, maxsplit=1)[0]
    for i, name in enumerate(_STAGING_NAMES):
        if env == name or head == name:
            return i
    return len(_STAGING_NAMES)


def _branch_for(env: str, kind: EnvKind, detection: Detection) -> tuple[str, str]:
    default = detection.default_branch
    if kind == "dev":
        found = next((b for b in _DEV_BRANCHES if b in detection.branches), None)
        if found is not None:
            return found, f"a development environment: deployed from {found}"
        return default, f"a development environment: deployed from {default} (no develop branch exists)"
    if kind == "other":
        if env in detection.branches and env != default:
            return env, f"deployed from the branch of the same name, {env}"
        return default, f"not a name we recognise: deployed from {default}; check environments/{env}.yaml"
    if kind == "prod":
        return default, f"production: deployed from {default}, protected, one approving review"
    return default, f"a pre-production environment: deployed from {default}, in order"


def _env_projects(
    stack: str, projects: Sequence[DetectedProject], notes: list[str], env: str
) -> tuple[str, ...] | None:
    """Projects deployed to an environment: those with its stack file, those with none at all
    (new projects, configured by the environment alone), and every project these read through
    a StackReference (a stack reading one that the environment leaves out fails there).
    None means all."""
    chosen = {p.name for p in projects if stack in p.stacks or not p.stacks}
    _keep_what_they_read(chosen, projects, notes, env, stack)
    if len(chosen) == len(projects):
        return None
    left_out = sorted(p.name for p in projects if p.name not in chosen)
    notes.append(f"environment {env}: {', '.join(left_out)} left out (no Pulumi.{stack}.yaml)")
    return tuple(sorted(chosen))


def _keep_what_they_read(
    chosen: set[str], projects: Sequence[DetectedProject], notes: list[str], env: str, stack: str
) -> None:
    by_name = {p.name: p for p in projects}
    pending = sorted(chosen)
    while pending:
        reader = by_name[pending.pop(0)]
        for site in reader.reads:
            if stack_of(site) not in (None, stack):
                continue  # named by another stack's configuration: not what this environment's stack reads
            if site.project is None:
                notes.append(
                    f"environment {env}: {reader.name} reads a stack named only at run time "
                    f"({site.written or site.name}, StackReference at {site.where}); keep the project "
                    f"it reads in environments/{env}.yaml"
                )
            elif site.project not in by_name:
                notes.append(
                    f"environment {env}: {reader.name} reads project {site.project} (StackReference at "
                    f"{site.where}), which is not in this repository: it must exist before {reader.name} deploys"
                )
            elif site.project not in chosen:
                chosen.add(site.project)
                pending.append(site.project)
                notes.append(
                    f"environment {env}: {site.project} kept without a Pulumi.{stack}.yaml: "
                    f"{reader.name} reads it (StackReference at {site.where})"
                )


def _region(stack: str, projects: Sequence[DetectedProject], notes: list[str], env: str) -> str:
    """The stack files' `aws:region`; else the one most used across the repository; else us-east-1."""
    regions = sorted({p.regions[stack] for p in projects if stack in p.regions})
    if len(regions) > 1:
        notes.append(
            f"environment {env}: stacks use several aws:region values ({', '.join(regions)}); kept {regions[0]}"
        )
    if regions:
        return regions[0]
    used = Counter(region for p in projects for region in p.regions.values())
    return min(used, key=lambda r: (-used[r], r)) if used else "us-east-1"


def _runtime_notes(projects: Sequence[DetectedProject], options: InitOptions, notes: list[str]) -> None:
    others = sorted(f"{p.name} ({p.runtime})" for p in projects if p.runtime != "python")
    if others and options.engine == "local":
        notes.append(
            "the local engine runs Python programs only; these projects need --engine pulumi: " + ", ".join(others)
        )

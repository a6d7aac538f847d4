"""Loading and validating an infrastructure repository's configuration."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from orchestrator.config import policy, schema
from orchestrator.config.checks import CONFIG_FILE as CONFIG_FILE  # its home: checks.py
from orchestrator.config.checks import check_references
from orchestrator.config.resolved import (
    DriftSettings,
    Environment,
    InstallSource,
    NotifySettings,
    Project,
    RepoConfig,
    ReviewSettings,
    Settings,
    UnmanagedSettings,
)
from orchestrator.config.tree import Tree, WorkTree
from orchestrator.errors import ConfigError
from orchestrator.globs import GlobError
from orchestrator.models import AwsSettings
from orchestrator.names import project_name_problem
from orchestrator.stackrefs import read_candidates, resolve_from_stack_config, sites_by_owner
from orchestrator.yamlfile import line_of, parse

ROOT_DIRECTORY = "."  # the directory of a project whose Pulumi.yaml is at the repository root
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
ENV_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# A top-level `key: value` line. Continuation lines of multi-line values are indented, so a
# file made only of such lines has no nesting; the values that matter are checked further.
_PLAIN_LINE = re.compile(r"^([A-Za-z_]+):(?:[ \t]+(.*?))?[ \t]*$")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")

M = TypeVar("M", bound=BaseModel)


def load_repository(root: Path, tree: Tree | None = None) -> RepoConfig:
    """Load the configuration of the repository at `root` (its working tree unless `tree` is given)."""
    source = tree if tree is not None else WorkTree(root)
    settings_model, settings_text = _load_settings(source)
    settings = _settings(settings_model)
    with ThreadPoolExecutor(max_workers=1) as background:
        # The programs the StackReference scan parses are found and read (mostly waiting for git's
        # grep and cat-file) while the environments and project files are loaded here.
        programs = background.submit(read_candidates, source, settings.stacks_dir)
        environments = policy.with_policy_packs(
            source, settings_model, settings_text, _load_environments(source, settings), config_file=CONFIG_FILE
        )
        projects, notes = _load_projects(source, settings, settings_model, settings_text, programs)
    config = RepoConfig(
        root=root,
        source=source.label,
        settings=settings,
        environments=environments,
        projects=projects,
        notes=tuple(notes),
    )
    check_references(config, source, settings_text)
    return config


def _validate(model: type[M], data: Any, *, file: str, text: bytes) -> M:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "expected a mapping of keys to values at the top level",
            file=file,
            line=1,
            hint="write `key: value` lines at the top level (see docs/configuration.md)",
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [p for p in error["loc"] if not (isinstance(p, str) and p in {"str", "list[str]"})]
        key = ".".join(str(p) for p in loc)
        message = _message(error)
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more error{'s' if more > 1 else ''})"
        raise ConfigError(message, file=file, key=key or None, line=line_of(text, loc), hint=_hint(error)) from None
    except GlobError as exc:  # pragma: no cover - GlobError is a ValueError, pydantic wraps it
        raise ConfigError(str(exc), file=file, hint="fix the glob") from None


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    msg = str(error["msg"]).removeprefix("Value error, ")
    return msg


def _hint(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "remove it or check its spelling; the configuration reference lists every key (docs/configuration.md)"
    if error["type"] == "missing":
        return "add the key; see docs/configuration.md"
    return "see docs/configuration.md for the allowed values"


def _load_settings(tree: Tree) -> tuple[schema.OrchestratorModel, bytes]:
    raw = tree.read_many([CONFIG_FILE]).get(CONFIG_FILE)
    if raw is None:
        if tree.files(CONFIG_FILE):  # a directory of that name: in a commit, or in the working tree
            raise ConfigError("is a directory, not a file", file=CONFIG_FILE,
                              hint=f"replace the directory {CONFIG_FILE}/ with the YAML file (or remove it)")
        return schema.OrchestratorModel(), b""
    data = parse(raw, file=CONFIG_FILE)
    return _validate(schema.OrchestratorModel, data, file=CONFIG_FILE, text=raw), raw


def _settings(model: schema.OrchestratorModel) -> Settings:
    return Settings(
        stacks_dir=model.stacks_dir,
        environments_dir=model.environments_dir,
        watch=tuple(model.watch),
        concurrency=model.concurrency,
        comment_max_chars=model.comment.max_chars,
        comment_group_identical=model.comment.group_identical,
        vcs_provider=model.vcs.provider,
        vcs_repo=model.vcs.repo,
        vcs_token_env=model.vcs.token_env,
        vcs_api_url=model.vcs.api_url,
        trust_users=tuple(model.trust.users),
        trust_teams=tuple(model.trust.teams),
        trust_min_permission=model.trust.min_permission,
        database=model.database,
        ci_install=InstallSource(**model.ci.install.model_dump()) if model.ci.install.model_fields_set else None,
    )


def load_settings(tree: Tree) -> Settings:
    """orchestrator.yaml alone (the default settings when there is none)."""
    model, _ = _load_settings(tree)
    return _settings(model)


def _load_environments(tree: Tree, settings: Settings) -> dict[str, Environment]:
    directory = settings.environments_dir
    if tree.exists(directory):  # a file where the directory belongs: no environment would load, silently
        raise ConfigError("is a file, not a directory", file=directory,
                          hint=f"{directory}/ holds one <env>.yaml per environment: move the file aside")
    found = tree.files(directory)
    paths = sorted(
        p for p in found if PurePosixPath(p).parent == PurePosixPath(directory) and p.endswith((".yaml", ".yml"))
    )
    misplaced = sorted(
        str(PurePosixPath(p).parent) for p in found
        if PurePosixPath(p).parent.name.endswith((".yaml", ".yml"))
        and PurePosixPath(p).parent.parent == PurePosixPath(directory)
    )
    if misplaced:  # environments/dev.yaml/ as a directory: dev would silently not exist
        raise ConfigError("is a directory, not a file", file=misplaced[0],
                          hint=f"replace the directory {misplaced[0]}/ with the environment's YAML file")
    contents = tree.read_many(paths)
    environments: dict[str, Environment] = {}
    for path in paths:
        name = PurePosixPath(path).stem
        if not ENV_NAME.match(name):
            raise ConfigError(
                f"environment name {name!r} (from the file name) is not valid",
                file=path,
                hint="name environment files with lower-case letters, digits, '-' or '_', e.g. environments/dev.yaml",
            )
        if name in environments:
            raise ConfigError(
                f"environment {name!r} is defined twice",
                file=path,
                hint=f"keep one of {directory}/{name}.yaml and {directory}/{name}.yml",
            )
        text = contents[path]
        model = _validate(schema.EnvironmentModel, parse(text, file=path), file=path, text=text)
        environments[name] = _environment(name, path, model)
    return environments


def _environment(name: str, source: str, model: schema.EnvironmentModel) -> Environment:
    rules = (model.branch,) if isinstance(model.branch, str) else tuple(model.branch)
    return Environment(
        name=name,
        source=source,
        branch_rules=rules,
        order=model.order,
        engine=model.engine,
        backend=model.backend,
        stack_name_template=model.stack_name,
        aws=AwsSettings(
            region=model.aws.region,
            endpoint=model.aws.endpoint,
            role_arn=model.aws.role_arn,
            profile=model.aws.profile,
        ),
        config=dict(model.config),
        projects=None if model.projects is None else tuple(model.projects),
        requires=tuple(model.requires),
        protected=model.protected,
        approvals=model.approvals,
        drift=DriftSettings(
            schedule=model.drift.schedule,
            remediate=model.drift.remediate,
            ignore=tuple(model.drift.ignore),
            unmanaged=UnmanagedSettings(
                enabled=model.drift.unmanaged.enabled,
                exclude_names=tuple(model.drift.unmanaged.exclude_names),
                exclude_tags=tuple(sorted(model.drift.unmanaged.exclude_tags.items())),
            ),
        ),
        notify_webhook_url_env=model.notify.webhook_url_env,
        notify=NotifySettings(
            webhook_url_env=model.notify.webhook_url_env,
            format=model.notify.format,
            events=tuple(model.notify.events),
            lock_threshold_s=model.notify.lock_threshold_minutes * 60,
            timeout_s=model.notify.timeout_s,
        ),
        policy_packs=policy.environment_packs(model.policy.packs, source),
        review=_review(model.review),
    )


def _review(model: schema.ReviewModel) -> ReviewSettings:
    return ReviewSettings(
        enabled=model.enabled,
        stack_name_template=model.stack_name,
        projects=None if model.projects is None else tuple(model.projects),
        ttl=model.ttl,
        max_active=model.max_active,
    )


def discover_project_files(tree: Tree, stacks_dir: str) -> list[str]:
    """Paths of Pulumi.yaml files under the stacks directory, shallowest first."""
    found = [p for p in tree.files(stacks_dir) if p.rsplit("/", 1)[-1] in PROJECT_FILES]
    return sorted(found, key=lambda p: (p.count("/"), p))


def _load_projects(
    tree: Tree,
    settings: Settings,
    model: schema.OrchestratorModel,
    settings_text: bytes,
    programs: Future[dict[str, bytes]],
) -> tuple[dict[str, Project], list[str]]:
    project_files = discover_project_files(tree, settings.stacks_dir)
    contents = tree.read_many(project_files)
    directories: dict[str, str] = {}  # directory -> project name
    by_name: dict[str, str] = {}  # project name -> directory
    notes: list[str] = []
    for path in project_files:
        directory = parent_directory(path)
        if directory in directories:
            raise ConfigError(f"two project files in {directory}/", file=path, hint="keep one Pulumi.yaml")
        text = contents[path]
        name = _project_name(text, path)
        if name in by_name:
            raise ConfigError(
                f"project name {name!r} is also used by {by_name[name]}/Pulumi.yaml",
                file=path,
                key="name",
                line=line_of(text, ["name"]),
                hint="give every project a unique name",
            )
        directories[directory] = name
        by_name[name] = directory

    found = sites_by_owner(programs.result(), lambda path: owning_directory(path, directories))
    sites = resolve_from_stack_config(tree, settings.stacks_dir, found, directories.__getitem__)
    projects: dict[str, Project] = {}
    for directory, name in directories.items():
        options = model.projects.get(name, schema.ProjectModel())
        projects[name] = Project(
            name=name,
            directory=directory,
            watch=tuple(options.watch),
            depends_on=tuple(options.depends_on),
            stack_references=tuple(sorted({s.project for s in sites.get(directory, ()) if s.project})),
            stack_reference_sites=sites.get(directory, ()),
            environments=None if options.environments is None else tuple(options.environments),
        )
    for name in model.projects:
        if name not in projects:
            raise ConfigError(
                f"project {name!r} has no Pulumi.yaml under {settings.stacks_dir}/",
                file=CONFIG_FILE,
                key=f"projects.{name}",
                line=line_of(settings_text, ["projects", name]),
                hint=f"create {settings.stacks_dir}/{name}/Pulumi.yaml or remove the entry",
            )
    return projects, notes


def _project_name(text: bytes, path: str) -> str:
    """The project's name from Pulumi.yaml.

    Most files are a few plain `key: value` lines: those are read with a regular expression,
    since a YAML parse per project dominated planning on repositories with thousands of them.
    Anything else goes through the YAML parser and the model.
    """
    plain = _plain_mapping(text)
    if plain is not None and _PLAIN_NAME.match(plain.get("name", "")) and _PLAIN_NAME.match(plain.get("runtime", "")):
        name = plain["name"]
    else:
        name = _validate(schema.PulumiProjectModel, parse(text, file=path), file=path, text=text).name
    problem = project_name_problem(name)
    if problem:  # the name becomes a directory in the state backend
        raise ConfigError(problem, file=path, key="name", line=line_of(text, ["name"]),
                          hint="rename the project in its Pulumi.yaml (Pulumi's rules for project names)")
    return name


def _plain_mapping(text: bytes) -> dict[str, str] | None:
    """The file as a flat mapping when every line is plain `key: value`, a comment or blank."""
    values: dict[str, str] = {}
    for line in text.decode(errors="replace").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        found = _PLAIN_LINE.match(line)
        if found is None or found.group(1) in values:
            return None
        values[found.group(1)] = found.group(2) or ""
    return values


def parent_directory(path: str) -> str:
    """The directory of a repository path; `.` for a file at the root."""
    return path.rsplit("/", 1)[0] if "/" in path else ROOT_DIRECTORY


def owning_directory(path: str, directories: Mapping[str, object]) -> str | None:
    """The deepest directory in `directories` containing `path` (a walk up its parents).

    A project at the repository root (directory `.`) owns every path no deeper project owns.
    """
    directory = path
    while "/" in directory:
        directory = directory.rsplit("/", 1)[0]
        if directory in directories:
            return directory
    return ROOT_DIRECTORY if ROOT_DIRECTORY in directories and path else None


def read_texts(tree: Tree, paths: Sequence[str]) -> dict[str, bytes]:
    return tree.read_many(paths)

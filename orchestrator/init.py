"""`orchestrator init`: adopt the orchestrator in an existing infrastructure repository.

Detects the Pulumi projects (wherever they are), their existing `Pulumi.<stack>.yaml` files
and the repository's branches; proposes `orchestrator.yaml` and `environments/<name>.yaml`;
renders the CI files (GitHub Actions workflows or `.gitlab-ci.yml`) from templates; checks
that the proposed configuration loads and finds exactly the detected projects; writes the
files, never overwriting one without `force`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from orchestrator.errors import UserError

if TYPE_CHECKING:
    import jinja2

    from orchestrator.config.resolved import RepoConfig
    from orchestrator.git import GitRepo

CiKind = Literal["github", "gitlab", "none"]
EngineKind = Literal["local", "pulumi"]
EnvKind = Literal["dev", "staging", "other", "prod"]
ActionKind = Literal["written", "overwritten", "skipped", "would write", "would overwrite", "would skip"]

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
_STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>.+)\.ya?ml$")
_ENV_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Directories never searched: tools' caches and virtual environments hold other people's
# Pulumi.yaml files (SDK examples, test fixtures) that are not this repository's projects.
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "dist-packages"})
# Shared code that projects import; a change there must plan every project (repo-wide watch).
_SHARED_DIR_NAMES = ("lib", "libs", "common", "shared", "modules", "components", "pkg", "utils")

_DEV_NAMES = ("dev", "development", "develop", "sandbox")
_STAGING_NAMES = ("test", "testing", "qa", "uat", "stage", "staging", "preprod", "pre-prod", "preproduction")
_PROD_NAMES = ("prod", "production", "prd", "live")
_DEV_BRANCHES = ("develop", "development", "dev")
_KIND_RANK: dict[EnvKind, int] = {"dev": 0, "staging": 1, "other": 2, "prod": 3}

DEFAULT_DRIFT_SCHEDULE = "0 */6 * * *"
PROD_DRIFT_SCHEDULE = "0 * * * *"
# GitHub runs scheduled workflows at most every 5 minutes; 15 is the documented choice when
# environments differ: `orchestrator drift --due` then runs only those whose cron fell due.
FALLBACK_DRIFT_CRON = "*/15 * * * *"
TEMPLATE_DIR = Path(__file__).parent / "report" / "templates"
GITHUB_WORKFLOWS = ".github/workflows"
GITLAB_CI_FILE = ".gitlab-ci.yml"
CONFIG_FILE = "orchestrator.yaml"
ENVIRONMENTS_DIR = "environments"


@dataclass(frozen=True)
class InitOptions:
    ci: CiKind = "github"
    engine: EngineKind = "local"
    force: bool = False
    matrix_threshold: int = 10
    dry_run: bool = False
    python_version: str = "3.11"


@dataclass(frozen=True)
class DetectedProject:
    name: str
    directory: str  # posix, relative to the repository root; "." at the root
    runtime: str
    stacks: tuple[str, ...]  # names from the project's Pulumi.<stack>.yaml files
    regions: Mapping[str, str] = field(default_factory=dict)  # stack -> its `aws:region` config


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


# -- the use case -------------------------------------------------------------------------


def run_init(repo: Path, options: InitOptions) -> InitResult:
    """Detect, propose, render, check, then write (or, with `dry_run`, only say what it would)."""
    from orchestrator.git import GitRepo

    if options.matrix_threshold < 1:
        raise UserError(
            f"--matrix-threshold {options.matrix_threshold} must be at least 1",
            hint="give the number of changed stacks above which CI fans out, e.g. 10",
        )
    git = GitRepo(repo)
    detection = detect(git)
    proposal = propose(detection, options)
    config_files = render_config_files(detection, proposal, options)
    check_generated(detection, config_files)
    # CI files follow the configuration as it will be: existing files kept (no --force) win.
    ci_proposal, final_notes = _final_state(detection, proposal, config_files, force=options.force)
    files = [*config_files, *render_ci_files(detection, ci_proposal, options)]
    actions = write_files(detection.root, files, force=options.force, dry_run=options.dry_run)
    kept_envs = {
        f.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        for f in config_files
        if f.path.startswith(f"{ENVIRONMENTS_DIR}/") and _kept(detection.root / f.path, f.content, force=options.force)
    }
    # Notes on a proposed environment whose existing file is kept would be about a file not written.
    notes = [
        n
        for n in proposal.notes
        if not any(n.startswith((f"environment {e}:", f"environment {e} ")) for e in kept_envs)
    ]
    notes += final_notes
    return InitResult(
        root=detection.root,
        detection=detection,
        proposal=proposal,
        files=tuple(files),
        actions=tuple(actions),
        notes=tuple(notes),
        dry_run=options.dry_run,
    )


# -- detection ----------------------------------------------------------------------------


def detect(git: GitRepo) -> Detection:
    root = git.root
    paths = _repository_files(git)
    projects = tuple(_detect_projects(root, paths))
    if not projects:
        raise UserError(
            f"no Pulumi project found in {root}: no Pulumi.yaml or Pulumi.yml outside .git, "
            "node_modules and virtual environments",
            hint="run `orchestrator init` in a repository holding Pulumi projects "
            "(`pulumi new` creates one), or pass --repo PATH",
        )
    branches = _branches(git)
    return Detection(
        root=root,
        projects=projects,
        branches=branches,
        default_branch=_default_branch(git, branches),
        shared_dirs=_shared_dirs(paths, projects),
        remote_repo=_remote_repo(git),
        requirements=_requirements(paths, projects),
    )


def _repository_files(git: GitRepo) -> list[str]:
    """Tracked and untracked files, less what .gitignore ignores and the directories we skip."""
    raw = git.run("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    candidates = sorted({p for p in raw.decode(errors="replace").split("\0") if p})
    venvs = _virtualenv_dirs(git.root, candidates)
    return [p for p in candidates if not _skipped(p, venvs) and (git.root / p).is_file()]


def _virtualenv_dirs(root: Path, paths: Iterable[str]) -> set[str]:
    # A venv may have any name; its pyvenv.cfg gives it away.
    found = {p.rsplit("/", 1)[0] for p in paths if p.endswith("/pyvenv.cfg")}
    for entry in os.scandir(root):  # untracked, unignored venvs hold thousands of files: cheap check
        if entry.is_dir() and (Path(entry.path) / "pyvenv.cfg").is_file():
            found.add(entry.name)
    return found


def _skipped(path: str, venvs: set[str]) -> bool:
    parts = path.split("/")[:-1]
    for i, part in enumerate(parts):
        # Hidden directories (.git, .venv, .orchestrator) are skipped by config discovery too.
        if part.startswith(".") or part in _SKIP_DIRS or "/".join(parts[: i + 1]) in venvs:
            return True
    return False


def _detect_projects(root: Path, paths: Sequence[str]) -> Iterable[DetectedProject]:
    by_dir: dict[str, list[str]] = {}
    for path in paths:
        directory, _, name = path.rpartition("/")
        by_dir.setdefault(directory or ".", []).append(name)
    for directory in sorted(by_dir, key=lambda d: (d != ".", d.count("/"), d)):
        names = by_dir[directory]
        project_files = [n for n in PROJECT_FILES if n in names]
        if not project_files:
            continue
        if len(project_files) > 1:
            raise UserError(
                f"{directory}/ holds both Pulumi.yaml and Pulumi.yml",
                hint="keep one of them; Pulumi reads only one",
            )
        rel = project_files[0] if directory == "." else f"{directory}/{project_files[0]}"
        name, runtime = _read_project(root / rel, rel)
        stacks = sorted(m.group("stack") for n in names if (m := _STACK_FILE.match(n)) and n not in PROJECT_FILES)
        base = root if directory == "." else root / directory
        yield DetectedProject(
            name=name,
            directory=directory,
            runtime=runtime,
            stacks=tuple(stacks),
            regions=_stack_regions(base, names, stacks),
        )


def _read_project(path: Path, rel: str) -> tuple[str, str]:
    from orchestrator.config.yamlfile import parse

    data = parse(path.read_bytes(), file=rel)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        raise UserError(f"{rel}: has no project `name`", hint="a Pulumi.yaml needs `name:` and `runtime:`")
    runtime = data.get("runtime")
    if isinstance(runtime, dict):
        runtime = runtime.get("name")
    return data["name"], str(runtime or "unknown")


def _stack_regions(base: Path, names: Sequence[str], stacks: Sequence[str]) -> dict[str, str]:
    """Each stack's `aws:region` config, so the proposed environment keeps the region in use."""
    from orchestrator.config.yamlfile import parse
    from orchestrator.errors import ConfigError

    regions: dict[str, str] = {}
    for stack in stacks:
        name = next(n for n in (f"Pulumi.{stack}.yaml", f"Pulumi.{stack}.yml") if n in names)
        try:
            data = parse((base / name).read_bytes(), file=name)
        except ConfigError:
            continue  # not ours to validate; Pulumi will say what is wrong with it
        config = data.get("config") if isinstance(data, dict) else None
        region = config.get("aws:region") if isinstance(config, dict) else None
        if isinstance(region, str):
            regions[stack] = region
    return regions


def _branches(git: GitRepo) -> tuple[str, ...]:
    """Local branches and the branches of remotes (a fresh clone has `main` only, locally)."""
    local = set(git.branches())
    raw = git.run("for-each-ref", "--format=%(refname:short)", "refs/remotes")
    remote = set()
    for ref in raw.decode().split():
        _remote, sep, name = ref.partition("/")
        if sep and name and name != "HEAD":
            remote.add(name)
    return tuple(sorted(local | remote))


def _default_branch(git: GitRepo, branches: Sequence[str]) -> str:
    for candidate in ("main", "master"):
        if candidate in branches:
            return candidate
    return git.current_branch() or (branches[0] if branches else "main")


def _shared_dirs(paths: Sequence[str], projects: Sequence[DetectedProject]) -> tuple[str, ...]:
    """Directories of shared code (lib/, common/...) at the root or beside the projects' directories."""
    project_dirs = {p.directory for p in projects}
    # Beside a project or beside any of its ancestors: lib/ next to infra/, services/common/...
    parents = {"."} | {str(a) for p in projects if p.directory != "." for a in PurePosixPath(p.directory).parents}
    found: set[str] = set()
    for path in paths:
        parts = PurePosixPath(path).parts
        for depth in range(len(parts) - 1):
            directory = "/".join(parts[: depth + 1])
            parent = "/".join(parts[:depth]) or "."
            if parts[depth] in _SHARED_DIR_NAMES and parent in parents and directory not in project_dirs:
                found.add(directory)
    # A shared directory holding a project is that project's business, not shared code.
    return tuple(sorted(d for d in found if not any(p.startswith(d + "/") for p in project_dirs)))


def _requirements(paths: Sequence[str], projects: Sequence[DetectedProject]) -> tuple[str, ...]:
    wanted = {"requirements.txt" if p.directory == "." else f"{p.directory}/requirements.txt" for p in projects}
    return tuple(sorted(wanted.intersection(paths)))


def _remote_repo(git: GitRepo) -> str | None:
    try:
        url = git.run("config", "--get", "remote.origin.url").decode().strip()
    except UserError:
        return None
    found = re.search(r"[:/]([\w.-]+/[\w.-]+?)(?:\.git)?/?$", url)
    return found.group(1) if found else None


# -- proposal -----------------------------------------------------------------------------


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
        if not _ENV_NAME.match(env):
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
    """Projects deployed to an environment: those with its stack file, and those with none at all
    (new projects, configured by the environment alone). None means all."""
    chosen = [p.name for p in projects if stack in p.stacks or not p.stacks]
    if len(chosen) == len(projects):
        return None
    left_out = sorted(p.name for p in projects if p.name not in chosen)
    notes.append(f"environment {env}: {', '.join(left_out)} left out (no Pulumi.{stack}.yaml)")
    return tuple(sorted(chosen))


def _region(stack: str, projects: Sequence[DetectedProject], notes: list[str], env: str) -> str:
    """The stack files' `aws:region`; else the one most used across the repository; else us-east-1."""
    regions = sorted({p.regions[stack] for p in projects if stack in p.regions})
    if len(regions) > 1:
        notes.append(
            f"environment {env}: stacks use several aws:region values ({', '.join(regions)}); kept {regions[0]}"
        )
    if regions:
        return regions[0]
    from collections import Counter

    used = Counter(region for p in projects for region in p.regions.values())
    return min(used, key=lambda r: (-used[r], r)) if used else "us-east-1"


def _runtime_notes(projects: Sequence[DetectedProject], options: InitOptions, notes: list[str]) -> None:
    others = sorted(f"{p.name} ({p.runtime})" for p in projects if p.runtime != "python")
    if others and options.engine == "local":
        notes.append(
            "the local engine runs Python programs only; these projects need --engine pulumi: " + ", ".join(others)
        )


# -- rendering ----------------------------------------------------------------------------


def _context(detection: Detection, proposal: Proposal, options: InitOptions) -> dict[str, Any]:
    from orchestrator import __version__

    return {
        "detection": detection,
        "proposal": proposal,
        "options": options,
        "version": __version__,
        "projects": sorted(detection.projects, key=lambda p: p.name),
        "requirements": detection.requirements,
    }


def render_config_files(detection: Detection, proposal: Proposal, options: InitOptions) -> list[GeneratedFile]:
    """orchestrator.yaml and one environments/<name>.yaml per proposed environment."""
    env = _jinja()
    context = _context(detection, proposal, options)
    files = [
        GeneratedFile(CONFIG_FILE, env.get_template("init_orchestrator.yaml.j2").render(context), "repository settings")
    ]
    for environment in proposal.environments:
        text = env.get_template("init_environment.yaml.j2").render({**context, "env": environment})
        files.append(
            GeneratedFile(
                f"{proposal.environments_dir}/{environment.name}.yaml", text, f"environment {environment.name}"
            )
        )
    return files


def render_ci_files(detection: Detection, proposal: Proposal, options: InitOptions) -> list[GeneratedFile]:
    """The GitHub Actions workflows or .gitlab-ci.yml for the proposal's branches and drift cron."""
    env = _jinja()
    context = _context(detection, proposal, options)
    files: list[GeneratedFile] = []
    if options.ci == "github":
        for name, purpose in (
            ("preview", "GitHub Actions: preview pull requests"),
            ("deploy", "GitHub Actions: deploy on push"),
            ("drift", "GitHub Actions: drift on schedule"),
        ):
            text = env.get_template(f"init_github_{name}.yaml.j2").render(context)
            files.append(GeneratedFile(f"{GITHUB_WORKFLOWS}/orchestrator-{name}.yml", text, purpose))
    elif options.ci == "gitlab":
        context["branch_regex"] = gitlab_branch_regex(proposal.tracked_branches)
        text = env.get_template("init_gitlab_ci.yaml.j2").render(context)
        files.append(GeneratedFile(GITLAB_CI_FILE, text, "GitLab CI: preview, deploy, drift"))
    return files


def _jinja() -> jinja2.Environment:
    import json

    import jinja2

    # GitHub and GitLab expressions are written `${{ ... }}`: Jinja's own `{{` would eat them,
    # so these templates use [[ ]] for values and [% %] for blocks.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
    )
    # A JSON string is a valid YAML double-quoted scalar: safe for any branch or stack name.
    environment.filters["q"] = lambda value: json.dumps(str(value))
    environment.filters["rstrip"] = lambda value: str(value).rstrip()
    environment.filters["qlist"] = lambda values: "[" + ", ".join(json.dumps(str(v)) for v in values) + "]"
    return environment


def gitlab_branch_regex(rules: Sequence[str]) -> str:
    """GitLab `rules: if:` regex (RE2) matching the branch rules, which are names or globs."""
    alternatives = []
    for rule in rules:
        out = []
        i = 0
        while i < len(rule):
            if rule.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            char = rule[i]
            if char == "*":
                out.append("[^/]*")
            elif char == "?":
                out.append("[^/]")
            elif char == "/":
                out.append("\\/")
            elif char in "[]":
                out.append(char)  # character classes mean the same in globs and RE2
            else:
                out.append(re.escape(char).replace("/", "\\/"))
            i += 1
        alternatives.append("".join(out))
    return "/^(" + "|".join(alternatives) + ")$/"


# -- checking -----------------------------------------------------------------------------


class _OverlayTree:
    """The working tree with some files replaced or added: the repository as init would leave it."""

    def __init__(self, root: Path, files: Mapping[str, bytes], hidden: Sequence[str] = ()) -> None:
        from orchestrator.config.tree import WorkTree

        self._base = WorkTree(root)
        self._files = dict(files)
        self._hidden = tuple(d.rstrip("/") + "/" for d in hidden)  # directories whose files on disk don't count
        self.label = "working tree with the files orchestrator init proposes"

    def files(self, under: str) -> list[str]:
        prefix = "" if under in ("", ".") else under.rstrip("/") + "/"
        extra = [p for p in self._files if p.startswith(prefix)]
        base = [p for p in self._base.files(under) if not p.startswith(self._hidden)]
        return sorted(set(base) | set(extra))

    def exists(self, path: str) -> bool:
        return path in self._files or self._base.exists(path)

    def read_many(self, paths: Sequence[str]) -> dict[str, bytes]:
        out = self._base.read_many([p for p in paths if p not in self._files])
        out.update({p: self._files[p] for p in paths if p in self._files})
        return out

    def files_containing(self, under: str, needle: str, suffix: str = "") -> list[str]:
        target = needle.encode()
        candidates = [p for p in self.files(under) if p.endswith(suffix)]
        return [p for p, text in self.read_many(candidates).items() if target in text]


def load_with(root: Path, files: Mapping[str, bytes], *, hidden: Sequence[str] = ()) -> RepoConfig:
    """The configuration as it would load with `files` written (and files under `hidden` gone)."""
    from orchestrator.config.load import load_repository

    return load_repository(root, _OverlayTree(root, files, hidden))


def check_generated(detection: Detection, files: Sequence[GeneratedFile]) -> None:
    """The proposed configuration must load and find exactly the detected projects, where they are.

    A failure here is ours (the proposal is wrong), except for layouts the configuration cannot
    express, which get a message saying what to change.
    """
    proposed = {f.path: f.content.encode() for f in files if not _is_ci(f.path)}
    # The proposal alone: environment files already on disk are judged in _check_final_state.
    config = load_with(detection.root, proposed, hidden=[ENVIRONMENTS_DIR])
    found = {name: project.directory for name, project in config.projects.items()}
    expected = {p.name: p.directory for p in detection.projects}
    if found == expected:
        return
    extra = sorted(set(found) - set(expected))
    missing = sorted(set(expected) - set(found))
    moved = sorted(n for n in set(found) & set(expected) if found[n] != expected[n])
    raise UserError(
        "the proposed configuration does not find the detected projects: "
        + "; ".join(
            part
            for part in (
                f"also finds {', '.join(f'{n} ({found[n]})' for n in extra)}" if extra else "",
                f"misses {', '.join(missing)}" if missing else "",
                f"places {', '.join(moved)} elsewhere" if moved else "",
            )
            if part
        ),
        hint="a Pulumi.yaml inside an ignored or skipped directory (a virtual environment, node_modules) "
        "is still read from commits; remove it from the repository or move the projects under one directory",
    )


def _is_ci(path: str) -> bool:
    return path.startswith(GITHUB_WORKFLOWS) or path == GITLAB_CI_FILE


def _final_state(
    detection: Detection, proposal: Proposal, config_files: Sequence[GeneratedFile], *, force: bool
) -> tuple[Proposal, list[str]]:
    """The branches and drift cron the CI files need, from the configuration as it will be on disk.

    Files kept (they exist, differ, and no --force) may not fit with the ones written: say so
    rather than leave a configuration that does not load.
    """
    from dataclasses import replace

    from orchestrator.errors import ConfigError

    kept = {f.path for f in config_files if _kept(detection.root / f.path, f.content, force=force)}
    if not kept:
        return proposal, []
    written = {f.path: f.content.encode() for f in config_files if f.path not in kept}
    try:
        config = load_with(detection.root, written)
    except ConfigError as exc:
        return proposal, [f"with the existing files kept, the configuration does not load: {exc.message} (use --force)"]
    notes: list[str] = []
    found, expected = set(config.projects), {p.name for p in detection.projects}
    if found != expected:
        notes.append(
            f"with the existing {CONFIG_FILE} kept, the configuration finds "
            f"{', '.join(sorted(found)) or 'no projects'} instead of {', '.join(sorted(expected))} "
            "(use --force to replace it)"
        )
    if not config.environments:
        return proposal, notes
    branches = tuple(sorted({rule for env in config.environments.values() for rule in env.branch_rules}))
    schedules = {env.drift.schedule for env in config.environments.values()}
    cron = next(iter(schedules)) if len(schedules) == 1 else FALLBACK_DRIFT_CRON
    if branches != proposal.tracked_branches:
        notes.append(f"the CI files follow the existing environments: branches {', '.join(branches)}")
    return replace(proposal, tracked_branches=branches, drift_cron=cron), notes


def _kept(target: Path, content: str, *, force: bool) -> bool:
    """Whether an existing file stays as it is: it differs and --force was not given."""
    return target.exists() and not force and target.read_text(encoding="utf-8", errors="replace") != content


# -- writing ------------------------------------------------------------------------------


def write_files(root: Path, files: Sequence[GeneratedFile], *, force: bool, dry_run: bool) -> list[FileAction]:
    actions: list[FileAction] = []
    for generated in files:
        target = root / generated.path
        exists = target.exists()
        if exists and target.read_text(encoding="utf-8", errors="replace") == generated.content:
            actions.append(FileAction(generated.path, "would skip" if dry_run else "skipped", "already up to date"))
            continue
        if exists and not force:
            actions.append(
                FileAction(generated.path, "would skip" if dry_run else "skipped", "exists; --force replaces it")
            )
            continue
        if dry_run:
            actions.append(
                FileAction(generated.path, "would overwrite" if exists else "would write", generated.purpose)
            )
            continue
        _write_atomically(target, generated.content)
        actions.append(FileAction(generated.path, "overwritten" if exists else "written", generated.purpose))
    return actions


def _write_atomically(target: Path, content: str) -> None:
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

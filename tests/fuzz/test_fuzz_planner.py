"""Fuzzing the planner: generated repositories (projects with valid and invalid names,
depends_on edges that may form cycles, StackReferences, environments with branch rules and
project subsets) and random change sets (edits, additions, deletions and renames of their
files, of lib/ and environments/, of odd paths). Property: the plan is made, or the answer is
a UserError; a made plan runs each stack after the stacks it depends on, once, and only in
environments its branch feeds. A few examples also go through `orchestrator plan` on a real
Git repository: exit 0, 1 or 2 and no traceback."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from orchestrator.config.load import load_repository
from orchestrator.errors import UserError
from orchestrator.models import FileChange
from orchestrator.planner import PlanInput, plan
from tests.fuzz.cli import assert_clean_exit, run_cli
from tests.fuzz.strategies import hostile_text

VALID_NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
BAD_NAMES = st.sampled_from(["..", ".", "a b", "x/y", "9z", "é"])
NAMES = st.integers(min_value=0, max_value=14).flatmap(lambda n: BAD_NAMES if n == 0 else VALID_NAMES)


def rarely(strategy: st.SearchStrategy[Any], usual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`strategy` about one time in eight, else `usual`."""
    return st.integers(min_value=0, max_value=7).flatmap(lambda n: strategy if n == 0 else usual)
ENV_NAMES = st.sampled_from(["dev", "qa", "uat", "prod", "staging"])
BRANCHES = st.sampled_from(["main", "develop", "release/*", "feature/**"])


class DictTree:
    """A repository's files in memory (the loader's `Tree`), for fast planning."""

    label = "generated tree"

    def __init__(self, files: dict[str, str]) -> None:
        self._files = {path: text.encode() for path, text in files.items()}

    def files(self, under: str) -> list[str]:
        prefix = "" if under in ("", ".") else under.rstrip("/") + "/"
        return sorted(p for p in self._files if p.startswith(prefix))

    def exists(self, path: str) -> bool:
        return path in self._files

    def read_many(self, paths: Sequence[str]) -> dict[str, bytes]:
        return {p: self._files[p] for p in paths if p in self._files}

    def files_containing(self, under: str, needle: str, suffix: str | tuple[str, ...] = "") -> list[str]:
        return [p for p in self.files(under) if p.endswith(suffix) and needle.encode() in self._files[p]]


@st.composite
def repositories(draw: st.DrawFn) -> dict[str, str]:
    projects = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    files: dict[str, str] = {"lib/common.py": "X = 1\n"}
    settings_projects: dict[str, Any] = {}
    for index, name in enumerate(projects):
        directory = f"stacks/{name.replace('/', '_')}"
        files[f"{directory}/Pulumi.yaml"] = f"name: {name!r}\nruntime: python\n".replace("'", '"')
        # Mostly on earlier projects (a graph); now and then on any (cycles, self-references).
        pick = rarely(st.sampled_from(projects), st.sampled_from(projects[:index])) if index \
            else st.sampled_from(projects)
        size = 2 if index else draw(rarely(st.just(1), st.just(0)))
        refs = draw(st.lists(pick, max_size=size))
        program = "import pulumi\n" + "".join(
            f'r{i} = pulumi.StackReference(f"org/{ref}/{{pulumi.get_stack()}}")\n' for i, ref in enumerate(refs))
        files[f"{directory}/__main__.py"] = program
        depends = draw(st.lists(pick, max_size=size, unique=True))
        if depends or draw(st.booleans()):
            settings_projects[name] = {"depends_on": depends, "watch": draw(st.lists(st.sampled_from(
                ["lib/**", "shared/*.py", "*.md"]), max_size=2))}
    import yaml

    files["orchestrator.yaml"] = yaml.safe_dump({"watch": ["lib/**"], "projects": settings_projects})
    for order, env in enumerate(draw(st.lists(ENV_NAMES, min_size=1, max_size=4, unique=True))):
        document: dict[str, Any] = {"branch": draw(BRANCHES), "order": order}
        if draw(st.booleans()):
            document["projects"] = draw(st.lists(st.sampled_from(projects), max_size=3, unique=True))
        files[f"environments/{env}.yaml"] = yaml.safe_dump(document)
    return files


@st.composite
def change_sets(draw: st.DrawFn, files: dict[str, str]) -> tuple[FileChange, ...]:
    existing = sorted(files)
    odd = st.one_of(hostile_text.map(lambda t: f"stacks/{t}"), st.sampled_from(
        ["../outside.py", "stacks//x.py", "README.md", "environments/new.yaml", "lib/deep/a.py"]))
    changes = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        kind = draw(st.sampled_from(["modified", "added", "deleted", "renamed"]))
        path = draw(rarely(odd, st.sampled_from(existing)))
        if kind == "renamed":
            changes.append(FileChange(draw(rarely(odd, st.sampled_from(existing))), "renamed", old_path=path))
        else:
            changes.append(FileChange(path, kind))  # type: ignore[arg-type]
    return tuple(changes)


@st.composite
def plan_inputs(draw: st.DrawFn) -> tuple[dict[str, str], tuple[FileChange, ...], str, str]:
    import yaml

    files = draw(repositories())
    rules = [yaml.safe_load(text)["branch"] for path, text in files.items() if path.startswith("environments/")]
    branches = [rule.replace("/**", "/a/b").replace("/*", "/1") for rule in rules]
    branch = draw(rarely(st.sampled_from(["other", "release/"]), st.sampled_from(branches)))
    return files, draw(change_sets(files)), branch, draw(st.sampled_from(["pr", "push"]))


@given(case=plan_inputs())
def test_random_change_sets_plan_or_answer_clearly(
    case: tuple[dict[str, str], tuple[FileChange, ...], str, str],
) -> None:
    files, changes, branch, trigger = case
    tree = DictTree(files)
    try:
        config = load_repository(Path("/generated"), tree)
        made = plan(PlanInput(head_config=config, changes=changes, branch=branch, event=trigger,  # type: ignore[arg-type]
                              base="a" * 40, head="b" * 40), base_config=lambda: config)
    except UserError as exc:
        event(f"refused: {exc.message[:60]}")
        return
    event("planned: none" if not made.stacks else "planned: some stacks")
    waves = {stack.id: stack.wave for stack in made.stacks}
    assert len(waves) == len(made.stacks), "a stack planned twice"
    for stack in made.stacks:
        assert stack.environment in made.environments
        for dependency in stack.depends_on:
            if dependency in waves:
                assert waves[dependency] < stack.wave, (dependency, stack.id, made.stacks)


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-plan") / "infra"
    root.mkdir()
    git = ["git", "-C", str(root), "-c", "user.name=fuzz", "-c", "user.email=fuzz@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "root"], check=True)
    return root


@settings(max_examples=max(8, settings.default.max_examples // 50))  # a commit and a process each
@given(case=plan_inputs())
def test_orchestrator_plan_on_generated_repositories(
    git_repo: Path, case: tuple[dict[str, str], tuple[FileChange, ...], str, str]
) -> None:
    files, _changes, branch, event = case
    git = ["git", "-C", str(git_repo), "-c", "user.name=fuzz", "-c", "user.email=fuzz@example.com"]
    subprocess.run([*git, "rm", "-q", "-r", "--ignore-unmatch", "."], check=True, capture_output=True)
    for rel, text in files.items():
        (git_repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (git_repo / rel).write_text(text)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "generated"], check=True)
    code, out, err = run_cli("plan", "--repo", git_repo, "--base", "HEAD~1", "--branch", branch, "--event", event,
                             "--format", "json")
    assert_clean_exit(code, out, err, what=f"plan on {sorted(files)}")

"""The README and the getting-started guide, executed: their runnable shell blocks (see
runnable.py) run in order, in a temporary directory, as a newcomer would type them, with the
installed `orchestrator` on PATH, the local engine and the sandbox AWS (moto) the pages start.

- README.md's first-comment block runs in a repository of the reader's own: three Pulumi
  projects in a layout of their own (tests/fixtures/first-hour), no orchestrator files.
- docs/getting-started.md runs from the directory holding the clone of this repository
  (its sample `stacks/` and `lib/` are what the guide copies).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.runnable import runnable_blocks, script
from tests.support.fixtures import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "getting-started.md"
OWN_REPOSITORY = FIXTURES / "first-hour"
# What a shell that has `orchestrator` installed sees; nothing of the caller's CI or cloud.
_DROPPED = ("ORCHESTRATOR_", "PULUMI_", "GITHUB_", "GITLAB_", "CI_", "AWS_")


def _environ(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED) and k not in ("CI", "VIRTUAL_ENV")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    home.mkdir(parents=True, exist_ok=True)
    # A newcomer's Git knows who they are.
    (home / ".gitconfig").write_text("[user]\n\tname = New Comer\n\temail = newcomer@example.com\n")
    return env


def _run(page: Path, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    blocks = runnable_blocks(page)
    assert blocks, f"{page.name} has no runnable block"
    return subprocess.run(
        ["bash", "-c", script(page.relative_to(ROOT).as_posix(), blocks)],
        cwd=cwd,
        env=_environ(home),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _stop_sandboxes(under: Path, home: Path) -> None:
    """A page that failed halfway may leave its sandbox running: stop every one it started."""
    for pid_file in under.rglob(".orchestrator/sandbox.pid"):
        repo = pid_file.parent.parent
        subprocess.run(
            [sys.executable, "-m", "orchestrator", "sandbox", "stop", "--repo", str(repo)],
            env=_environ(home), capture_output=True, check=False, timeout=60,
        )


def _explain(done: subprocess.CompletedProcess[str]) -> str:
    failed = [line for line in done.stderr.splitlines() if line.startswith("RUNNABLE-FAILED")]
    return "\n".join([*failed, "--- stdout", done.stdout[-4000:], "--- stderr", done.stderr[-8000:]])


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    _stop_sandboxes(tmp_path, tmp_path / "home")


def test_readme_first_comment_on_your_own_repository(workdir: Path) -> None:
    repo = workdir / "my-infrastructure"
    shutil.copytree(OWN_REPOSITORY, repo, ignore=shutil.ignore_patterns("SOURCES.md"))
    home = workdir / "home"
    env = _environ(home)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Pulumi projects"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    started = time.monotonic()
    done = _run(README, repo, home)
    took = time.monotonic() - started

    assert done.returncode == 0, _explain(done)
    comment = (repo / "comments" / "comment.md").read_text(encoding="utf-8")
    assert comment.startswith("<!-- orchestrator:preview -->")
    for stack in ("queues", "api"):
        assert f"| {stack} | dev |" in comment, f"the first comment previews {stack}/dev"
    assert ".orchestrator/" in (repo / ".gitignore").read_text()
    assert "comment: comments/comment.md" in done.stderr, "the command says where the comment went"
    # Issue 21: a first comment within 5 minutes of the install, on a repository of one's own.
    assert took < 300, f"the README's first comment took {took:.0f}s"


def test_getting_started_guide_as_written(workdir: Path) -> None:
    clone = workdir / "gitops-orchestrator"  # what section 1's `git clone` made, as far as the guide reads it
    for part in ("stacks", "lib"):
        shutil.copytree(ROOT / part, clone / part, ignore=shutil.ignore_patterns("__pycache__"))

    done = _run(GUIDE, clone, workdir / "home")

    assert done.returncode == 0, _explain(done)
    infra = workdir / "infra"
    comment = (infra / "vcs" / "pr-7" / "comment.md").read_text(encoding="utf-8")
    assert "Preview for dev" in comment and "CostCenter" in comment
    assert not (infra / ".orchestrator" / "sandbox.pid").exists(), "the guide ends by stopping the sandbox"


def test_the_demo_ends_with_the_readme_commands() -> None:
    """`make demo` prints how to do the same on one's own repository: the README block the test above runs."""
    from orchestrator.demo import OWN_REPOSITORY_COMMANDS

    readme = " && ".join(c.text.split("  #")[0].strip() for c in runnable_blocks(README)[0].commands)
    for command in OWN_REPOSITORY_COMMANDS:
        assert command in readme, command


def test_blocks_are_found_with_their_commands_and_files(tmp_path: Path) -> None:
    readme = runnable_blocks(README)
    assert readme[0].commands[0].text.startswith("orchestrator init")
    assert "comments/comment.md" in readme[0].creates
    assert len(runnable_blocks(GUIDE)) >= 4
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n```sh\nnot runnable\n```\n\n<!-- runnable; creates: a.txt, b -->\n```sh\n"
        "touch a.txt && \\\n  mkdir b\n# a comment\norchestrator drift   # exits 2: drift found\n```\n"
    )
    (block,) = runnable_blocks(page)
    assert [(c.text, c.line, c.exits) for c in block.commands] == [
        ("touch a.txt &&    mkdir b", 9, 0),
        ("orchestrator drift   # exits 2: drift found", 12, 2),
    ]
    assert block.creates == ("a.txt", "b")

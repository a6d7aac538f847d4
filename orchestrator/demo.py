"""`make demo`: the sample infrastructure repository, copied into a temporary Git repository,
and what the orchestrator plans for a change to it. Runs on embedded defaults only."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

SAMPLE_PARTS = ("orchestrator.yaml", "environments", "stacks", "lib")
console = Console(highlight=False)


def git(repo: Path, *args: str) -> str:
    env_args = ["-c", "user.name=Demo User", "-c", "user.email=demo@example.invalid"]
    return subprocess.run(
        ["git", *env_args, *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def copy_sample(source: Path, repo: Path) -> None:
    for part in SAMPLE_PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, repo / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.is_file():
            shutil.copy2(src, repo / part)


def heading(text: str) -> None:
    console.print()
    console.print(Rule(f"[bold]{text}[/bold]"))


def orchestrator(*args: str) -> None:
    console.print(f"[dim]$ orchestrator {' '.join(args)}[/dim]")
    subprocess.run([sys.executable, "-m", "orchestrator", *args], check=True)


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    workdir = Path(tempfile.mkdtemp(prefix="orchestrator-demo-"))
    repo = workdir / "infra"
    repo.mkdir()
    heading("The sample infrastructure repository")
    copy_sample(source, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial infrastructure")
    git(repo, "branch", "develop")
    console.print(f"A Git repository at {repo}")
    orchestrator("environments", "--repo", str(repo))
    orchestrator("projects", "--repo", str(repo))

    heading("A change: shared tags in lib/ and the data project")
    git(repo, "checkout", "-q", "-b", "feature/tags")
    with (repo / "lib" / "tags.py").open("a") as handle:
        handle.write("\n# demo: a change to the shared helpers touches every project\n")
    with (repo / "stacks" / "data" / "__main__.py").open("a") as handle:
        handle.write("\n# demo: a change to the data project\n")
    git(repo, "commit", "-q", "-am", "Change shared tags and the data project")

    heading("What a pull request into main would preview")
    orchestrator("plan", "--repo", str(repo), "--base", "main", "--head", "feature/tags", "--event", "pr")

    heading("What merging it into main would update, in order")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge feature/tags", "feature/tags")
    orchestrator("plan", "--repo", str(repo), "--base", "HEAD^1", "--head", "HEAD", "--event", "push")

    heading("Where things are")
    console.print(f"demo repository: {repo}")
    console.print("JSON for tools: orchestrator plan --format json; CI job matrix: --format matrix")


if __name__ == "__main__":
    main()

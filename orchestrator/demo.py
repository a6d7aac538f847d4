"""`make demo`: the orchestrator on the sample infrastructure, on embedded defaults only
(local engine, the embedded AWS, no credentials, no network).

It copies the sample into a temporary Git repository, deploys its starting state, opens a
pull request and previews it (the PR comment is written to files), and shows what the merge
would run. Every step is a real `orchestrator` command; nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from rich.rule import Rule

from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox

SAMPLE_PARTS = ("orchestrator.yaml", "environments", "stacks", "lib")
DEMO_PASSPHRASE = "demo-passphrase"  # the sample's stacks hold secrets (an SSM parameter value)
console = Console(highlight=False)

# The pull request of the story: a shared tag added in lib/ (every project watches lib/), and in
# the data project a longer role session and a new topic for upload events.
PR_EDITS = (
    ("lib/tags.py", '        "ManagedBy": MANAGED_BY,\n', '        "ManagedBy": MANAGED_BY,\n        "CostCenter": "platform",\n'),
    ("stacks/data/__main__.py", "max_session_duration=3600,", "max_session_duration=7200,"),
)
PR_APPEND = (
    "stacks/data/__main__.py",
    '\nupload_events = aws.sns.Topic(\n    naming.resource_name(project, env, "upload-events"),\n'
    '    tags=tags.standard_tags(project, env, Component="upload-events"),\n)\n'
    'pulumi.export("upload_events_topic", upload_events.arn)\n',
)


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=Demo User", "-c", "user.email=demo@example.invalid"]
    return subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


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


def orchestrator(*args: str, check: bool = True) -> int:
    console.print(f"[dim]$ orchestrator {' '.join(args)}[/dim]")
    proc = subprocess.run([sys.executable, "-m", "orchestrator", *args], check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"demo step failed: orchestrator {' '.join(args)} (exit {proc.returncode})")
    return proc.returncode


def edit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    text = file.read_text()
    if old not in text:
        raise SystemExit(f"demo: the sample changed, {path} no longer contains {old!r}")
    file.write_text(text.replace(old, new, 1))


def make_repository(source: Path, workdir: Path) -> Path:
    repo = workdir / "infra"
    repo.mkdir()
    copy_sample(source, repo)
    (repo / ".gitignore").write_text(".orchestrator/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial infrastructure")
    git(repo, "branch", "develop")
    return repo


def deploy_starting_state(repo: Path) -> None:
    # Until the merge flow runs whole pushes, each stack is updated by hand, in dependency order.
    for env in ("qa", "uat", "prod"):
        for project in ("network", "data", "app"):
            orchestrator("stack", "update", "--project", project, "--env", env, "--repo", str(repo))


def open_pull_request(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature/cost-center")
    for path, old, new in PR_EDITS:
        edit(repo, path, old, new)
    path, text = PR_APPEND
    with (repo / path).open("a") as handle:
        handle.write(text)
    git(repo, "commit", "-q", "-am", "Tag resources with their cost center; upload events topic")
    git(repo, "checkout", "-q", "main")


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    workdir = Path(tempfile.mkdtemp(prefix="orchestrator-demo-"))
    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", DEMO_PASSPHRASE)
    with InProcessSandbox() as sandbox:
        os.environ[ENDPOINT_ENV] = sandbox.endpoint  # `aws.endpoint: sandbox` resolves to this one
        heading("1. The sample infrastructure repository")
        repo = make_repository(source, workdir)
        console.print(f"A Git repository at {repo}; the embedded AWS (moto) at {sandbox.endpoint}")
        orchestrator("environments", "--repo", str(repo))
        orchestrator("projects", "--repo", str(repo))

        heading("2. The starting state: network, data and app deployed to qa, uat and prod")
        deploy_starting_state(repo)

        heading("3. A pull request into main: shared tags in lib/ and a change to the data project")
        open_pull_request(repo)
        orchestrator("plan", "--repo", str(repo), "--base", "main", "--head", "feature/cost-center")

        heading("4. The preview flow: every affected stack previewed, one consolidated PR comment")
        comments = workdir / "vcs"
        orchestrator(
            "preview", "--repo", str(repo), "--base", "main", "--head", "feature/cost-center",
            "--pr", "1", "--vcs", "files", "--out", str(comments),
        )
        comment = comments / "comment.md"
        console.print(Rule("the PR comment (rendered)", style="dim"))
        console.print(Markdown(comment.read_text()))

        heading("5. What merging the pull request will update, in order")
        git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "feature/cost-center")
        orchestrator("plan", "--repo", str(repo), "--base", "HEAD^1", "--head", "HEAD", "--event", "push")

        heading("Where things are")
        console.print(f"demo repository:     {repo}")
        console.print(f"PR comment (raw):    {comment}")
        console.print(f"commit statuses:     {comments / 'statuses.json'}")
        console.print(f"stack state:         {repo / '.orchestrator' / 'state' / '.pulumi' / 'stacks'}")
        console.print(f"Kubernetes manifests: {repo / '.orchestrator' / 'state' / 'manifests'}")


if __name__ == "__main__":
    main()

"""`make demo`: the orchestrator on the sample infrastructure, on embedded defaults only
(local engine, the embedded AWS, no credentials, no network).

It copies the sample into a temporary Git repository, deploys its starting state, opens a
pull request and previews it (the PR comment is written to files), shows a second pull request
that the sample's policy packs stop, deploys the merge, finds drift, breaks dev and rolls it
back, and shows the delivery insights of that history. Every step is a real `orchestrator`
command; nothing is mocked.
"""

from __future__ import annotations

import json
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
from orchestrator.vcs.base import PullRequest
from orchestrator.vcs.files import FilesVcs

SAMPLE_PARTS = ("orchestrator.yaml", "environments", "stacks", "lib", "policies")
DEMO_PASSPHRASE = "demo-passphrase"
LEAD = "platform-lead"  # listed under trust.users in the sample's orchestrator.yaml
AUTHOR = "dev-alice"
FEATURE = "feature/cost-center"
PR_NUMBER = 1  # the sample's stacks hold secrets (an SSM parameter value)
console = Console(highlight=False, soft_wrap=True)

# The pull request of the story: a shared tag added in lib/ (every project watches lib/), and in
# the data project a longer role session and a new topic for upload events.
PR_EDITS = (
    (
        "lib/tags.py",
        '        "ManagedBy": MANAGED_BY,\n',
        '        "ManagedBy": MANAGED_BY,\n        "CostCenter": "platform",\n',
    ),
    ("stacks/data/__main__.py", "max_session_duration=3600,", "max_session_duration=7200,"),
)
# A typo that only shows when the program runs: the deploy of app/dev fails.
BAD_CHANGE = ("stacks/app/__main__.py", '\npulumi.export("dashboard_url", dashbaord_url)\n')
PR_APPEND = (
    "stacks/data/__main__.py",
    '\nupload_events = aws.sns.Topic(\n    naming.resource_name(project, env, "upload-events"),\n'
    '    tags=tags.standard_tags(project, env, Component="upload-events"),\n)\n'
    'pulumi.export("upload_events_topic", upload_events.arn)\n',
)


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=Demo User", "-c", "user.email=demo@example.invalid"]
    return subprocess.run(
        ["git", *identity, *args], cwd=repo, check=True, capture_output=True, text=True
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


def deploy_starting_state(repo: Path, vcs_dir: Path) -> None:
    # The first push deploys every stack: main feeds qa and uat, and prod once a lead approves.
    deploy(repo, vcs_dir, "--after", "develop", "--branch", "develop")
    deploy(repo, vcs_dir, "--after", "main", "--branch", "main")
    orchestrator(
        "promote",
        "--repo",
        str(repo),
        "--env",
        "prod",
        "--commit",
        "main",
        "--actor",
        LEAD,
        "--reason",
        "initial rollout",
        "--vcs",
        "files",
        "--out",
        str(vcs_dir),
    )


def deploy(repo: Path, vcs_dir: Path, *args: str) -> None:
    orchestrator("deploy", "--repo", str(repo), "--actor", LEAD, "--vcs", "files", "--out", str(vcs_dir), *args)


def open_pull_request(repo: Path, vcs_dir: Path) -> str:
    git(repo, "checkout", "-q", "-b", FEATURE)
    for path, old, new in PR_EDITS:
        edit(repo, path, old, new)
    path, text = PR_APPEND
    with (repo / path).open("a") as handle:
        handle.write(text)
    git(repo, "commit", "-q", "-am", "Tag resources with their cost center; upload events topic")
    git(repo, "checkout", "-q", "main")
    head = git(repo, "rev-parse", FEATURE)
    FilesVcs(vcs_dir).add_pull(
        PullRequest(
            number=PR_NUMBER,
            head_sha=head,
            base_ref="main",
            head_ref=FEATURE,
            author=AUTHOR,
            from_fork=False,
            merged=False,
            state="open",
            title="Cost center tags; upload events topic",
        )
    )
    return head


# A second pull request, into develop, that the policy packs stop: a new project with a bucket
# lacking the standard tags (advisory) and a role allowing every action on everything (mandatory).
POLICY_PR_NUMBER = 2
POLICY_FEATURE = "feature/reports"
REPORTS_PROGRAM = '''"""Reports: exported files and the role that writes them."""

import json
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib import naming, tags

project, env = pulumi.get_project(), pulumi.get_stack()
exports = aws.s3.Bucket(naming.resource_name(project, env, "exports"), tags={"Project": project})
aws.iam.Role(
    naming.resource_name(project, env, "exporter"),
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    inline_policies=[{"name": "exports", "policy": json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})}],
    tags=tags.standard_tags(project, env, Component="exporter"),
)
pulumi.export("exports_bucket", exports.bucket)
'''


def open_policy_pull_request(repo: Path, vcs_dir: Path) -> str:
    git(repo, "checkout", "-q", "-b", POLICY_FEATURE, "develop")
    (repo / "stacks" / "reports").mkdir()
    (repo / "stacks" / "reports" / "Pulumi.yaml").write_text("name: reports\nruntime: python\n")
    (repo / "stacks" / "reports" / "__main__.py").write_text(REPORTS_PROGRAM)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Reports: an exports bucket and its writer role")
    git(repo, "checkout", "-q", "main")
    head = git(repo, "rev-parse", POLICY_FEATURE)
    FilesVcs(vcs_dir).add_pull(
        PullRequest(number=POLICY_PR_NUMBER, head_sha=head, base_ref="develop", head_ref=POLICY_FEATURE,
                    author=AUTHOR, from_fork=False, merged=False, state="open", title="Reports project")
    )
    return head


def merge(repo: Path, branch: str) -> tuple[str, str]:
    """Merge the feature branch into `branch`; the (before, after) of that push."""
    git(repo, "checkout", "-q", branch)
    before = git(repo, "rev-parse", "HEAD")
    git(repo, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{PR_NUMBER} into {branch}", FEATURE)
    return before, git(repo, "rev-parse", "HEAD")


def approve(vcs_dir: Path) -> None:
    (vcs_dir / "approvals.json").write_text(json.dumps({str(PR_NUMBER): [LEAD]}))


def change_cloud_by_hand(endpoint: str) -> None:
    """What drift detection is for: edits nobody made through Git."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1")
    s3 = session.client("s3", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    prod_uploads = next(b for b in buckets if b.startswith("prod-data-uploads"))
    s3.put_bucket_versioning(Bucket=prod_uploads, VersioningConfiguration={"Status": "Suspended"})
    console.print(f"  versioning suspended on {prod_uploads} (prod)")
    dev_queue = next(u for u in sqs.list_queues()["QueueUrls"] if "dev-network" in u)
    sqs.tag_queue(QueueUrl=dev_queue, Tags={"Owner": "someone-by-hand"})
    console.print(f"  a tag added by hand to {dev_queue.rsplit('/', 1)[-1]} (dev: drift.remediate is on)")
    s3.create_bucket(Bucket="hand-made-reports")
    console.print("  a bucket created by hand: hand-made-reports (owned by no stack)")


def break_and_roll_back(repo: Path, vcs_dir: Path) -> None:
    """A change that fails in dev, and the rollback that restores it: history for `orchestrator insights`."""
    git(repo, "checkout", "-q", "develop")
    before = git(repo, "rev-parse", "HEAD")
    with (repo / BAD_CHANGE[0]).open("a") as handle:
        handle.write(BAD_CHANGE[1])
    git(repo, "commit", "-q", "-am", "Export the dashboard URL")
    after = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    code = orchestrator("deploy", "--repo", str(repo), "--actor", LEAD, "--vcs", "files", "--out", str(vcs_dir),
                        "--before", before, "--after", after, "--branch", "develop", check=False)
    if code == 0:
        raise SystemExit("demo step failed: the broken change deployed")
    console.print("  the deploy failed (exit 1), as it should: app/dev's program has a typo")
    orchestrator("rollback", "--repo", str(repo), "--env", "dev", "--to", before, "--actor", LEAD,
                 "--vcs", "files", "--out", str(vcs_dir))


def show_comment(vcs_dir: Path, title: str) -> None:
    console.print(Rule(title + " (rendered)", style="dim"))
    console.print(Markdown((vcs_dir / "comment.md").read_text()))


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

        vcs_dir = workdir / "vcs"  # the `files` VCS provider: comments, statuses, deployments as files

        heading("2. The starting state: every stack deployed (dev; qa and uat; prod after approval)")
        deploy_starting_state(repo, vcs_dir)

        heading("3. A pull request into main: shared tags in lib/ and a change to the data project")
        head = open_pull_request(repo, vcs_dir)
        orchestrator("plan", "--repo", str(repo), "--base", "main", "--head", FEATURE)

        heading("4. The preview flow: every affected stack previewed, one consolidated PR comment")
        orchestrator(
            "preview",
            "--repo",
            str(repo),
            "--base",
            "main",
            "--head",
            head,
            "--pr",
            str(PR_NUMBER),
            "--vcs",
            "files",
            "--out",
            str(vcs_dir),
        )
        show_comment(vcs_dir, "the preview comment on PR #1")

        heading("5. Policy as code: a second pull request that the policy packs stop")
        console.print("The sample's packs (policies/, listed in orchestrator.yaml and environments/prod.yaml) run\n"
                      "on every preview and update. This PR adds a bucket without the standard tags (advisory)\n"
                      "and a role allowing *:* (mandatory): its preview fails, and a merge would not deploy it.")
        policy_head = open_policy_pull_request(repo, vcs_dir)
        code = orchestrator("preview", "--repo", str(repo), "--base", "develop", "--head", policy_head,
                            "--pr", str(POLICY_PR_NUMBER), "--vcs", "files", "--out", str(vcs_dir), check=False)
        if code != 1:  # 1: the mandatory violation failed the preview, which is this step's point
            raise SystemExit(f"demo step failed: the policy preview exited {code}, expected 1")
        show_comment(vcs_dir, f"the preview comment on PR #{POLICY_PR_NUMBER}")

        heading("6. Merged: develop deploys dev; main deploys qa, then uat; prod waits for an approval")
        before, after = merge(repo, "develop")
        deploy(repo, vcs_dir, "--before", before, "--after", after, "--branch", "develop", "--pr", str(PR_NUMBER))
        before, after = merge(repo, "main")
        deploy(repo, vcs_dir, "--before", before, "--after", after, "--branch", "main", "--pr", str(PR_NUMBER))

        heading("7. A lead approves PR #1: the same deploy, run again, now reaches prod")
        approve(vcs_dir)
        deploy(repo, vcs_dir, "--before", before, "--after", after, "--branch", "main", "--pr", str(PR_NUMBER))
        show_comment(vcs_dir, "the Deployed comment on PR #1")
        orchestrator("history", "--repo", str(repo), "--limit", "12")

        heading("8. Out of band: someone changes the cloud by hand; the drift check finds it")
        change_cloud_by_hand(sandbox.endpoint)
        reports = workdir / "drift"
        code = orchestrator(
            "drift",
            "--repo",
            str(repo),
            "--out",
            str(reports),
            "--vcs",
            "files",
            "--out-vcs",
            str(vcs_dir),
            "--actor",
            LEAD,
            check=False,
        )
        if code not in (0, 2):  # 2 means drift was found: that is this step's point
            raise SystemExit(f"demo step failed: orchestrator drift (exit {code})")
        console.print(Rule("the drift report (rendered)", style="dim"))
        console.print(Markdown((reports / "drift-report.md").read_text()))

        heading("9. A bad change: the deploy of dev fails; a rollback restores it")
        break_and_roll_back(repo, vcs_dir)

        heading("10. Delivery insights: how changes flowed (the four DORA measures, drift)")
        orchestrator("insights", "--repo", str(repo), "--since", "1d")

        heading("11. Server mode: the same flows from webhooks, with a dashboard")
        console.print(
            "Instead of CI jobs, `orchestrator serve` receives GitHub/GitLab webhooks, queues the work and\n"
            "runs drift checks on each environment's schedule. On this demo repository:\n\n"
            f"  export ORCHESTRATOR_WEBHOOK_SECRET=change-me PULUMI_CONFIG_PASSPHRASE={DEMO_PASSPHRASE}\n"
            f"  orchestrator sandbox start --repo {repo}\n"
            f"  orchestrator serve --repo {repo} --port 8080\n\n"
            "then open http://127.0.0.1:8080/ for the dashboard (stacks x environments, runs, locks) and\n"
            "http://127.0.0.1:8080/insights?since=1d for the insights charts; Prometheus reads /metrics;\n"
            "point a webhook at http://<host>:8080/webhooks/github (docs/server.md)."
        )

        heading("Where things are")
        console.print(f"demo repository:     {repo}")
        console.print(f"PR comments (raw):   {vcs_dir / 'pr-1'}")
        console.print(f"commit statuses:     {vcs_dir / 'statuses.json'}")
        console.print(f"deployments:         {vcs_dir / 'deployments.json'}")
        console.print(f"run store (SQLite):  {repo / '.orchestrator' / 'orchestrator.db'}")
        console.print(f"drift reports:       {reports}/drift-report.md, .json, .html")
        console.print(f"drift issues:        {vcs_dir / 'issues'}")
        console.print(f"stack state:         {repo / '.orchestrator' / 'state' / '.pulumi' / 'stacks'}")
        console.print(f"Kubernetes manifests: {repo / '.orchestrator' / 'state' / 'manifests'}")

        heading("Now on your own repository: a first pull-request comment")
        console.print("In a Git repository of your Pulumi Python projects, with this orchestrator on PATH\n"
                      "(`. .venv/bin/activate` here), three commands (init prints them for your repository):\n")
        for command in OWN_REPOSITORY_COMMANDS:
            console.print(f"  {command}", markup=False, highlight=False)
        console.print("\nThe comment goes to comments/comment.md; README.md, \"Using it on your repository\".")


# What a newcomer runs on a repository of their own (README.md's first-comment block, which the
# tests run; `orchestrator init` prints the same, with the branch of its first environment).
OWN_REPOSITORY_COMMANDS = (
    "orchestrator init --ci github",
    "git add .github .gitignore environments orchestrator.yaml && git commit -qm 'Adopt the GitOps orchestrator'",
    "orchestrator sandbox start && "
    "orchestrator preview --base HEAD~1 --head HEAD --branch main --vcs files --out comments/",
)


if __name__ == "__main__":
    main()

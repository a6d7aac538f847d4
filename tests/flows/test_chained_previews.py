"""A first pull request of a chain of three new projects (base -> middle -> top), previewed by the
real local engine on moto: each dependent is previewed against its upstream's previewed outputs
(known values flow on, the rest is "known after update"), nothing fails for want of a deployed
upstream, and the comment says which outputs came from the pull request's preview."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.support.cli import run_cli
from tests.support.preview_repo import BASE_BRANCH, SampleRepo

PULUMI = "name: {name}\nruntime: python\n"
ENVIRONMENT = (
    "branch: develop\nengine: local\nbackend: file://.orchestrator/state\n"
    "aws: {region: us-east-1, endpoint: sandbox}\nconfig: {'aws:region': us-east-1}\n"
)
PROGRAMS = {
    "base": """\
        import pulumi
        import pulumi_aws as aws

        jobs = aws.sqs.Queue("base-jobs", visibility_timeout_seconds=60)
        pulumi.export("queue_url", jobs.url)
        pulumi.export("region", "us-east-1")
        """,
    "middle": """\
        import pulumi
        import pulumi_aws as aws

        base = pulumi.StackReference(f"organization/base/{pulumi.get_stack()}")
        url = aws.ssm.Parameter("middle-queue-url", type="String", value=base.get_output("queue_url"))
        pulumi.export("parameter", url.arn)
        pulumi.export("region", base.get_output("region"))
        """,
    "top": """\
        import pulumi
        import pulumi_aws as aws

        middle = pulumi.StackReference(f"organization/middle/{pulumi.get_stack()}")
        tags = {"Region": middle.get_output("region"), "Parameter": middle.require_output("parameter")}
        aws.sqs.Queue("top-jobs", tags=tags)
        """,
}


@pytest.fixture
def chain_pr(tmp_path: Path, sandbox: InProcessSandbox) -> SampleRepo:
    """A repository with only dev on `develop`; a branch adding the three projects."""
    repo = SampleRepo(tmp_path / "infra")
    repo.write("environments/dev.yaml", ENVIRONMENT)
    repo.write(".gitignore", ".orchestrator/\n__pycache__/\n")
    repo.git("init", "-q", "-b", BASE_BRANCH)
    repo.commit("environments only")
    repo.start_branch("first-chain")
    for name, program in PROGRAMS.items():
        repo.write(f"stacks/{name}/Pulumi.yaml", PULUMI.format(name=name))
        repo.write(f"stacks/{name}/__main__.py", textwrap.dedent(program))
    repo.commit("three new projects, each reading the one before")
    return repo


def test_a_first_pr_of_three_new_projects_previews_the_whole_chain(chain_pr: SampleRepo, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = run_cli(
        chain_pr, "preview", "--base", BASE_BRANCH, "--head", "HEAD", "--pr", "5", "--vcs", "files", "--out", str(out)
    )
    comment = (out / "comment.md").read_text()
    assert run.code == 0, run.stderr + comment
    for project in ("base", "middle", "top"):
        assert re.search(rf"^\| ✅ \| {project} \| dev \| \d+ \| 0 \| 0 \| 0 \|", comment, re.M), comment
    assert "does not exist in backend" not in comment
    # Known values flow through the chain (region); the rest is known after the update.
    assert re.search(r"^\+\s+create\s+aws:sqs/queue:Queue\s+top-jobs$", comment, re.M)
    assert '+ tags: {"Parameter": "(known after update)", "Region": "us-east-1"}' in comment, comment
    taken = "Outputs of {} taken from this pull request's preview; known: region; known after apply: {}."
    assert taken.format("base/dev", r"queue\_url") in comment, comment
    assert taken.format("middle/dev", "parameter") in comment, comment

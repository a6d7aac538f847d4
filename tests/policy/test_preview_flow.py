"""Policy packs in the preview flow on the sample repository (its packs: policies/aws-guard in
every environment): the PR comment's table, the stack's commit status naming the mandatory
policy, `--json`, and a pull request that edits a pack previewing every stack it applies to."""

from __future__ import annotations

import json
from pathlib import Path

from tests.flows.conftest import deployed, sandbox  # noqa: F401 (fixtures)
from tests.support.cli import run_cli
from tests.support.preview_repo import BASE_BRANCH, SampleRepo

REPORTS_PROJECT = {
    "stacks/reports/Pulumi.yaml": "name: reports\nruntime: python\n",
    "stacks/reports/__main__.py": '''
import json
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib import naming, tags

project, env = pulumi.get_project(), pulumi.get_stack()
aws.s3.Bucket(naming.resource_name(project, env, "exports"), tags={"Project": project})
aws.iam.Role(
    naming.resource_name(project, env, "exporter"),
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    inline_policies=[{"name": "everything", "policy": json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})}],
    tags=tags.standard_tags(project, env, Component="exporter"),
)
''',
}


def _preview(repo: SampleRepo, pr: int, out: Path) -> tuple[int, dict[str, object], str]:
    run = run_cli(repo, "preview", "--base", BASE_BRANCH, "--head", "HEAD", "--pr", str(pr), "--vcs", "files",
                  "--out", str(out), "--json")
    return run.code, json.loads(run.stdout), run.stderr


def test_violations_in_the_comment_the_status_and_the_json(deployed: SampleRepo, tmp_path: Path) -> None:  # noqa: F811
    repo = deployed
    repo.start_branch("pr-reports")
    for path, text in REPORTS_PROJECT.items():
        repo.write(path, text)
    repo.commit("reports: exports bucket and an exporter role")
    out = tmp_path / "out"

    code, document, stderr = _preview(repo, 21, out)

    assert code == 1, stderr  # a mandatory violation fails the preview
    [result] = [r for r in document["results"] if r["stack"] == "reports/dev"]  # type: ignore[attr-defined]
    assert result["status"] == "failed"
    assert result["error"] == "1 mandatory policy violation: aws-guard/iam-no-wildcard-admin on dev-reports-exporter"
    assert sorted((v["policy_pack"], v["policy"], v["enforcement"], v["urn"].rsplit("::", 1)[-1])
                  for v in result["policy_violations"]) == [
        ("aws-guard", "iam-no-wildcard-admin", "mandatory", "dev-reports-exporter"),
        ("aws-guard", "standard-tags", "advisory", "dev-reports-exports"),
    ]

    comment = (out / "comment.md").read_text()
    table = [line for line in comment.splitlines() if line.startswith("| ") and "aws-guard/" in line]
    assert table == [
        "| **mandatory** | aws-guard/iam-no-wildcard-admin | dev-reports-exporter | IAM policies must not allow "
        "every action on every resource (\\*:\\*). dev-reports-exporter: policy 'everything' allows every "
        "action on every resource (\\*:\\*) |",
        "| advisory | aws-guard/standard-tags | dev-reports-exports | AWS resources carry the standard tags "
        "(owner, project, environment, tooling). dev-reports-exports lacks the tags Organization, Environment, "
        "ManagedBy |",
    ]
    statuses = {s["context"]: s for s in json.loads((out / "statuses.json").read_text())}
    status = statuses["orchestrator/preview: reports/dev"]
    assert (status["state"], status["description"]) == (
        "failure", "mandatory policy violated: iam-no-wildcard-admin (aws-guard)")


def test_a_pr_editing_a_pack_previews_the_stacks_it_applies_to(
    deployed: SampleRepo, tmp_path: Path  # noqa: F811
) -> None:
    repo = deployed
    repo.start_branch("pr-stricter-tags")
    repo.replace("policies/aws-guard/__main__.py", 'STANDARD_TAGS = ["Organization", "Project", "Environment", '
                 '"ManagedBy"]', 'STANDARD_TAGS = ["Organization", "Project", "Environment", "ManagedBy", '
                 '"CostCenter"]')
    repo.commit("aws-guard: a cost center on everything")
    out = tmp_path / "out"

    code, document, stderr = _preview(repo, 22, out)

    assert code == 0, stderr  # advisory: reported, not blocking
    stacks = {s["id"]: s["reasons"] for s in document["plan"]["stacks"]}  # type: ignore[index]
    reason = "changed policies/aws-guard/__main__.py in policy pack policies/aws-guard"
    assert stacks == {"network/dev": [reason], "data/dev": [reason], "app/dev": [reason]}
    flagged = {
        (r["stack"], v["urn"].rsplit("::", 1)[-1])
        for r in document["results"] for v in r["policy_violations"]  # type: ignore[attr-defined]
        if "lacks the tag CostCenter" in v["message"]
    }
    assert flagged == {
        ("network/dev", "dev-network-events"), ("network/dev", "dev-network-events-url"),
        ("data/dev", "dev-data-uploads"), ("data/dev", "dev-data-records"), ("data/dev", "dev-data-app-role"),
    }

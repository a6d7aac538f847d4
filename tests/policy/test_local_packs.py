"""Stack policies, remediations and broken packs on the local engine. A broken pack (it does not
compile, a policy raises, PulumiPolicy.yaml is not YAML, its Python lacks the SDK) fails the stack
with one line naming the pack, what went wrong and where, then a hint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.engines.local.engine import LocalEngine
from tests.support.policy_packs import SAMPLE_PACKS, TEST_PACKS, GuardedStack, pack
from tests.support.sandbox import aws_client as client

PROD_DATA = '''
import pulumi_aws as aws

tags = {"Organization": "acme", "Project": "data", "Environment": "prod", "ManagedBy": "pulumi"}
kept = aws.s3.Bucket("kept", tags=tags)
aws.s3.BucketVersioning("kept-versioning", bucket=kept.id, versioning_configuration={"status": "Enabled"})
aws.s3.Bucket("loose", force_destroy=True, tags=tags)
aws.dynamodb.Table("records", billing_mode="PAY_PER_REQUEST", hash_key="pk",
                   attributes=[{"name": "pk", "type": "S"}], tags=tags)
'''


def test_the_prod_pack_checks_resources_and_the_whole_stack(guarded: GuardedStack) -> None:
    spec = guarded(PROD_DATA, (pack(SAMPLE_PACKS / "aws-guard"), pack(SAMPLE_PACKS / "prod-guard")), stack="prod")
    result = LocalEngine().preview(spec)
    found = sorted((v.policy_pack, v.policy, (v.urn or "").rsplit("::", 1)[-1]) for v in result.policy_violations)
    assert found == [
        ("prod-guard", "dynamodb-point-in-time-recovery", "records"),
        ("prod-guard", "s3-buckets-versioned", "loose"),  # a stack policy: pairs buckets with versioning
        ("prod-guard", "s3-no-force-destroy", "loose"),
    ]
    assert result.status == "failed"
    assert result.error is not None and result.error.startswith("3 mandatory policy violations: ")


def test_stack_policies_see_outputs_after_an_update(guarded: GuardedStack) -> None:
    program = 'import pulumi_aws as aws\naws.sqs.Queue("jobs")\naws.s3.Bucket("a")\naws.s3.Bucket("b")\n'
    spec = guarded(program, (pack(TEST_PACKS / "stack-checks", {"bucket-count": {"max": 2}}),))
    engine = LocalEngine()
    preview = engine.preview(spec)
    # A queue's computed outputs (its URL, and redrivePolicy, Optional+Computed in pulumi-aws) are
    # unknown in a preview of its creation, so the policy cannot run yet.
    [note] = preview.policy_violations
    assert note.enforcement == "advisory"
    assert "can't run policy 'queues-dead-letter' from policy pack 'stack-checks" in note.message
    assert note.message.endswith("during preview: string value at .redrivePolicy can't be known during preview")
    updated = engine.update(spec)
    assert updated.ok, updated.error
    [violation] = updated.policy_violations
    assert violation.policy == "queues-dead-letter" and violation.urn is not None and violation.urn.endswith("::jobs")
    assert "http" in violation.message  # the real URL, known after the update


CENSUS = '''
import pulumi, pulumi_aws as aws

class Group(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:storage:Group", name)
        self.bucket = aws.s3.Bucket(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self, protect=True))
        self.register_outputs({})

group = Group("assets")
aws.s3.BucketVersioning("assets-versioning", bucket=group.bucket.id, versioning_configuration={"status": "Enabled"})
aws.sqs.Queue("jobs", opts=pulumi.ResourceOptions(depends_on=[group.bucket]))
'''


def test_analyze_stack_gets_every_resource_as_pulumi_sends_it(guarded: GuardedStack, tmp_path: Path) -> None:
    # What Pulumi's AnalyzeResources sends (pkg/resource/deploy/step_generator.go): every resource
    # of the deployment (the Stack, components and the default provider too), with its outputs,
    # options, parent, dependencies, property dependencies and provider.
    out = tmp_path / "census.json"
    spec = guarded(CENSUS, (pack(TEST_PACKS / "stack-census", {"census": {"out": str(out)}}),), name="census")
    result = LocalEngine().update(spec)
    assert result.ok, result.error
    seen = {r["name"]: r for r in json.loads(out.read_text())}
    stack = "urn:pulumi:dev::census::pulumi:pulumi:Stack::census-dev"
    bucket = "urn:pulumi:dev::census::acme:storage:Group$aws:s3/bucket:Bucket::assets-bucket"
    aws_provider = {"type": "pulumi:providers:aws", "name": next(n for n in seen if n.startswith("default_"))}
    assert {n: r["type"] for n, r in seen.items()} == {
        "census-dev": "pulumi:pulumi:Stack", "assets": "acme:storage:Group",
        aws_provider["name"]: "pulumi:providers:aws",
        "assets-bucket": "aws:s3/bucket:Bucket", "assets-versioning": "aws:s3/bucketVersioning:BucketVersioning",
        "jobs": "aws:sqs/queue:Queue",
    }
    assert seen["assets-bucket"]["urn"] == bucket
    assert (seen["assets"]["parent"], seen["assets-bucket"]["parent"]) == (stack, seen["assets"]["urn"])
    assert seen["assets-bucket"]["protect"] is True and seen["jobs"]["protect"] is False
    # Outputs, not inputs: the ARNs exist only once the resources were created.
    assert seen["assets-bucket"]["arn"].startswith("arn:aws:s3:::assets-bucket")
    assert seen["jobs"]["arn"].startswith("arn:aws:sqs:") and "url" in seen["jobs"]["props"]
    assert seen["assets-versioning"]["property_dependencies"] == {"bucket": [bucket]}
    assert seen["assets-versioning"]["dependencies"] == [bucket] and seen["jobs"]["dependencies"] == [bucket]
    assert all(seen[n]["provider"] == aws_provider for n in ("assets-bucket", "assets-versioning", "jobs"))
    assert seen["assets"]["provider"] is None and seen["census-dev"]["provider"] is None


def test_a_mandatory_stack_policy_that_could_not_run_in_the_preview_fails_the_applied_update(
    guarded: GuardedStack, endpoint: str
) -> None:
    # The queue's redrive policy is unknown until it exists: the policy runs only after the update,
    # on its new state, as in Pulumi. The stack fails and says that what it flags was applied.
    spec = guarded('import pulumi_aws as aws\naws.sqs.Queue("unchecked")\n',
                   (pack(TEST_PACKS / "stack-checks", {"queues-dead-letter": "mandatory"}),), name="after")
    result = LocalEngine().update(spec)
    assert result.status == "failed"
    assert result.error == (
        "1 mandatory policy violation: stack-checks/queues-dead-letter on unchecked; the update was applied (stack "
        "policies check the stack's new state, unknown in its preview): fix the program or the policy and deploy again"
    )
    assert [u for u in client("sqs", endpoint).list_queues().get("QueueUrls", []) if "/unchecked-" in u]


def test_a_stack_policy_without_a_resource_is_reported_on_the_stack(guarded: GuardedStack) -> None:
    program = 'import pulumi_aws as aws\naws.s3.Bucket("a")\naws.s3.Bucket("b")\n'
    result = LocalEngine().preview(guarded(program, (pack(TEST_PACKS / "stack-checks"),)))
    [violation] = result.policy_violations
    assert (violation.policy, violation.enforcement) == ("bucket-count", "mandatory")
    assert violation.urn == "urn:pulumi:dev::guarded::pulumi:pulumi:Stack::guarded-dev"
    assert result.error == "1 mandatory policy violation: stack-checks/bucket-count on guarded-dev"


def test_a_remediation_rewrites_the_inputs_that_are_applied(guarded: GuardedStack, endpoint: str) -> None:
    program = 'import pulumi, pulumi_aws as aws\nb = aws.s3.Bucket("owned", tags={"Team": "data"})\n' \
              'pulumi.export("bucket", b.bucket)\n'
    # As in Pulumi, every pack's remediations run before any analysis: the next pack, which
    # requires the Owner tag, checks the remediated inputs and finds nothing.
    owner_required = {"standard-tags": {"required_tags": ["Owner"]}, "iam-no-wildcard-admin": "disabled",
                      "s3-no-public-access": "disabled"}
    packs = (pack(TEST_PACKS / "remediate-tags"), pack(SAMPLE_PACKS / "aws-guard", owner_required))
    result = LocalEngine().update(guarded(program, packs, name="remediated"))
    assert result.ok, result.error
    [fix] = result.policy_violations
    assert (fix.policy_pack, fix.policy, fix.enforcement) == ("remediate-tags", "owner-tag", "remediate")
    tags = client("s3", endpoint).get_bucket_tagging(Bucket=result.outputs["bucket"])["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Team": "data", "Owner": "platform"}


def test_a_violation_a_remediation_did_not_fix_counts_as_mandatory(guarded: GuardedStack) -> None:
    # As in Pulumi: the remediation's rewrite is reported, then the policy's own check runs on the
    # rewritten inputs, and what it still finds is mandatory.
    spec = guarded('import pulumi_aws as aws\naws.sqs.Queue("slow", visibility_timeout_seconds=10)\n',
                   (pack(TEST_PACKS / "remediate-tags"),), name="slow")
    result = LocalEngine().preview(spec)
    assert result.status == "failed"
    assert [(v.policy, v.enforcement, v.message.splitlines()[-1]) for v in result.policy_violations] == [
        ("queue-timeout", "remediate", "remediated slow: its inputs were rewritten"),
        ("queue-timeout", "mandatory", "visibility timeout 45 s is under a minute"),
    ]
    assert result.error == "1 mandatory policy violation: remediate-tags/queue-timeout on slow"


@pytest.mark.parametrize("operation", ["preview", "update"])
def test_a_pack_that_does_not_compile_fails_the_stack_naming_the_pack(guarded: GuardedStack, operation: str) -> None:
    spec = guarded('import pulumi\n', (pack(TEST_PACKS / "broken-syntax"),))
    result = LocalEngine().preview(spec) if operation == "preview" else LocalEngine().update(spec)
    assert result.status == "failed"
    assert result.error is not None
    # One line saying what and where, then the hint.
    assert result.error.splitlines() == [
        "policy pack tests/fixtures/policy/broken-syntax failed to start (exited with code 1): "
        "SyntaxError: '(' was never closed (tests/fixtures/policy/broken-syntax/__main__.py, line 4)",
        "hint: fix the pack's program (tests/fixtures/policy/broken-syntax/__main__.py); it must end by serving "
        "a PolicyPack(...)",
    ]


def test_a_policy_that_raises_fails_the_stack_with_the_exception_and_where(guarded: GuardedStack) -> None:
    spec = guarded('import pulumi_aws as aws\naws.s3.Bucket("untagged")\n', (pack(TEST_PACKS / "raises"),))
    result = LocalEngine().preview(spec)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.splitlines() == [
        "aws:s3/bucket:Bucket untagged: policy pack tests/fixtures/policy/raises: a policy raised KeyError: 'tags' "
        "(tests/fixtures/policy/raises/__main__.py, line 6, in owner_is_a_team) checking the resource",
        "hint: fix the policy: it must report violations, not raise (tests/fixtures/policy/raises)",
    ]


def test_a_pack_whose_policy_file_is_not_yaml_says_where(guarded: GuardedStack, tmp_path: Path) -> None:
    copy = tmp_path / "bad-yaml"
    shutil.copytree(SAMPLE_PACKS / "aws-guard", copy)
    (copy / "PulumiPolicy.yaml").write_text("runtime: [python\n")
    result = LocalEngine().preview(guarded('import pulumi\n', (pack(copy),)))
    assert result.status == "failed"
    assert result.error is not None
    [message, hint] = result.error.splitlines()
    assert message.startswith("policy pack bad-yaml: bad-yaml/PulumiPolicy.yaml:2: malformed YAML: ")
    assert hint == "hint: PulumiPolicy.yaml is YAML holding at least `runtime: python` (and optionally `description:`)"


def test_a_pack_whose_python_lacks_the_policy_sdk_says_so(guarded: GuardedStack, tmp_path: Path) -> None:
    copy = tmp_path / "guard-with-venv"
    shutil.copytree(SAMPLE_PACKS / "aws-guard", copy)
    (copy / "PulumiPolicy.yaml").write_text("runtime:\n  name: python\n  options:\n    virtualenv: venv\n")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(copy / "venv")], check=True)
    result = LocalEngine().preview(guarded('import pulumi\n', (pack(copy),)))
    assert result.status == "failed"
    assert result.error is not None
    [message, hint] = result.error.splitlines()
    assert message == ("policy pack guard-with-venv failed to start (exited with code 1): "
                       "ModuleNotFoundError: No module named 'pulumi'")
    assert hint.startswith("hint: the Python that runs guard-with-venv lacks the Pulumi policy SDK: install "
                           "`pulumi-policy` in the virtualenv its PulumiPolicy.yaml names")


def test_config_for_a_policy_the_pack_lacks_is_an_error_naming_both(guarded: GuardedStack) -> None:
    spec = guarded('import pulumi\n', (pack(SAMPLE_PACKS / "aws-guard", {"standard-tagz": "mandatory"}),))
    result = LocalEngine().preview(spec)
    assert result.status == "failed"
    assert result.error == (
        "policy pack policies/aws-guard (aws-guard) has no policy 'standard-tagz' to configure (test)\n"
        "hint: its policies: s3-no-public-access, standard-tags, iam-no-wildcard-admin"
    )


def _processes_in(directory: Path) -> list[str]:
    """Command lines of the running processes that name `directory` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(directory) in cmdline:
            found.append(cmdline)
    return found


def test_the_packs_of_an_update_are_started_once_and_ended(guarded: GuardedStack, tmp_path: Path) -> None:
    copy = tmp_path / "counting-pack"
    shutil.copytree(TEST_PACKS / "stack-checks", copy)
    starts = tmp_path / "starts.log"
    main = copy / "__main__.py"
    main.write_text(f"open({str(starts)!r}, 'a').write('started\\n')\n" + main.read_text())
    result = LocalEngine().update(guarded('import pulumi_aws as aws\naws.s3.Bucket("a")\n', (pack(copy),),
                                          name="counted"))
    assert result.ok, result.error
    # One pack process served the update's preview and its apply, and it is gone now.
    assert starts.read_text().splitlines() == ["started"]
    assert _processes_in(copy) == []

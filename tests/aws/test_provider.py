"""An explicit `aws.Provider` through the engine: its region, default tags (into tagsAll),
assumed role (through STS) and skip flags are honoured; it is shown and counted as Pulumi
shows it (created, updated when its inputs change, deleted); moving it to another region
replaces its resources; with region validation on, a region that is not one fails with one
line naming the provider."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.engines.local.engine import LocalEngine
from orchestrator.models import AwsSettings, StackSpec
from tests.aws.harness import boto_clients

PROGRAM = '''
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
west = aws.Provider("west", region=config.get("region") or "us-west-2",
                    default_tags={"tags": {"team": config.require("team")}},
                    assume_roles=[{"role_arn": "arn:aws:iam::123456789012:role/deployer", "session_name": "case"}],
                    skip_credentials_validation=True, skip_requesting_account_id=True,
                    skip_region_validation=False)
queue = aws.sqs.Queue("jobs", tags={"app": "orders"}, opts=pulumi.ResourceOptions(provider=west))
me = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=west))
pulumi.export("arn", queue.arn)
pulumi.export("tagsAll", queue.tags_all)
pulumi.export("caller", me.arn)
'''


def _spec(root: Path, endpoint: str, **config: str) -> StackSpec:
    return StackSpec(project="case", environment="dev", stack_name="dev", directory=root / "case",
                     backend=f"file://{root / 'backend'}", config={f"case:{k}": v for k, v in config.items()},
                     aws=AwsSettings(region="us-east-1", endpoint=endpoint))


def _ops(result: object) -> dict[str, str]:
    return {c.name: c.op for c in result.changes}


def test_explicit_provider(tmp_path: Path, endpoint: str) -> None:
    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "Pulumi.yaml").write_text("name: case\nruntime: python\n")
    (tmp_path / "case" / "__main__.py").write_text(PROGRAM)
    engine = LocalEngine()

    preview = engine.preview(_spec(tmp_path, endpoint, team="net"))
    assert preview.ok, preview.error
    assert _ops(preview) == {"case-dev": "create", "west": "create", "jobs": "create"}
    assert preview.counts.create == 3

    created = engine.update(_spec(tmp_path, endpoint, team="net"))
    assert created.ok, created.error
    assert created.outputs["arn"].startswith("arn:aws:sqs:us-west-2:")
    assert created.outputs["tagsAll"] == {"app": "orders", "team": "net"}
    assert created.outputs["caller"].endswith(":assumed-role/deployer/case")
    assert boto_clients(endpoint)("sqs").list_queues().get("QueueUrls") is None  # none in us-east-1
    same = engine.preview(_spec(tmp_path, endpoint, team="net"))
    assert same.ok and same.changes == (), same.changes

    retagged = engine.update(_spec(tmp_path, endpoint, team="core"))
    assert retagged.ok, retagged.error
    assert _ops(retagged) == {"west": "update", "jobs": "update"}
    assert [(d.path, d.old, d.new) for d in retagged.changes[1].diffs] == [("tagsAll.team", "net", "core")]
    assert json.loads(dict((d.path, d.new) for d in retagged.changes[0].diffs)["defaultTags"]) == {
        "tags": {"team": "core"}}

    bad = engine.preview(_spec(tmp_path, endpoint, team="core", region="moon-base-1"))
    assert not bad.ok
    assert "pulumi:providers:aws west: 'moon-base-1' is not an AWS region name" in (bad.error or "")

    moved = engine.preview(_spec(tmp_path, endpoint, team="core", region="eu-west-1"))
    assert moved.ok, moved.error
    assert _ops(moved) == {"west": "update", "jobs": "replace"}

    gone = engine.destroy(_spec(tmp_path, endpoint, team="core"), preview_only=False)
    assert gone.ok, gone.error
    assert _ops(gone) == {"jobs": "delete", "west": "delete", "case-dev": "delete"}

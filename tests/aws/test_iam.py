"""IAM through the engine: roles; policies, attachments, users, groups, instance profiles, access keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.engines.base import SECRET
from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
trust = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})
role = aws.iam.Role("app", assume_role_policy=trust, path="/apps/" if step == "replace" else "/",
                    description="the app" if step == "create" else "the app, v2")
pulumi.export("name", role.name)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("iam").update_role(RoleName=outputs["name"], Description="edited by hand")


def test_role(tmp_path: Path, endpoint: str) -> None:
    run_type_case(TypeCase(
        program=PROGRAM,
        updated={"app": "update"},
        replaced={"app": "replace"},
        drift=_hand_edit,
        drifted={"app": "update"},
    ), tmp_path, endpoint)


ACCESS_PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")


def doc(*actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


trust = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]})
role = aws.iam.Role("worker", assume_role_policy=trust)
reader = aws.iam.Policy("reader", description="reads", tags={"team": "core"},
                        policy=doc("s3:GetObject") if step == "create" else doc("s3:GetObject", "s3:ListBucket"))
writer = aws.iam.Policy("writer", policy=doc("s3:PutObject"))
aws.iam.RolePolicyAttachment("worker-reads", role=role.name,
                             policy_arn=writer.arn if step == "replace" else reader.arn)
aws.iam.RolePolicy("inline", role=role.id, name="logs" if step == "replace" else "inline",
                   policy=doc("logs:PutLogEvents") if step == "create" else doc("logs:*"))
aws.iam.InstanceProfile("profile", role=role.name)
user = aws.iam.User("dev", path="/people/" if step != "create" else "/", force_destroy=True)
group = aws.iam.Group("devs")
aws.iam.GroupMembership("devs-members", group=group.name, users=[user.name])
aws.iam.UserPolicyAttachment("dev-reads", user=user.name, policy_arn=reader.arn)
key = aws.iam.AccessKey("dev-key", user=user.name, status="Inactive" if step != "create" else "Active")
pulumi.export("role", role.name)
pulumi.export("inline", "logs" if step == "replace" else "inline")
pulumi.export("key", key.id)
pulumi.export("user", user.name)
pulumi.export("secret", key.secret)
'''


def _hand_edit_access(clients: Clients, outputs: dict[str, Any]) -> None:
    iam = clients("iam")
    iam.put_role_policy(RoleName=outputs["role"], PolicyName=outputs["inline"], PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.update_access_key(UserName=outputs["user"], AccessKeyId=outputs["key"], Status="Active")


def test_policies_users_and_keys(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=ACCESS_PROGRAM,
        updated={"reader": "update", "inline": "update", "dev": "update", "dev-key": "update"},
        replaced={"worker-reads": "replace", "inline": "replace"},
        drift=_hand_edit_access,
        # As `pulumi refresh` shows it: besides the hand edits, what attachments made since the
        # policies and the role were recorded (attachment counts, the role's policy lists).
        drifted={"inline": "update", "dev-key": "update", "reader": "update", "writer": "update", "worker": "update"},
    ), tmp_path, endpoint)
    assert run.outputs("create")["secret"] == SECRET
    drift = {c.name: {d.path for d in c.diffs} for c in run.results["drift"].changes}
    assert drift["reader"] == drift["writer"] == {"attachmentCount"}

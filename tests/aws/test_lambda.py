"""Lambda through the engine: a function whose code is an archive zipped as Pulumi does, its
permission, a layer version and an event source mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import json
import pathlib
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
pathlib.Path("layer/python").mkdir(parents=True, exist_ok=True)
pathlib.Path("layer/python/shared.py").write_text("VALUE = 1\\n")
trust = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})
role = aws.iam.Role("fn-role", assume_role_policy=trust)
handler = "def handler(event, context):\\n    return %r\\n" % ("v1" if step == "create" else "v2")
fn = aws.lambda_.Function(
    "hello", role=role.arn, runtime="python3.12", handler="app.handler",
    code=pulumi.AssetArchive({"app.py": pulumi.StringAsset(handler),
                              "lib": pulumi.FileArchive("./layer")}),
    timeout=10 if step == "create" else 20,
    environment={"variables": {"STAGE": "one" if step == "create" else "two"}},
    tags={"team": "core"})
aws.lambda_.Permission("hello-invoke", function=fn.name, action="lambda:InvokeFunction",
                       principal="events.amazonaws.com" if step == "replace" else "s3.amazonaws.com")
layer = aws.lambda_.LayerVersion("shared", layer_name="shared", code=pulumi.FileArchive("./layer"),
                                 compatible_runtimes=["python3.12"],
                                 description="v2" if step == "replace" else "v1")
queue = aws.sqs.Queue("work")
aws.lambda_.EventSourceMapping("hello-queue", function_name=fn.arn, event_source_arn=queue.arn,
                               batch_size=5 if step == "create" else 8)
pulumi.export("function", fn.name)
pulumi.export("layer", layer.arn)
pulumi.export("code", fn.code_sha256)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    lam = clients("lambda")
    lam.update_function_configuration(FunctionName=outputs["function"], Timeout=99)
    statement = lam.get_policy(FunctionName=outputs["function"])["Policy"]
    lam.remove_permission(FunctionName=outputs["function"], StatementId=_sid(statement))


def _sid(policy: str) -> str:
    import json

    return str(json.loads(policy)["Statement"][0]["Sid"])


def test_function_permission_layer_and_mapping(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"hello": "update", "hello-queue": "update"},
        replaced={"hello-invoke": "replace", "shared": "replace"},
        drift=_hand_edit,
        drifted={"hello": "update", "hello-invoke": "delete"},
    ), tmp_path, endpoint)
    assert run.outputs("replace")["layer"] != run.outputs("create")["layer"]
    assert run.outputs("update")["code"] != run.outputs("create")["code"]  # the new handler was uploaded

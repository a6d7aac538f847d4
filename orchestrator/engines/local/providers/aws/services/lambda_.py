"""Lambda: functions here; permissions, layer versions and event source mappings in
`_lambda_more.py`. Names, defaults and ForceNew as pulumi-aws `aws.lambda_.Function`
(terraform-provider-aws `internal/service/lambda/function.go`).

The code (`code`, an archive) is zipped as Pulumi does (`providers/assets.py`); its hash is part
of the input, so changed files behind an unchanged path update the function's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.assets import with_hash
from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services import _lambda_more
from orchestrator.engines.local.providers.aws.services._lambda_more import GONE, code_param
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update

_CODE_PROPS = ("code", "s3Bucket", "s3Key", "s3ObjectVersion", "imageUri", "architectures")
_FUNCTION = {"FunctionName": "{id}"}


class FunctionCode(DeclaredResource):
    """The code travels in `Code`, reserved concurrency through its own calls, and the code is
    uploaded again when the archive's contents (its hash) or its location change."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("code") is not None:
            news["code"] = with_hash(news["code"])
        variables = (news.get("environment") or {}).get("variables")
        if isinstance(variables, dict) and None in variables.values():
            # A variable set from an absent config value (`config.get`) is left out, not sent as null.
            news["environment"] = {**news["environment"],
                                   "variables": {k: v for k, v in variables.items() if v is not None}}
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"Code": code_param(inputs, f"{self.type_token} {inputs.get('name')}")}
        if inputs.get("publish"):
            args["Publish"] = True
        return args

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        reserved = inputs.get("reservedConcurrentExecutions")
        if reserved is not None and reserved >= 0:  # 0 is valid: the function is throttled
            self.client(inputs).put_function_concurrency(FunctionName=id, ReservedConcurrentExecutions=int(reserved))

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is not None:
            config = doc.get("Configuration") or {}
            doc["layerArns"] = [layer["Arn"] for layer in config.get("Layers") or ()]
        return doc

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        lam = self.client(news)
        if any(news.get(p) != old_inputs.get(p) for p in (*_CODE_PROPS, "publish")):
            args: dict[str, Any] = {"FunctionName": id, **code_param(news, f"{self.type_token} {id}")}
            if news.get("architectures"):
                args["Architectures"] = news["architectures"]
            if news.get("publish"):
                args["Publish"] = True
            lam.update_function_code(**args)
            lam.get_waiter("function_updated_v2").wait(FunctionName=id, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        if news.get("reservedConcurrentExecutions") != old_inputs.get("reservedConcurrentExecutions"):
            reserved = news.get("reservedConcurrentExecutions")
            if reserved is None or reserved < 0:
                lam.delete_function_concurrency(FunctionName=id)
            else:
                lam.put_function_concurrency(FunctionName=id, ReservedConcurrentExecutions=int(reserved))

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if inputs.get("skipDestroy"):
            return
        with self.errors(id), missing(*GONE):
            self.client(inputs).delete_function(FunctionName=id)


_CONFIG = "Configuration."

FUNCTION = AwsType(
    token="aws:lambda/function:Function",
    client="lambda",
    naming=Naming(max_len=64, pattern=r"[A-Za-z0-9_-]{1,64}", rule="up to 64 letters, digits, hyphens and "
                  "underscores", prefix=None),
    props=(
        Prop("name", api="FunctionName", read=_CONFIG + "FunctionName", replace=True),
        Prop("role", api="Role", read=_CONFIG + "Role", required=True),
        Prop("handler", api="Handler", read=_CONFIG + "Handler"),
        Prop("runtime", api="Runtime", read=_CONFIG + "Runtime"),
        Prop("code", read=""),
        Prop("s3Bucket", read=""),
        Prop("s3Key", read=""),
        Prop("s3ObjectVersion", read=""),
        Prop("imageUri", read=""),
        Prop("sourceCodeHash", read="", computed=True),
        Prop("codeSha256", read=_CONFIG + "CodeSha256", computed=True),
        Prop("packageType", api="PackageType", read=_CONFIG + "PackageType", default="Zip", replace=True,
             choices=("Zip", "Image")),
        Prop("architectures", api="Architectures", read=_CONFIG + "Architectures", kind="list", computed=True),
        Prop("description", api="Description", read=_CONFIG + "Description", reset=""),
        Prop("timeout", api="Timeout", read=_CONFIG + "Timeout", kind="int", default=3),
        Prop("memorySize", api="MemorySize", read=_CONFIG + "MemorySize", kind="int", default=128),
        Prop("environment", api="Environment", read=_CONFIG + "Environment", kind="object", reset={"variables": {}},
             props=(Prop("variables", api="Variables", kind="map"),)),
        Prop("layers", api="Layers", read="layerArns", kind="list", reset=[]),
        Prop("kmsKeyArn", api="KMSKeyArn", read=_CONFIG + "KMSKeyArn", reset=""),
        Prop("tracingConfig", api="TracingConfig", read=_CONFIG + "TracingConfig", kind="object", computed=True,
             props=(Prop("mode", api="Mode"),)),
        Prop("deadLetterConfig", api="DeadLetterConfig", read=_CONFIG + "DeadLetterConfig", kind="object",
             props=(Prop("targetArn", api="TargetArn"),)),
        Prop("vpcConfig", api="VpcConfig", read=_CONFIG + "VpcConfig", kind="object", props=(
            Prop("subnetIds", api="SubnetIds", kind="list"),
            Prop("securityGroupIds", api="SecurityGroupIds", kind="list"),
        )),
        Prop("ephemeralStorage", api="EphemeralStorage", read=_CONFIG + "EphemeralStorage", kind="object",
             computed=True, props=(Prop("size", api="Size", kind="int"),)),
        Prop("publish", kind="bool", default=False),
        Prop("reservedConcurrentExecutions", read="Concurrency.ReservedConcurrentExecutions", kind="int",
             default=-1),
        Prop("skipDestroy", kind="bool", default=False),
        Prop("arn", read=_CONFIG + "FunctionArn", output=True),
        Prop("version", read=_CONFIG + "Version", output=True),
        Prop("lastModified", read=_CONFIG + "LastModified", output=True),
        Prop("sourceCodeSize", read=_CONFIG + "CodeSize", kind="int", output=True),
        Prop("qualifiedArn", template="{outputs.arn}:{outputs.version}"),
        Prop("invokeArn", template="arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/"
                                  "{outputs.arn}/invocations"),
        Prop("qualifiedInvokeArn", template="arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/"
                                           "{outputs.arn}:{outputs.version}/invocations"),
    ),
    create=Call("create_function", waiter="function_active_v2", waiter_args=_FUNCTION),
    read=(Call("get_function", _FUNCTION, absent=GONE),),
    updates=(
        Update(Call("update_function_configuration", _FUNCTION, waiter="function_updated_v2",
                    waiter_args=_FUNCTION), changed_only=True, props=(
            "role", "handler", "runtime", "description", "timeout", "memorySize", "environment", "layers",
            "kmsKeyArn", "tracingConfig", "deadLetterConfig", "vpcConfig", "ephemeralStorage")),
    ),
    delete=None,
    tagging=Tagging(
        form="map",
        read=None,
        in_doc="Tags",
        tag=Call("tag_resource", {"Resource": "arn:{partition}:lambda:{region}:{account}:function:{id}",
                                  "Tags": "{tags}"}),
        untag=Call("untag_resource", {"Resource": "arn:{partition}:lambda:{region}:{account}:function:{id}",
                                      "TagKeys": "{keys}"}),
    ),
    impl=FunctionCode,
)

TYPES = (FUNCTION, *_lambda_more.TYPES)

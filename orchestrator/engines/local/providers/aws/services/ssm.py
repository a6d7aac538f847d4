"""SSM: parameters. Names, defaults and ForceNew as pulumi-aws `aws.ssm.Parameter`
(terraform-provider-aws `internal/service/ssm/parameter.go`); pulumi-aws always treats
`value` as secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import ProviderError

_TYPES = ("String", "StringList", "SecureString")
_WRITABLE = ("value", "insecureValue", "description", "tier", "keyId", "allowedPattern", "dataType")


class ParameterCode(DeclaredResource):
    """One of `value` and `insecureValue`; `overwrite` adopts an existing parameter (and then
    tags it separately: PutParameter refuses tags with Overwrite)."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("value") is None and news.get("insecureValue") is None:
            raise ProviderError(f"{self.type_token} {name}: one of `value` or `insecureValue` is required")
        if news.get("value") is not None and news.get("insecureValue") is not None:
            raise ProviderError(f"{self.type_token} {name}: set only one of `value` and `insecureValue`")
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        try:
            return super().create(urn, inputs)
        except ProviderError as exc:
            if ": ParameterAlreadyExists:" in str(exc):
                raise ProviderError(
                    f"{self.type_token}: parameter {inputs['name']!r} already exists; choose another name, "
                    "import it, or set overwrite=True"
                ) from None
            raise

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"Overwrite": bool(inputs.get("overwrite"))}

    def tags_on_create(self, inputs: Mapping[str, Any]) -> bool:
        return not inputs.get("overwrite")

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        if inputs.get("insecureValue") is not None:
            outputs["insecureValue"] = outputs.pop("value", None)
        if outputs.get("type") != "SecureString":
            outputs.pop("keyId", None)
        return outputs


PARAMETER = AwsType(
    token="aws:ssm/parameter:Parameter",
    client="ssm",
    naming=Naming(prefix=None, max_len=2048, charset="A-Za-z0-9_./-"),
    props=(
        Prop("name", api="Name", read="Name", replace=True),
        Prop("type", api="Type", replace=True, required=True, choices=_TYPES),
        Prop("value", api="Value", secret=True),
        Prop("insecureValue", api="Value", read=""),
        Prop("description", api="Description", read="meta.Description"),
        Prop("tier", api="Tier", read="meta.Tier", default="Standard"),
        Prop("keyId", api="KeyId", read="meta.KeyId", computed=True),
        Prop("allowedPattern", api="AllowedPattern", read="meta.AllowedPattern"),
        Prop("dataType", api="DataType", read="DataType", default="text"),
        Prop("overwrite", kind="bool"),
        Prop("arn", read="ARN", output=True),
        Prop("version", read="Version", kind="int", output=True),
    ),
    create=Call("put_parameter"),
    read=(
        Call("get_parameter", {"Name": "{id}", "WithDecryption": True}, result="Parameter",
             absent=("ParameterNotFound",)),
        Call("describe_parameters", {"ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": ["{id}"]}]},
             result="Parameters[0]", into="meta"),
    ),
    updates=(
        Update(Call("put_parameter", {"Name": "{id}", "Type": "{inputs.type}", "Overwrite": True}), props=_WRITABLE),
    ),
    delete=Call("delete_parameter", {"Name": "{id}"}, absent=("ParameterNotFound",)),
    tagging=Tagging(
        read=Call("list_tags_for_resource", {"ResourceType": "Parameter", "ResourceId": "{id}"}, result="TagList"),
        tag=Call("add_tags_to_resource", {"ResourceType": "Parameter", "ResourceId": "{id}", "Tags": "{tags}"}),
        untag=Call("remove_tags_from_resource",
                   {"ResourceType": "Parameter", "ResourceId": "{id}", "TagKeys": "{keys}"}),
    ),
    impl=ParameterCode,
)

TYPES = (PARAMETER,)

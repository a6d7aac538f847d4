"""Lambda permissions, layer versions and event source mappings. Names, defaults and ForceNew
as pulumi-aws `aws.lambda_.Permission`, `LayerVersion`, `EventSourceMapping`
(terraform-provider-aws `internal/service/lambda/permission.go`, `layer_version.go`,
`event_source_mapping.go`).

A helper module of `lambda_.py` (its leading underscore keeps the catalog from listing it twice).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.assets import archive_zip, is_archive, with_hash
from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.naming import unique_id
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Update
from orchestrator.engines.local.providers.base import ProviderError

GONE = ("ResourceNotFoundException",)


def code_param(inputs: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A function's `Code` (a layer's `Content`): the zipped archive, an S3 object or an image."""
    if is_archive(inputs.get("code")):
        return {"ZipFile": archive_zip(inputs["code"])}
    if inputs.get("s3Bucket") and inputs.get("s3Key"):
        code = {"S3Bucket": inputs["s3Bucket"], "S3Key": inputs["s3Key"]}
        if inputs.get("s3ObjectVersion"):
            code["S3ObjectVersion"] = inputs["s3ObjectVersion"]
        return code
    if inputs.get("imageUri"):
        return {"ImageUri": inputs["imageUri"]}
    raise ProviderError(f"{where}: give `code` (an archive), `s3Bucket` and `s3Key`, or `imageUri`")


# ---------------------------------------------------------------------- Permission


class PermissionCode(DeclaredResource):
    """A statement in the function's resource policy, found by its Sid. Without a
    `statementId`, one is made as pulumi-aws does (`terraform-<unique id>`, or the prefix)."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if not news.get("statementId"):
            kept = olds.get("statementId") if olds.get("statementIdPrefix") == news.get("statementIdPrefix") else None
            news["statementId"] = kept or unique_id(str(news.get("statementIdPrefix") or "terraform-"))
        return news

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        args = {"FunctionName": inputs["function"]}
        if inputs.get("qualifier"):
            args["Qualifier"] = inputs["qualifier"]
        with missing(*GONE) as probe:
            policy = self.client(inputs).get_policy(**args)["Policy"]
        if probe.gone:
            return None
        statements = json.loads(policy).get("Statement") or []
        found = next((s for s in statements if s.get("Sid") == id), None)
        return None if found is None else {"statement": found}


PERMISSION = AwsType(
    token="aws:lambda/permission:Permission",
    client="lambda",
    props=(
        Prop("statementId", api="StatementId", read="", replace=True),
        Prop("statementIdPrefix", replace=True),
        Prop("function", api="FunctionName", read="", required=True, replace=True),
        Prop("action", api="Action", read="statement.Action", required=True, replace=True),
        Prop("principal", api="Principal", read="", required=True, replace=True),
        Prop("sourceArn", api="SourceArn", read="", replace=True),
        Prop("sourceAccount", api="SourceAccount", read="", replace=True),
        Prop("eventSourceToken", api="EventSourceToken", read="", replace=True),
        Prop("qualifier", api="Qualifier", read="", replace=True),
        Prop("principalOrgId", api="PrincipalOrgID", read="", replace=True),
        Prop("functionUrlAuthType", api="FunctionUrlAuthType", read="", replace=True),
    ),
    create=Call("add_permission"),
    read=(),
    delete=Call("remove_permission", {"FunctionName": "{inputs.function}", "StatementId": "{id}",
                                      "Qualifier": "{inputs.qualifier?}"}, absent=GONE),
    id="{inputs.statementId}",
    impl=PermissionCode,
)


# ---------------------------------------------------------------------- LayerVersion


class LayerVersionCode(DeclaredResource):
    """Each version is immutable: every input replaces it; the id is the version's ARN."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("code") is not None:
            news["code"] = with_hash(news["code"])
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"Content": code_param(inputs, f"{self.type_token} {inputs.get('layerName')}")}

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        name, _, version = id.rpartition(":")
        with missing(*GONE) as probe:
            found = self.client(inputs).get_layer_version(LayerName=name.rsplit(":", 1)[-1],
                                                          VersionNumber=int(version))
        return None if probe.gone else dict(found)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if inputs.get("skipDestroy"):
            return
        name, _, version = id.rpartition(":")
        with self.errors(id), missing(*GONE):
            self.client(inputs).delete_layer_version(LayerName=name.rsplit(":", 1)[-1], VersionNumber=int(version))


LAYER_VERSION = AwsType(
    token="aws:lambda/layerVersion:LayerVersion",
    client="lambda",
    props=(
        Prop("layerName", api="LayerName", required=True, replace=True),
        Prop("code", read="", replace=True),
        Prop("s3Bucket", read="", replace=True),
        Prop("s3Key", read="", replace=True),
        Prop("s3ObjectVersion", read="", replace=True),
        Prop("sourceCodeHash", read="", computed=True, replace=True),
        Prop("compatibleRuntimes", api="CompatibleRuntimes", kind="list", replace=True),
        Prop("compatibleArchitectures", api="CompatibleArchitectures", kind="list", replace=True),
        Prop("description", api="Description", replace=True),
        Prop("licenseInfo", api="LicenseInfo", replace=True),
        Prop("skipDestroy", kind="bool", default=False),
        Prop("arn", read="LayerVersionArn", output=True),
        Prop("layerArn", read="LayerArn", output=True),
        Prop("version", read="Version", output=True),
        Prop("createdDate", read="CreatedDate", output=True),
        Prop("codeSha256", read="Content.CodeSha256", output=True),
        Prop("sourceCodeSize", read="Content.CodeSize", kind="int", output=True),
    ),
    create=Call("publish_layer_version", id="LayerVersionArn"),
    read=(),
    delete=None,
    impl=LayerVersionCode,
)


# ---------------------------------------------------------------------- EventSourceMapping

_MAPPING = {"UUID": "{id}"}

EVENT_SOURCE_MAPPING = AwsType(
    token="aws:lambda/eventSourceMapping:EventSourceMapping",
    client="lambda",
    props=(
        Prop("functionName", api="FunctionName", read="", required=True),
        Prop("eventSourceArn", api="EventSourceArn", read="EventSourceArn", replace=True),
        Prop("startingPosition", api="StartingPosition", read="", replace=True),
        Prop("batchSize", api="BatchSize", read="BatchSize", kind="int", computed=True),
        Prop("enabled", api="Enabled", read="", kind="bool", default=True),
        Prop("maximumBatchingWindowInSeconds", api="MaximumBatchingWindowInSeconds",
             read="MaximumBatchingWindowInSeconds", kind="int", computed=True),
        Prop("functionArn", read="FunctionArn", output=True),
        Prop("arn", read="EventSourceMappingArn", output=True),
        Prop("lastModified", read="LastModified", output=True),
        Prop("state", read="State", output=True),
        Prop("stateTransitionReason", read="StateTransitionReason", output=True),
        Prop("uuid", read="UUID", output=True),
    ),
    create=Call("create_event_source_mapping", id="UUID"),
    read=(Call("get_event_source_mapping", _MAPPING, absent=GONE),),
    updates=(Update(Call("update_event_source_mapping", _MAPPING), changed_only=True,
                    props=("functionName", "batchSize", "enabled", "maximumBatchingWindowInSeconds")),),
    delete=Call("delete_event_source_mapping", _MAPPING, absent=GONE),
)

TYPES = (PERMISSION, LAYER_VERSION, EVENT_SOURCE_MAPPING)

"""Secrets Manager: secrets and their versions. Names, defaults and ForceNew as pulumi-aws
`aws.secretsmanager.Secret` and `SecretVersion` (terraform-provider-aws
`internal/service/secretsmanager/{secret,secret_version}.go`).

A deleted secret waits out its recovery window (`recoveryWindowInDays`, 30 by default; 0
deletes at once) and reads as gone meanwhile; its name cannot be reused until then, as in
AWS. A version's value is a secret; its id is `<secret arn>|<version id>`. Deleting a
version takes its stages off it (the current one stays with the secret, as pulumi-aws).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import ProviderError

_MISSING = ("ResourceNotFoundException",)
_CURRENT = "AWSCURRENT"


class SecretCode(DeclaredResource):
    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        return None if doc is None or doc.get("DeletedDate") else doc

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        window = int(inputs.get("recoveryWindowInDays", 30))
        how: dict[str, Any] = {"ForceDeleteWithoutRecovery": True} if window == 0 else {"RecoveryWindowInDays": window}
        if self.read(urn, id, inputs, outputs) is not None:
            with self.errors(id, inputs):
                self.client(inputs).delete_secret(SecretId=id, **how)


SECRET = AwsType(
    token="aws:secretsmanager/secret:Secret",
    client="secretsmanager",
    naming=Naming(max_len=512, charset="A-Za-z0-9/_+=.@-"),
    props=(
        Prop("name", api="Name", read="Name", replace=True),
        Prop("namePrefix", replace=True),
        Prop("description", api="Description", read="Description"),
        Prop("kmsKeyId", api="KmsKeyId", read="KmsKeyId"),
        Prop("policy", kind="json", api="ResourcePolicy", read="policy.ResourcePolicy", on_create=False,
             computed=True),
        Prop("recoveryWindowInDays", kind="int", default=30),
        Prop("forceOverwriteReplicaSecret", kind="bool", default=False),
        Prop("arn", read="ARN", output=True),
    ),
    create=Call("create_secret", id="ARN"),
    read=(
        Call("describe_secret", {"SecretId": "{id}"}, absent=_MISSING),
        Call("get_resource_policy", {"SecretId": "{id}"}, into="policy", absent=_MISSING),
    ),
    updates=(
        Update(Call("update_secret", {"SecretId": "{id}"}), props=("description", "kmsKeyId")),
        Update(Call("put_resource_policy", {"SecretId": "{id}"}), props=("policy",)),
    ),
    delete=None,
    tagging=Tagging(
        tag=Call("tag_resource", {"SecretId": "{id}", "Tags": "{tags}"}),
        untag=Call("untag_resource", {"SecretId": "{id}", "TagKeys": "{keys}"}),
    ),
    impl=SecretCode,
)


class SecretVersionCode(DeclaredResource):
    """One version of a secret; the id names both."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if (news.get("secretString") is None) == (news.get("secretBinary") is None):
            raise ProviderError(f"{self.type_token} {name}: set exactly one of `secretString` and `secretBinary`")
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        args: dict[str, Any] = {"SecretId": inputs["secretId"]}
        if inputs.get("secretString") is not None:
            args["SecretString"] = inputs["secretString"]
        else:
            import base64

            args["SecretBinary"] = base64.b64decode(str(inputs["secretBinary"]))
        if inputs.get("versionStages"):
            args["VersionStages"] = list(inputs["versionStages"])
        with self.errors(str(inputs["secretId"]), inputs):
            made = self.client(inputs).put_secret_value(**args)
        id_ = f"{made['ARN']}|{made['VersionId']}"
        return id_, self.described(id_, inputs)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        secret, _, version = id.rpartition("|")
        from orchestrator.engines.local.providers.aws.client import missing

        with missing(*_MISSING, "InvalidRequestException") as probe:
            found: dict[str, Any] = self.client(inputs).get_secret_value(SecretId=secret, VersionId=version)
        return None if probe.gone else found

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        if doc.get("SecretBinary") is not None:
            import base64

            outputs["secretBinary"] = base64.b64encode(doc["SecretBinary"]).decode()
        outputs["secretId"] = inputs.get("secretId", doc.get("ARN"))
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        secret, _, version = id.rpartition("|")
        had, wanted = set(old_outputs.get("versionStages") or ()), set(news.get("versionStages") or ())
        self._restage(secret, version, had, wanted, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        secret, _, version = id.rpartition("|")
        found = self.read(urn, id, inputs, outputs)
        if found is not None:
            stages = set(found.outputs.get("versionStages") or ())
            self._restage(secret, version, stages, stages & {_CURRENT}, inputs)

    def _restage(self, secret: str, version: str, had: set[str], wanted: set[str], inputs: Mapping[str, Any]) -> None:
        client = self.client(inputs)
        with self.errors(secret, inputs):
            for stage in sorted(wanted - had):
                client.update_secret_version_stage(SecretId=secret, VersionStage=stage, MoveToVersionId=version)
            for stage in sorted(had - wanted - {_CURRENT}):
                client.update_secret_version_stage(SecretId=secret, VersionStage=stage, RemoveFromVersionId=version)


SECRET_VERSION = AwsType(
    token="aws:secretsmanager/secretVersion:SecretVersion",
    client="secretsmanager",
    props=(
        Prop("secretId", replace=True, required=True, read=""),
        Prop("secretString", api="SecretString", read="SecretString", secret=True, replace=True),
        Prop("secretBinary", replace=True, secret=True, read=""),
        Prop("versionStages", kind="list", read="VersionStages", computed=True),
        Prop("arn", read="ARN", output=True),
        Prop("versionId", read="VersionId", output=True),
    ),
    create=Call("put_secret_value"),
    read=(),
    delete=None,
    impl=SecretVersionCode,
)

TYPES = (SECRET, SECRET_VERSION)

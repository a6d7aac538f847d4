"""KMS: keys and aliases. Names, defaults and ForceNew as pulumi-aws `aws.kms.Key` and
`aws.kms.Alias` (terraform-provider-aws `internal/service/kms/{key,alias}.go`).

A key is never deleted at once: it is scheduled for deletion after `deletionWindowInDays`
(30 by default) and reads as gone meanwhile, as in AWS. Rotation and enabling are switches
with two calls each. An alias without a name gets `alias/<resource name>-<7 hex>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import ProviderError
from orchestrator.engines.local.providers.inputs import autoname, random_suffix

_GONE = ("NotFoundException",)
_PENDING_DELETION = ("KeyState", ("PendingDeletion", "PendingReplicaDeletion"))


class KeyCode(DeclaredResource):
    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        self._switches(id, {}, inputs)

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        self._switches(id, old_inputs, news)

    def _switches(self, id: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        kms = self.client(new)
        rotation = bool(new.get("enableKeyRotation"))
        if rotation != bool(old.get("enableKeyRotation")):
            if rotation:
                period = new.get("rotationPeriodInDays")
                kms.enable_key_rotation(KeyId=id, **({"RotationPeriodInDays": int(period)} if period else {}))
            else:
                kms.disable_key_rotation(KeyId=id)
        enabled = new.get("isEnabled", True) is not False
        if enabled != (old.get("isEnabled", True) is not False):
            (kms.enable_key if enabled else kms.disable_key)(KeyId=id)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if self.read(urn, id, inputs, outputs) is None:
            return
        with self.errors(id, inputs):
            self.client(inputs).schedule_key_deletion(KeyId=id,
                                                      PendingWindowInDays=int(inputs.get("deletionWindowInDays", 30)))


KEY = AwsType(
    token="aws:kms/key:Key",
    client="kms",
    props=(
        Prop("description", api="Description", read="Description", computed=True),
        Prop("keyUsage", api="KeyUsage", read="KeyUsage", replace=True, default="ENCRYPT_DECRYPT"),
        Prop("customerMasterKeySpec", api="KeySpec", read="KeySpec", replace=True, default="SYMMETRIC_DEFAULT"),
        Prop("policy", kind="json", api="Policy", read="policy.Policy", computed=True),
        Prop("multiRegion", kind="bool", api="MultiRegion", read="MultiRegion", replace=True, default=False),
        Prop("enableKeyRotation", kind="bool", read="rotation.KeyRotationEnabled", default=False),
        Prop("rotationPeriodInDays", kind="int", read="rotation.RotationPeriodInDays", computed=True),
        Prop("isEnabled", kind="bool", read="Enabled", default=True),
        Prop("bypassPolicyLockoutSafetyCheck", kind="bool", api="BypassPolicyLockoutSafetyCheck", read="",
             default=False),
        Prop("deletionWindowInDays", kind="int", default=30),
        Prop("customKeyStoreId", api="CustomKeyStoreId", read="CustomKeyStoreId", replace=True),
        Prop("arn", read="Arn", output=True),
        Prop("keyId", read="KeyId", output=True),
    ),
    create=Call("create_key", id="KeyMetadata.KeyId"),
    read=(
        Call("describe_key", {"KeyId": "{id}"}, result="KeyMetadata", absent=_GONE, gone=_PENDING_DELETION),
        Call("get_key_rotation_status", {"KeyId": "{id}"}, into="rotation"),
        Call("get_key_policy", {"KeyId": "{id}", "PolicyName": "default"}, into="policy"),
    ),
    updates=(
        Update(Call("update_key_description", {"KeyId": "{id}"}), props=("description",)),
        Update(Call("put_key_policy", {"KeyId": "{id}", "PolicyName": "default"}),
               props=("policy", "bypassPolicyLockoutSafetyCheck")),
    ),
    delete=None,
    tagging=Tagging(
        keys=("TagKey", "TagValue"),
        read=Call("list_resource_tags", {"KeyId": "{id}"}, result="Tags"),
        tag=Call("tag_resource", {"KeyId": "{id}", "Tags": "{tags}"}),
        untag=Call("untag_resource", {"KeyId": "{id}", "TagKeys": "{keys}"}),
    ),
    impl=KeyCode,
)


class AliasCode(DeclaredResource):
    def check(self, urn: str, name: str, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        if news.get("name") is None:
            old, prefix = (olds or {}).get("name"), news.get("namePrefix")
            if isinstance(old, str) and (not prefix or old.startswith(str(prefix))):
                news = {**news, "name": old}
            else:
                news = {**news, "name": f"{prefix}{random_suffix(26)}" if prefix else f"alias/{autoname(name)}"}
        return super().check(urn, name, olds, news)

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        alias = news.get("name")
        if isinstance(alias, str) and not alias.startswith("alias/"):
            raise ProviderError(f"{self.type_token} {name}: name {alias!r} must start with `alias/`")
        return news

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        """KMS has no call to read one alias: list them (by page) and find it."""
        pages = self.client(inputs).get_paginator("list_aliases").paginate()
        for page in pages:
            for alias in page.get("Aliases", ()):
                if alias.get("AliasName") == id:
                    return dict(alias)
        return None

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        arn = str(doc.get("AliasArn", ""))
        key = str(doc.get("TargetKeyId", ""))
        given = inputs.get("targetKeyId")
        outputs["targetKeyArn"] = f"{arn.rpartition(':')[0]}:key/{key}" if arn and key else ""
        if isinstance(given, str) and given in (outputs["targetKeyArn"], key):
            outputs["targetKeyId"] = given  # given as the key's ARN or id: kept as written
        return outputs


ALIAS = AwsType(
    token="aws:kms/alias:Alias",
    client="kms",
    props=(
        Prop("name", api="AliasName", read="AliasName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("targetKeyId", api="TargetKeyId", read="TargetKeyId", required=True),
        Prop("arn", read="AliasArn", output=True),
        Prop("targetKeyArn", output=True),
    ),
    create=Call("create_alias"),
    id="{inputs.name}",
    read=(),
    updates=(Update(Call("update_alias", {"AliasName": "{id}"}), props=("targetKeyId",)),),
    delete=Call("delete_alias", {"AliasName": "{id}"}, absent=_GONE),
    impl=AliasCode,
)

TYPES = (KEY, ALIAS)

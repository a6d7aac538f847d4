"""IAM users, groups, group memberships, instance profiles and access keys. Names, defaults and
ForceNew as pulumi-aws `aws.iam.User`, `Group`, `GroupMembership`, `InstanceProfile`,
`AccessKey` (terraform-provider-aws `internal/service/iam/user.go`, `group.go`,
`group_membership.go`, `instance_profile.go`, `access_key.go`).

Renaming a user or a group replaces it here (pulumi-aws renames it in place): the engine keeps
an object's id for its life, and IAM's id is the name.

A helper module of `iam.py` (its leading underscore keeps the catalog from listing it twice).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._iam_policies import iam_naming
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import ProviderError, ReadResult

_GONE = ("NoSuchEntity",)


def _iso(value: Any) -> Any:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else value


# ---------------------------------------------------------------------- User


class UserCode(DeclaredResource):
    """With `forceDestroy`, what IAM refuses to delete a user with goes first: access keys,
    login profile, MFA devices, inline and attached policies, group memberships."""

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        tags = self.desired_tags(news)
        if news.get("path") != old_inputs.get("path") and tags:
            # moto's UpdateUser drops the user's tags; writing them again is a no-op on AWS.
            self.client(news).tag_user(UserName=id, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        iam = self.client(inputs)
        with self.errors(id), missing(*_GONE):
            if inputs.get("forceDestroy"):
                _detach_everything(iam, id)
            iam.delete_user(UserName=id)


def _detach_everything(iam: Any, user: str) -> None:
    for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    with missing(*_GONE):
        iam.delete_login_profile(UserName=user)
    for device in iam.list_mfa_devices(UserName=user)["MFADevices"]:
        iam.deactivate_mfa_device(UserName=user, SerialNumber=device["SerialNumber"])
    for name in iam.list_user_policies(UserName=user)["PolicyNames"]:
        iam.delete_user_policy(UserName=user, PolicyName=name)
    for attached in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]:
        iam.detach_user_policy(UserName=user, PolicyArn=attached["PolicyArn"])
    for group in iam.list_groups_for_user(UserName=user)["Groups"]:
        iam.remove_user_from_group(UserName=user, GroupName=group["GroupName"])


USER = AwsType(
    token="aws:iam/user:User",
    client="iam",
    naming=iam_naming(64, prefix=None),
    props=(
        Prop("name", api="UserName", read="UserName", replace=True),
        Prop("path", api="Path", default="/"),
        Prop("permissionsBoundary", api="PermissionsBoundary", read="PermissionsBoundary.PermissionsBoundaryArn"),
        Prop("forceDestroy", kind="bool", default=False),
        Prop("arn", read="Arn", output=True),
        Prop("uniqueId", read="UserId", output=True),
    ),
    create=Call("create_user"),
    read=(Call("get_user", {"UserName": "{id}"}, result="User", absent=_GONE),),
    updates=(
        Update(Call("update_user", {"UserName": "{id}"}), props=("path",), paths={"path": "NewPath"}),
        Update(Call("put_user_permissions_boundary", {"UserName": "{id}"}), props=("permissionsBoundary",)),
    ),
    delete=None,
    tagging=Tagging(
        read=Call("list_user_tags", {"UserName": "{id}"}, result="Tags"),
        tag=Call("tag_user", {"UserName": "{id}", "Tags": "{tags}"}),
        untag=Call("untag_user", {"UserName": "{id}", "TagKeys": "{keys}"}),
    ),
    impl=UserCode,
)


# ---------------------------------------------------------------------- Group

GROUP = AwsType(
    token="aws:iam/group:Group",
    client="iam",
    naming=iam_naming(128, prefix=None),
    props=(
        Prop("name", api="GroupName", read="Group.GroupName", replace=True),
        Prop("path", api="Path", read="Group.Path", default="/"),
        Prop("arn", read="Group.Arn", output=True),
        Prop("uniqueId", read="Group.GroupId", output=True),
    ),
    create=Call("create_group"),
    read=(Call("get_group", {"GroupName": "{id}"}, absent=_GONE),),
    updates=(Update(Call("update_group", {"GroupName": "{id}"}), props=("path",), paths={"path": "NewPath"}),),
    delete=Call("delete_group", {"GroupName": "{id}"}, absent=_GONE),
)


class GroupMembershipCode(DeclaredResource):
    """The users of one group that this resource manages (pulumi-aws reads all of the group's)."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if isinstance(news.get("users"), list):
            news["users"] = sorted(set(map(str, news["users"])))
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        with self.errors(str(inputs["name"]), inputs):
            self._sync(inputs, [], inputs.get("users") or [])
        return str(inputs["name"]), self.described(str(inputs["name"]), inputs)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing(*_GONE) as probe:
            found = self.client(inputs).get_group(GroupName=inputs["group"])
        if probe.gone:
            return None
        return {"users": sorted(u["UserName"] for u in found["Users"]), "group": inputs["group"]}

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        self._sync(news, old_outputs.get("users") or [], news.get("users") or [])

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id), missing(*_GONE):
            self._sync(inputs, inputs.get("users") or [], [])

    def _sync(self, inputs: Mapping[str, Any], old: list[str], new: list[str]) -> None:
        iam = self.client(inputs)
        for user in sorted(set(new) - set(old)):
            iam.add_user_to_group(GroupName=inputs["group"], UserName=user)
        for user in sorted(set(old) - set(new)):
            with missing(*_GONE):
                iam.remove_user_from_group(GroupName=inputs["group"], UserName=user)


GROUP_MEMBERSHIP = AwsType(
    token="aws:iam/groupMembership:GroupMembership",
    client="iam",
    naming=iam_naming(255, prefix=None),
    props=(
        Prop("name", replace=True),
        Prop("group", read="group", required=True, replace=True),
        Prop("users", read="users", kind="list", required=True),
    ),
    create=Call("add_user_to_group"),
    read=(),
    delete=None,
    impl=GroupMembershipCode,
)


# ---------------------------------------------------------------------- InstanceProfile


class InstanceProfileCode(DeclaredResource):
    """The role is added after the profile is made, swapped on change, removed before delete."""

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        if inputs.get("role"):
            self.client(inputs).add_role_to_instance_profile(InstanceProfileName=id, RoleName=inputs["role"])

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        outputs["createDate"] = _iso(doc.get("CreateDate"))
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        iam = self.client(news)
        live = old_outputs.get("role")
        if news.get("role") == live:
            return
        if live:
            with missing(*_GONE):
                iam.remove_role_from_instance_profile(InstanceProfileName=id, RoleName=live)
        if news.get("role"):
            iam.add_role_to_instance_profile(InstanceProfileName=id, RoleName=news["role"])

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        iam = self.client(inputs)
        with self.errors(id), missing(*_GONE):
            for role in iam.get_instance_profile(InstanceProfileName=id)["InstanceProfile"]["Roles"]:
                iam.remove_role_from_instance_profile(InstanceProfileName=id, RoleName=role["RoleName"])
            iam.delete_instance_profile(InstanceProfileName=id)


INSTANCE_PROFILE = AwsType(
    token="aws:iam/instanceProfile:InstanceProfile",
    client="iam",
    naming=iam_naming(128),
    props=(
        Prop("name", api="InstanceProfileName", read="InstanceProfileName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("path", api="Path", default="/", replace=True),
        Prop("role", read="Roles[0].RoleName"),
        Prop("arn", read="Arn", output=True),
        Prop("uniqueId", read="InstanceProfileId", output=True),
        Prop("createDate", read="", output=True),
    ),
    create=Call("create_instance_profile"),
    read=(Call("get_instance_profile", {"InstanceProfileName": "{id}"}, result="InstanceProfile", absent=_GONE),),
    delete=None,
    tagging=Tagging(
        in_doc="Tags",  # moto has no ListInstanceProfileTags; GetInstanceProfile carries them too
        tag=Call("tag_instance_profile", {"InstanceProfileName": "{id}", "Tags": "{tags}"}),
        untag=Call("untag_instance_profile", {"InstanceProfileName": "{id}", "TagKeys": "{keys}"}),
    ),
    impl=InstanceProfileCode,
)


# ---------------------------------------------------------------------- AccessKey


def ses_smtp_password_v4(secret: str, region: str) -> str:
    """The SES SMTP password derived from a secret access key (AWS's published algorithm)."""
    signature = ("AWS4" + secret).encode()
    for part in ("11111111", region, "ses", "aws4_request", "SendRawEmail"):
        signature = hmac.new(signature, part.encode(), hashlib.sha256).digest()
    return base64.b64encode(b"\x04" + signature).decode()


class AccessKeyCode(DeclaredResource):
    """The secret exists only in the create call's answer: it is kept from the recorded
    outputs on every read (pulumi-aws marks `secret` and `sesSmtpPasswordV4` secret)."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("pgpKey"):
            raise ProviderError(f"{self.type_token} {name}: `pgpKey` (an encrypted secret) is not supported by "
                                "the local engine; leave it out to get the secret as a Pulumi secret")
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        iam = self.client(inputs)
        with self.errors(str(inputs["user"])):
            key = iam.create_access_key(UserName=inputs["user"])["AccessKey"]
            id_ = str(key["AccessKeyId"])
            with self.rollback_on_failure(id_, inputs):
                if inputs.get("status") == "Inactive":
                    iam.update_access_key(UserName=inputs["user"], AccessKeyId=id_, Status="Inactive")
        secret = str(key["SecretAccessKey"])
        outputs = {"secret": secret, "sesSmtpPasswordV4": ses_smtp_password_v4(secret, self.region(inputs))}
        found = self.read(urn, id_, inputs, outputs)
        if found is None:
            raise ProviderError(f"{self.type_token} {id_}: created, but the endpoint no longer finds it")
        return id_, found.outputs

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        found = super().read(urn, id, inputs, outputs)
        if found is None:
            return None
        kept = {k: outputs[k] for k in ("secret", "sesSmtpPasswordV4") if outputs.get(k)}
        return ReadResult(found.id, {**found.outputs, **kept})

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing(*_GONE) as probe:
            keys = self.client(inputs).list_access_keys(UserName=inputs["user"])["AccessKeyMetadata"]
        found = None if probe.gone else next((k for k in keys if k["AccessKeyId"] == id), None)
        return None if found is None else {**found, "CreateDate": _iso(found.get("CreateDate"))}


ACCESS_KEY = AwsType(
    token="aws:iam/accessKey:AccessKey",
    client="iam",
    props=(
        Prop("user", read="UserName", required=True, replace=True),
        Prop("status", read="Status", default="Active", choices=("Active", "Inactive")),
        Prop("pgpKey", replace=True),
        Prop("createDate", read="CreateDate", output=True),
        Prop("secret", read="", output=True, secret=True),
        Prop("sesSmtpPasswordV4", read="", output=True, secret=True),
    ),
    create=Call("create_access_key"),
    read=(),
    updates=(Update(Call("update_access_key", {"UserName": "{inputs.user}", "AccessKeyId": "{id}"}),
                    props=("status",), paths={"status": "Status"}),),
    delete=Call("delete_access_key", {"UserName": "{inputs.user}", "AccessKeyId": "{id}"}, absent=_GONE),
    impl=AccessKeyCode,
)

TYPES = (USER, GROUP, GROUP_MEMBERSHIP, INSTANCE_PROFILE, ACCESS_KEY)

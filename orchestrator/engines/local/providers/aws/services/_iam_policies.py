"""IAM policies: managed policies, inline role policies and policy attachments. Names, defaults
and ForceNew as pulumi-aws `aws.iam.Policy`, `RolePolicy`, `RolePolicyAttachment`,
`UserPolicyAttachment` (terraform-provider-aws `internal/service/iam/policy.go`,
`role_policy.go`, `role_policy_attachment.go`, `user_policy_attachment.go`).

A helper module of `iam.py` (its leading underscore keeps the catalog from listing it twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import error_code, missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.naming import unique_id
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.values import policy_text
from orchestrator.engines.local.providers.base import ProviderError

_GONE = ("NoSuchEntity",)


def iam_naming(max_len: int, prefix: str | None = "namePrefix") -> Naming:
    return Naming(max_len=max_len, prefix=prefix, charset=r"\w+=,.@-", pattern=rf"[\w+=,.@-]{{1,{max_len}}}",
                  rule=f"up to {max_len} letters, digits and +=,.@_-")


# ---------------------------------------------------------------------- Policy


class PolicyCode(DeclaredResource):
    """A policy document changes by a new default version (IAM keeps at most five: the oldest
    non-default one goes first); deleting removes the other versions first, as IAM requires."""

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if news.get("policy") == old_inputs.get("policy"):
            return
        iam = self.client(news)
        versions = iam.list_policy_versions(PolicyArn=id)["Versions"]
        older = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
        if len(versions) >= 5 and older:
            iam.delete_policy_version(PolicyArn=id, VersionId=older[0]["VersionId"])
        document = policy_text(news["policy"], self.type_token, "policy")
        iam.create_policy_version(PolicyArn=id, PolicyDocument=document, SetAsDefault=True)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        iam = self.client(inputs)
        with self.errors(id), missing(*_GONE):
            for version in iam.list_policy_versions(PolicyArn=id)["Versions"]:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=id, VersionId=version["VersionId"])
            try:
                iam.delete_policy(PolicyArn=id)
            except ClientError as exc:
                if error_code(exc) == "DeleteConflict":
                    raise ProviderError(
                        f"{self.type_token} {id}: the policy is still attached; detach it first"
                    ) from exc
                raise


POLICY = AwsType(
    token="aws:iam/policy:Policy",
    client="iam",
    naming=iam_naming(128),
    props=(
        Prop("name", api="PolicyName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("path", api="Path", default="/", replace=True),
        Prop("description", api="Description", replace=True),
        Prop("policy", api="PolicyDocument", read="version.Document", kind="json", required=True),
        Prop("delayAfterPolicyCreationInMs", kind="int"),
        Prop("arn", read="Arn", output=True),
        Prop("policyId", read="PolicyId", output=True),
        Prop("attachmentCount", read="AttachmentCount", kind="int", output=True),
    ),
    create=Call("create_policy", id="Policy.Arn"),
    read=(
        Call("get_policy", {"PolicyArn": "{id}"}, result="Policy", absent=_GONE),
        Call("get_policy_version", {"PolicyArn": "{id}", "VersionId": "{doc.DefaultVersionId}"},
             result="PolicyVersion", into="version"),
    ),
    delete=None,
    tagging=Tagging(
        read=Call("list_policy_tags", {"PolicyArn": "{id}"}, result="Tags"),
        tag=Call("tag_policy", {"PolicyArn": "{id}", "Tags": "{tags}"}),
        untag=Call("untag_policy", {"PolicyArn": "{id}", "TagKeys": "{keys}"}),
    ),
    impl=PolicyCode,
)


# ---------------------------------------------------------------------- RolePolicy

ROLE_POLICY = AwsType(
    token="aws:iam/rolePolicy:RolePolicy",
    client="iam",
    naming=iam_naming(128),
    props=(
        Prop("name", api="PolicyName", read="PolicyName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("role", api="RoleName", read="RoleName", required=True, replace=True),
        Prop("policy", api="PolicyDocument", kind="json", required=True),
    ),
    create=Call("put_role_policy"),
    read=(Call("get_role_policy", {"RoleName": "{inputs.role}", "PolicyName": "{inputs.name}"}, absent=_GONE),),
    updates=(Update(Call("put_role_policy", {"RoleName": "{inputs.role}", "PolicyName": "{inputs.name}"}),
                    props=("policy",)),),
    delete=Call("delete_role_policy", {"RoleName": "{inputs.role}", "PolicyName": "{inputs.name}"}, absent=_GONE),
    id="{inputs.role}:{inputs.name}",
)


# ---------------------------------------------------------------------- attachments


class AttachmentCode(DeclaredResource):
    """A policy attached to a role or user: the id is `<principal>-<unique id>` as pulumi-aws
    makes it; the attachment is gone when the principal no longer lists the policy."""

    principal = "role"

    @property
    def _kind(self) -> str:
        return self.principal.capitalize()

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        label = f"{inputs[self.principal]} {inputs['policyArn']}"
        with self.errors(label):
            getattr(self.client(inputs), f"attach_{self.principal}_policy")(
                **{f"{self._kind}Name": inputs[self.principal], "PolicyArn": inputs["policyArn"]})
        id_ = unique_id(f"{inputs[self.principal]}-")
        return id_, self.described(id_, inputs)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        name = inputs.get(self.principal)
        if not name:
            return None
        with missing(*_GONE) as probe:
            pages = self.client(inputs).get_paginator(f"list_attached_{self.principal}_policies")
            attached = [p["PolicyArn"] for page in pages.paginate(**{f"{self._kind}Name": name})
                        for p in page["AttachedPolicies"]]
        if probe.gone or inputs.get("policyArn") not in attached:
            return None
        return {"principal": name, "policyArn": inputs["policyArn"]}

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id), missing(*_GONE):
            getattr(self.client(inputs), f"detach_{self.principal}_policy")(
                **{f"{self._kind}Name": inputs[self.principal], "PolicyArn": inputs["policyArn"]})


class UserAttachmentCode(AttachmentCode):
    principal = "user"


ROLE_POLICY_ATTACHMENT = AwsType(
    token="aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    client="iam",
    props=(
        Prop("role", read="principal", required=True, replace=True),
        Prop("policyArn", read="policyArn", required=True, replace=True),
    ),
    create=Call("attach_role_policy"),
    read=(),
    delete=None,
    impl=AttachmentCode,
)

USER_POLICY_ATTACHMENT = AwsType(
    token="aws:iam/userPolicyAttachment:UserPolicyAttachment",
    client="iam",
    props=(
        Prop("user", read="principal", required=True, replace=True),
        Prop("policyArn", read="policyArn", required=True, replace=True),
    ),
    create=Call("attach_user_policy"),
    read=(),
    delete=None,
    impl=UserAttachmentCode,
)

TYPES = (POLICY, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, USER_POLICY_ATTACHMENT)

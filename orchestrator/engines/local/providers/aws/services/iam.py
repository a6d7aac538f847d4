"""IAM: roles here; policies, attachments, users, groups, instance profiles and access keys in
`_iam_policies.py` and `_iam_principals.py`. Names, defaults and ForceNew as pulumi-aws
`aws.iam.Role` (terraform-provider-aws `internal/service/iam/role.go`). `inlinePolicies` and
`managedPolicyArns` are Optional+Computed: left out, they are not managed here; an empty list
removes them all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import error_code
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.policy_document import get_policy_document
from orchestrator.engines.local.providers.aws.services import _iam_policies, _iam_principals
from orchestrator.engines.local.providers.aws.spec import AwsFunction, AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.values import policy_text, same_policy
from orchestrator.engines.local.providers.base import ProviderError


class RoleCode(DeclaredResource):
    """Inline and attached policies, the permissions boundary, and a delete that detaches
    everything first (pulumi-aws reads them all into the role's state)."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        policies = news.get("inlinePolicies")
        if isinstance(policies, list) and all(isinstance(p, Mapping) for p in policies):
            news["inlinePolicies"] = sorted(policies, key=lambda p: str(p.get("name")))
        if isinstance(news.get("managedPolicyArns"), list):
            news["managedPolicyArns"] = sorted(str(a) for a in news["managedPolicyArns"])
        return news

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        iam = self.client(inputs)
        self._sync_inline(iam, id, [], inputs.get("inlinePolicies") or [])
        self._sync_managed(iam, id, [], inputs.get("managedPolicyArns") or [])

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        created = doc.get("CreateDate")
        if created is not None and hasattr(created, "strftime"):
            outputs["createDate"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        iam = self.client(inputs)
        outputs["inlinePolicies"] = self._inline_policies(iam, str(outputs["id"]), inputs.get("inlinePolicies") or [])
        outputs["managedPolicyArns"] = sorted(
            p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=outputs["id"]).get("AttachedPolicies", [])
        )
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        iam = self.client(news)
        if news.get("permissionsBoundary") != old_inputs.get("permissionsBoundary"):
            if news.get("permissionsBoundary"):
                iam.put_role_permissions_boundary(RoleName=id, PermissionsBoundary=news["permissionsBoundary"])
            else:
                iam.delete_role_permissions_boundary(RoleName=id)
        # Absent means "not managed here" (pulumi-aws); an empty list removes them all.
        if news.get("inlinePolicies") is not None:
            self._sync_inline(iam, id, old_inputs.get("inlinePolicies") or [], news["inlinePolicies"])
        if news.get("managedPolicyArns") is not None:
            self._sync_managed(iam, id, old_inputs.get("managedPolicyArns") or [], news["managedPolicyArns"])

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        iam = self.client(inputs)
        with self.errors(id):
            try:
                for policy_name in iam.list_role_policies(RoleName=id).get("PolicyNames", []):
                    iam.delete_role_policy(RoleName=id, PolicyName=policy_name)
                for attached in iam.list_attached_role_policies(RoleName=id).get("AttachedPolicies", []):
                    iam.detach_role_policy(RoleName=id, PolicyArn=attached["PolicyArn"])
                iam.delete_role(RoleName=id)
            except ClientError as exc:
                if error_code(exc) == "NoSuchEntity":
                    return
                if error_code(exc) == "DeleteConflict":
                    raise ProviderError(
                        f"{self.type_token} {id}: the role is still in use (e.g. by an instance profile); "
                        "remove it from there first"
                    ) from exc
                raise

    def _inline_policies(self, iam: Any, role: str, configured: list[Any]) -> list[dict[str, Any]]:
        texts = {p.get("name"): p.get("policy") for p in configured if isinstance(p, Mapping)}
        result = []
        for policy_name in sorted(iam.list_role_policies(RoleName=role).get("PolicyNames", [])):
            document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
            result.append({"name": policy_name, "policy": same_policy(document, texts.get(policy_name))})
        return result

    def _sync_inline(self, iam: Any, role: str, old: list[Any], new: list[Any]) -> None:
        wanted = {p["name"]: policy_text(p.get("policy"), self.type_token, "inlinePolicies") for p in new}
        had = {p["name"]: policy_text(p.get("policy"), self.type_token, "inlinePolicies") for p in old}
        for policy_name, document in wanted.items():
            if had.get(policy_name) != document and document:
                iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=document)
        for policy_name in had.keys() - wanted.keys():
            iam.delete_role_policy(RoleName=role, PolicyName=policy_name)

    @staticmethod
    def _sync_managed(iam: Any, role: str, old: list[str], new: list[str]) -> None:
        for arn in sorted(set(new) - set(old)):
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        for arn in sorted(set(old) - set(new)):
            iam.detach_role_policy(RoleName=role, PolicyArn=arn)


ROLE = AwsType(
    token="aws:iam/role:Role",
    client="iam",
    naming=Naming(max_len=64, charset=r"\w+=,.@-", pattern=r"[\w+=,.@-]{1,64}",
                  rule="up to 64 letters, digits and +=,.@_-"),
    props=(
        Prop("name", api="RoleName", read="RoleName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("assumeRolePolicy", api="AssumeRolePolicyDocument", kind="json", required=True),
        Prop("description", api="Description", reset=""),
        Prop("path", api="Path", default="/", replace=True),
        Prop("maxSessionDuration", api="MaxSessionDuration", kind="int", default=3600),
        Prop("permissionsBoundary", api="PermissionsBoundary", read="PermissionsBoundary.PermissionsBoundaryArn"),
        Prop("forceDetachPolicies", kind="bool", default=False),
        Prop("inlinePolicies", kind="list", computed=True, read=""),
        Prop("managedPolicyArns", kind="list", computed=True, read=""),
        Prop("arn", read="Arn", output=True),
        Prop("uniqueId", read="RoleId", output=True),
        Prop("createDate", read="", output=True),
    ),
    create=Call("create_role"),
    read=(Call("get_role", {"RoleName": "{id}"}, result="Role", absent=("NoSuchEntity",)),),
    updates=(
        Update(Call("update_assume_role_policy", {"RoleName": "{id}"}), props=("assumeRolePolicy",),
               paths={"assumeRolePolicy": "PolicyDocument"}),
        Update(Call("update_role", {"RoleName": "{id}"}), props=("description", "maxSessionDuration")),
    ),
    delete=None,
    tagging=Tagging(
        read=Call("list_role_tags", {"RoleName": "{id}"}, result="Tags"),
        tag=Call("tag_role", {"RoleName": "{id}", "Tags": "{tags}"}),
        untag=Call("untag_role", {"RoleName": "{id}", "TagKeys": "{keys}"}),
    ),
    impl=RoleCode,
)

TYPES = (ROLE, *_iam_policies.TYPES, *_iam_principals.TYPES)
FUNCTIONS = (AwsFunction("aws:iam/getPolicyDocument:getPolicyDocument", get_policy_document),)

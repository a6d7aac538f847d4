"""ECR: repositories, their lifecycle and access policies, and the registry's login token.
Names, defaults and ForceNew as pulumi-aws `aws.ecr.Repository`, `LifecyclePolicy`,
`RepositoryPolicy` and `getAuthorizationToken` (terraform-provider-aws
`internal/service/ecr/`). A policy's id is its repository's name."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import aws_client, aws_errors
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsFunction, AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import ProviderContext

_NO_REPOSITORY = ("RepositoryNotFoundException",)

class RepositoryCode(DeclaredResource):
    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is not None and doc.get("encryptionConfiguration"):
            # One object in ECR's answer, a list of one in pulumi-aws.
            doc["encryptionConfigurationList"] = [doc["encryptionConfiguration"]]
        return doc


REPOSITORY = AwsType(
    token="aws:ecr/repository:Repository",
    client="ecr",
    naming=Naming(prefix=None, lower=True, charset="a-z0-9._/-", pattern=r"[a-z0-9][a-z0-9._/-]{1,255}",
                  rule="2-256 lower-case letters, digits, `.`, `_`, `-` and `/`"),
    props=(
        Prop("name", api="repositoryName", read="repositoryName", replace=True),
        Prop("imageTagMutability", api="imageTagMutability", read="imageTagMutability", default="MUTABLE",
             choices=("MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION")),
        Prop("imageScanningConfiguration", kind="object", api="imageScanningConfiguration",
             read="imageScanningConfiguration", computed=True, props=(
                 Prop("scanOnPush", kind="bool", api="scanOnPush", default=False),
             )),
        Prop("encryptionConfigurations", kind="list", api="encryptionConfiguration", replace=True, computed=True,
             read="encryptionConfigurationList", props=(
                 Prop("encryptionType", api="encryptionType", default="AES256"),
                 Prop("kmsKey", api="kmsKey"),
             )),
        Prop("forceDelete", kind="bool"),
        Prop("arn", read="repositoryArn", output=True),
        Prop("registryId", read="registryId", output=True),
        Prop("repositoryUrl", read="repositoryUri", output=True),
    ),
    create=Call("create_repository", id="repository.repositoryName"),
    read=(
        Call("describe_repositories", {"repositoryNames": ["{id}"]}, result="repositories[0]", absent=_NO_REPOSITORY),
    ),
    updates=(
        Update(Call("put_image_tag_mutability", {"repositoryName": "{id}"}), props=("imageTagMutability",)),
        Update(Call("put_image_scanning_configuration", {"repositoryName": "{id}"}),
               props=("imageScanningConfiguration",)),
    ),
    delete=Call("delete_repository", {"repositoryName": "{id}", "force": "{inputs.forceDelete?}"},
                absent=_NO_REPOSITORY),
    tagging=Tagging(
        read=Call("list_tags_for_resource", {"resourceArn": "{doc.repositoryArn}"}, result="tags"),
        tag=Call("tag_resource", {"resourceArn": "{outputs.arn}", "tags": "{tags}"}),
        untag=Call("untag_resource", {"resourceArn": "{outputs.arn}", "tagKeys": "{keys}"}),
        on_create="tags",
    ),
    impl=RepositoryCode,
)


def _policy_type(token: str, put: str, get: str, delete: str, missing: str, text: str) -> AwsType:
    """A policy attached to a repository: one put call creates and changes it."""
    return AwsType(
        token=token,
        client="ecr",
        props=(
            Prop("repository", api="repositoryName", read="repositoryName", replace=True, required=True),
            Prop("policy", kind="json", api=text, read=text, required=True),
            Prop("registryId", read="registryId", output=True),
        ),
        create=Call(put),
        id="{inputs.repository}",
        read=(Call(get, {"repositoryName": "{id}"}, absent=(missing, *_NO_REPOSITORY)),),
        updates=(Update(Call(put, {"repositoryName": "{id}"}), props=("policy",)),),
        delete=Call(delete, {"repositoryName": "{id}"}, absent=(missing, *_NO_REPOSITORY)),
    )


LIFECYCLE_POLICY = _policy_type("aws:ecr/lifecyclePolicy:LifecyclePolicy", "put_lifecycle_policy",
                                "get_lifecycle_policy", "delete_lifecycle_policy",
                                "LifecyclePolicyNotFoundException", "lifecyclePolicyText")
REPOSITORY_POLICY = _policy_type("aws:ecr/repositoryPolicy:RepositoryPolicy", "set_repository_policy",
                                 "get_repository_policy", "delete_repository_policy",
                                 "RepositoryPolicyNotFoundException", "policyText")


def authorization_token(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """A docker login for the registry: user `AWS` and a password, as the provider decodes them."""
    region = str(args.get("region") or ctx.aws.region)
    request = {"registryIds": [args["registryId"]]} if args.get("registryId") else {}
    with aws_errors("aws:ecr/getAuthorizationToken", "GetAuthorizationToken", ctx):
        data = aws_client(ctx, "ecr", region).get_authorization_token(**request)["authorizationData"][0]
    token = str(data["authorizationToken"])
    user, _, password = base64.b64decode(token).decode().partition(":")
    expires = data.get("expiresAt")
    return {
        "authorizationToken": token, "userName": user, "password": password,
        "proxyEndpoint": data.get("proxyEndpoint", ""),
        "expiresAt": expires.isoformat() if hasattr(expires, "isoformat") else str(expires or ""),
        "id": region, "region": region, **({"registryId": args["registryId"]} if args.get("registryId") else {}),
    }


TYPES = (REPOSITORY, LIFECYCLE_POLICY, REPOSITORY_POLICY)
FUNCTIONS = (AwsFunction("aws:ecr/getAuthorizationToken:getAuthorizationToken", authorization_token),)

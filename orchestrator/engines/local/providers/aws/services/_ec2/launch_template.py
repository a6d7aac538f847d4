"""EC2 launch templates. A change to the template's data is a new version
(CreateLaunchTemplateVersion); `updateDefaultVersion` or `defaultVersion` then moves the
default (ModifyLaunchTemplate). Only `name`/`namePrefix` force a replace
(terraform-provider-aws `internal/service/ec2/ec2_launch_template.go`); the data read back is
the latest version's, as there."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.convert import block_to_api
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._ec2.common import arn, ec2_tagging
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Update
from orchestrator.engines.local.providers.aws.values import get_path

# pulumi-aws keeps some of the template's booleans as the strings "true"/"false".
_STR_BOOL = ((True, "true"), (False, "false"))
_DATA = "LaunchTemplateData"

_EBS = (
    Prop("volumeSize", api="VolumeSize", kind="int"),
    Prop("volumeType", api="VolumeType"),
    Prop("iops", api="Iops", kind="int"),
    Prop("throughput", api="Throughput", kind="int"),
    Prop("snapshotId", api="SnapshotId"),
    Prop("kmsKeyId", api="KmsKeyId"),
    Prop("encrypted", api="Encrypted", values=_STR_BOOL),
    Prop("deleteOnTermination", api="DeleteOnTermination", values=_STR_BOOL),
)
_BLOCK_DEVICE = (
    Prop("deviceName", api="DeviceName"),
    Prop("noDevice", api="NoDevice"),
    Prop("virtualName", api="VirtualName"),
    Prop("ebs", api="Ebs", kind="object", props=_EBS),
)
_INTERFACE = (
    Prop("deviceIndex", api="DeviceIndex", kind="int"),
    Prop("subnetId", api="SubnetId"),
    Prop("securityGroups", api="Groups", kind="list"),
    Prop("associatePublicIpAddress", api="AssociatePublicIpAddress", values=_STR_BOOL),
    Prop("deleteOnTermination", api="DeleteOnTermination", values=_STR_BOOL),
    Prop("description", api="Description"),
    Prop("networkInterfaceId", api="NetworkInterfaceId"),
    Prop("privateIpAddress", api="PrivateIpAddress"),
)
_METADATA = (
    Prop("httpEndpoint", api="HttpEndpoint"),
    Prop("httpTokens", api="HttpTokens"),
    Prop("httpPutResponseHopLimit", api="HttpPutResponseHopLimit", kind="int"),
    Prop("httpProtocolIpv6", api="HttpProtocolIpv6"),
    Prop("instanceMetadataTags", api="InstanceMetadataTags"),
)


def _data(name: str, api: str, **kw: Any) -> Prop:
    """A property of the template's data (the version), read from the latest version."""
    return Prop(name, api=f"{_DATA}.{api}", **kw)


_DATA_PROPS = (
    _data("imageId", "ImageId"),
    _data("instanceType", "InstanceType"),
    _data("keyName", "KeyName"),
    _data("userData", "UserData"),
    _data("vpcSecurityGroupIds", "SecurityGroupIds", kind="list"),
    _data("iamInstanceProfile", "IamInstanceProfile", kind="object",
          props=(Prop("arn", api="Arn"), Prop("name", api="Name"))),
    _data("tagSpecifications", "TagSpecifications", kind="list",
          props=(Prop("resourceType", api="ResourceType"), Prop("tags", api="Tags", kind="map"))),
    _data("blockDeviceMappings", "BlockDeviceMappings", kind="list", props=_BLOCK_DEVICE),
    _data("networkInterfaces", "NetworkInterfaces", kind="list", props=_INTERFACE),
    _data("metadataOptions", "MetadataOptions", kind="object", props=_METADATA, computed=True),
    _data("monitoring", "Monitoring", kind="object", props=(Prop("enabled", api="Enabled", kind="bool"),)),
)
_VERSIONED = (*(p.name for p in _DATA_PROPS), "description")


class LaunchTemplateCode(DeclaredResource):
    """Tag specifications' tags are a map in pulumi-aws and a Key/Value list in EC2; an
    update is a new version, made the default when the program asks for it."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {_DATA: self._template_data(inputs)}

    def _template_data(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        data = block_to_api(tuple(dataclasses.replace(p, api=p.api[len(_DATA) + 1:]) for p in _DATA_PROPS
                                  if p.api), inputs)
        for spec in data.get("TagSpecifications", []):
            spec["Tags"] = [{"Key": k, "Value": v} for k, v in (spec.get("Tags") or {}).items()]
        return data

    def _run_update(self, update: Update, hit: list[str], fields: Any, inputs: Mapping[str, Any]) -> None:
        if update.call.op != "create_launch_template_version":
            super()._run_update(update, hit, fields, inputs)
            return
        args: dict[str, Any] = {"LaunchTemplateId": fields["id"], _DATA: self._template_data(inputs)}
        if inputs.get("description") is not None:
            args["VersionDescription"] = inputs["description"]
        self.client(inputs).create_launch_template_version(**args)

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if news.get("updateDefaultVersion"):
            client = self.client(news)
            latest = client.describe_launch_templates(LaunchTemplateIds=[id])["LaunchTemplates"][0]
            client.modify_launch_template(LaunchTemplateId=id, DefaultVersion=str(latest["LatestVersionNumber"]))

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        # moto copies the template's own tags into its data as a "launch-template" tag
        # specification; AWS never does (the data refuses that resource type), so it is left out.
        specs = [s for s in get_path(doc, f"{_DATA}.TagSpecifications") or []
                 if s.get("ResourceType") != "launch-template"]
        if specs:
            outputs["tagSpecifications"] = [
                {"resourceType": s.get("ResourceType"), "tags": {t["Key"]: t["Value"] for t in s.get("Tags", [])}}
                for s in specs]
        else:
            outputs.pop("tagSpecifications", None)
        return outputs


LAUNCH_TEMPLATE = AwsType(
    token="aws:ec2/launchTemplate:LaunchTemplate",
    client="ec2",
    naming=Naming(max_len=128, charset=r"A-Za-z0-9().\-/_"),
    props=(
        Prop("name", api="LaunchTemplateName", read="LaunchTemplateName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("description", api="VersionDescription", read="VersionDescription"),
        *_DATA_PROPS,
        Prop("defaultVersion", kind="int", stringly=True, read="DefaultVersionNumber", computed=True,
             on_create=False),
        Prop("updateDefaultVersion", kind="bool"),
        Prop("latestVersion", kind="int", read="LatestVersionNumber", output=True),
        Prop("arn", template=arn("launch-template")),
    ),
    create=Call("create_launch_template", send=("name", "description"), id="LaunchTemplate.LaunchTemplateId"),
    read=(
        Call("describe_launch_templates", {"LaunchTemplateIds": ["{id}"]}, result="LaunchTemplates[0]",
             absent=("InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.Malformed")),
        Call("describe_launch_template_versions", {"LaunchTemplateId": "{id}", "Versions": ["$Latest"]},
             result="LaunchTemplateVersions[0]"),
    ),
    updates=(
        Update(Call("create_launch_template_version", {"LaunchTemplateId": "{id}"}), props=_VERSIONED),
        Update(Call("modify_launch_template", {"LaunchTemplateId": "{id}"}), props=("defaultVersion",),
               paths={"defaultVersion": "DefaultVersion"}),
    ),
    delete=Call("delete_launch_template", {"LaunchTemplateId": "{id}"},
                absent=("InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException")),
    # Tags read through DescribeTags: moto's DescribeLaunchTemplates keeps the tags of the create.
    tagging=dataclasses.replace(
        ec2_tagging("launch-template"),
        read=Call("describe_tags", {"Filters": [{"Name": "resource-id", "Values": ["{id}"]}]}, result="Tags")),
    impl=LaunchTemplateCode,
)

TYPES = (LAUNCH_TEMPLATE,)

"""EC2 compute: key pairs and instances. Names, defaults and ForceNew as pulumi-aws
(terraform-provider-aws `internal/service/ec2/ec2_key_pair.go`, `ec2_instance.go`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._ec2.common import arn, ec2_tagging
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Update
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, DiffResult

KEY_PAIR = AwsType(
    token="aws:ec2/keyPair:KeyPair",
    client="ec2",
    naming=Naming(prop="keyName", prefix="keyNamePrefix", max_len=255, charset=r"\x20-\x7e"),
    props=(
        Prop("keyName", api="KeyName", read="KeyName", replace=True),
        Prop("keyNamePrefix", replace=True),
        Prop("publicKey", api="PublicKeyMaterial", read="", required=True, replace=True),
        Prop("arn", template="arn:{partition}:ec2:{region}:{account}:key-pair/{id}"),
        Prop("fingerprint", read="KeyFingerprint", output=True),
        Prop("keyPairId", read="KeyPairId", output=True),
        Prop("keyType", read="KeyType", output=True),
    ),
    create=Call("import_key_pair"),
    read=(Call("describe_key_pairs", {"KeyNames": ["{id}"]}, result="KeyPairs[0]",
               absent=("InvalidKeyPair.NotFound",)),),
    delete=Call("delete_key_pair", {"KeyName": "{id}"}, absent=("InvalidKeyPair.NotFound",)),
    tagging=ec2_tagging("key-pair"),
    id="{inputs.keyName}",
)

_GONE_STATES = ("terminated", "shutting-down")
_WAIT = {"Delay": 1, "MaxAttempts": 300}
# Changed with the instance stopped (ModifyInstanceAttribute refuses them while it runs).
_WHILE_STOPPED = {"instanceType": "InstanceType", "userData": "UserData"}


class InstanceCode(DeclaredResource):
    """A public address asks for a network interface spec; the instance type and user data
    change with the instance stopped; `userDataReplaceOnChange` makes user data replace it;
    a terminated instance is gone."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        groups = news.get("vpcSecurityGroupIds")
        if isinstance(groups, list) and UNKNOWN_MARKER not in groups:
            news["vpcSecurityGroupIds"] = sorted(str(g) for g in groups)
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"MinCount": 1, "MaxCount": 1}
        if inputs.get("associatePublicIpAddress") is not None:
            interface: dict[str, Any] = {"DeviceIndex": 0,
                                         "AssociatePublicIpAddress": bool(inputs["associatePublicIpAddress"])}
            if inputs.get("subnetId"):
                interface["SubnetId"] = inputs["subnetId"]
            if inputs.get("vpcSecurityGroupIds"):
                interface["Groups"] = list(inputs["vpcSecurityGroupIds"])
            args.update(NetworkInterfaces=[interface], SubnetId=None, SecurityGroupIds=None)
        return args

    def diff(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult:
        result = super().diff(urn, id, old_inputs, old_outputs, news)
        if news.get("userDataReplaceOnChange") and any(d.path == "userData" for d in result.diffs):
            return DiffResult(True, result.diffs, (*result.replace_paths, "userData"), result.delete_before_replace)
        return result

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        return None if doc is None or doc.get("State", {}).get("Name") in _GONE_STATES else doc

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        outputs["vpcSecurityGroupIds"] = sorted(g["GroupId"] for g in doc.get("SecurityGroups", []))
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        changed = [k for k in _WHILE_STOPPED if news.get(k) != old_inputs.get(k) and news.get(k) is not None]
        if not changed:
            return
        ec2 = self.client(news)
        ec2.stop_instances(InstanceIds=[id])
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[id], WaiterConfig=_WAIT)
        for key in changed:
            value = news[key].encode() if key == "userData" else news[key]
            ec2.modify_instance_attribute(InstanceId=id, **{_WHILE_STOPPED[key]: {"Value": value}})
        ec2.start_instances(InstanceIds=[id])
        ec2.get_waiter("instance_running").wait(InstanceIds=[id], WaiterConfig=_WAIT)


INSTANCE = AwsType(
    token="aws:ec2/instance:Instance",
    client="ec2",
    props=(
        Prop("ami", api="ImageId", read="ImageId", required=True, replace=True),
        Prop("instanceType", api="InstanceType", read="InstanceType", computed=True),
        Prop("subnetId", api="SubnetId", read="SubnetId", replace=True, computed=True),
        Prop("vpcSecurityGroupIds", api="SecurityGroupIds", kind="list", read="", computed=True),
        Prop("securityGroups", api="SecurityGroups", kind="list", read="", replace=True, computed=True),
        Prop("keyName", api="KeyName", read="KeyName", replace=True, computed=True),
        Prop("userData", api="UserData", read=""),
        Prop("userDataReplaceOnChange", kind="bool", default=False),
        Prop("associatePublicIpAddress", kind="bool", read="", replace=True, computed=True),
        Prop("iamInstanceProfile", api="IamInstanceProfile.Name", read="", replace=True),
        Prop("availabilityZone", api="Placement.AvailabilityZone", read="Placement.AvailabilityZone",
             replace=True, computed=True),
        Prop("tenancy", api="Placement.Tenancy", read="Placement.Tenancy", replace=True, computed=True),
        Prop("privateIp", api="PrivateIpAddress", read="PrivateIpAddress", replace=True, computed=True),
        Prop("sourceDestCheck", kind="bool", api="SourceDestCheck.Value", read="SourceDestCheck", default=True,
             on_create=False),
        Prop("disableApiTermination", kind="bool", api="DisableApiTermination", read="", computed=True),
        Prop("forceDestroy", kind="bool", default=False),
        Prop("arn", template=arn("instance")),
        Prop("instanceState", read="State.Name", output=True),
        Prop("publicIp", read="PublicIpAddress", output=True),
        Prop("publicDns", read="PublicDnsName", output=True),
        Prop("privateDns", read="PrivateDnsName", output=True),
        Prop("primaryNetworkInterfaceId", read="NetworkInterfaces[0].NetworkInterfaceId", output=True),
    ),
    create=Call("run_instances", id="Instances[0].InstanceId", waiter="instance_running",
                waiter_args={"InstanceIds": ["{id}"]}),
    read=(Call("describe_instances", {"InstanceIds": ["{id}"]}, result="Reservations[0].Instances[0]",
               absent=("InvalidInstanceID.NotFound",)),),
    updates=(
        Update(Call("modify_instance_attribute", {"InstanceId": "{id}"}), props=("vpcSecurityGroupIds",),
               paths={"vpcSecurityGroupIds": "Groups"}),
        Update(Call("modify_instance_attribute", {"InstanceId": "{id}"}), props=("sourceDestCheck",)),
        Update(Call("modify_instance_attribute", {"InstanceId": "{id}"}), props=("disableApiTermination",),
               paths={"disableApiTermination": "DisableApiTermination.Value"}),
    ),
    delete=Call("terminate_instances", {"InstanceIds": ["{id}"]}, absent=("InvalidInstanceID.NotFound",),
                waiter="instance_terminated", waiter_args={"InstanceIds": ["{id}"]}),
    tagging=ec2_tagging("instance"),
    impl=InstanceCode,
)

TYPES = (KEY_PAIR, INSTANCE)

"""EC2 Auto Scaling launch configurations (pulumi-aws keeps them in `aws.ec2`): immutable, so
every input replaces one (terraform-provider-aws `internal/service/autoscaling/launch_configuration.go`)."""

from __future__ import annotations

from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop

LAUNCH_CONFIGURATION = AwsType(
    token="aws:ec2/launchConfiguration:LaunchConfiguration",
    client="autoscaling",
    naming=Naming(max_len=255, charset=r"\x20-\x7e"),
    props=(
        Prop("name", api="LaunchConfigurationName", read="LaunchConfigurationName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("imageId", api="ImageId", read="ImageId", required=True, replace=True),
        Prop("instanceType", api="InstanceType", read="InstanceType", required=True, replace=True),
        Prop("iamInstanceProfile", api="IamInstanceProfile", read="IamInstanceProfile", replace=True),
        Prop("keyName", api="KeyName", read="KeyName", replace=True, computed=True),
        Prop("securityGroups", api="SecurityGroups", kind="list", read="SecurityGroups", replace=True),
        Prop("userData", api="UserData", read="", replace=True),
        Prop("associatePublicIpAddress", api="AssociatePublicIpAddress", kind="bool", read="", replace=True),
        Prop("enableMonitoring", api="InstanceMonitoring.Enabled", kind="bool", read="InstanceMonitoring.Enabled",
             default=True, replace=True),
        Prop("ebsOptimized", api="EbsOptimized", kind="bool", read="EbsOptimized", replace=True, computed=True),
        Prop("placementTenancy", api="PlacementTenancy", read="PlacementTenancy", replace=True),
        Prop("spotPrice", api="SpotPrice", read="SpotPrice", replace=True),
        Prop("arn", read="LaunchConfigurationARN", output=True),
    ),
    create=Call("create_launch_configuration"),
    read=(Call("describe_launch_configurations", {"LaunchConfigurationNames": ["{id}"]},
               result="LaunchConfigurations[0]"),),
    delete=Call("delete_launch_configuration", {"LaunchConfigurationName": "{id}"}, absent=("ValidationError",)),
    id="{inputs.name}",
)

TYPES = (LAUNCH_CONFIGURATION,)

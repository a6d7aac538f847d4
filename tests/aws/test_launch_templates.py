"""Launch templates and security group rules of their own through the engine, in one program:
a template whose update is a new version (made the default), and ingress/egress rules
changed in place with ModifySecurityGroupRules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
later = step != "create"

vpc = aws.ec2.Vpc("net", cidr_block="10.30.0.0/16")
web = aws.ec2.SecurityGroup("web", vpc_id=vpc.id, description="web")
other = aws.ec2.SecurityGroup("other", vpc_id=vpc.id, description="other")
template = aws.ec2.LaunchTemplate("workers", image_id="ami-12c6146b",
    name="case-workers" if step == "replace" else None,
    instance_type="t3.small" if later else "t3.micro", update_default_version=True,
    vpc_security_group_ids=[web.id], metadata_options={"http_tokens": "required"},
    tag_specifications=[{"resource_type": "instance", "tags": {"role": "worker"}}])
aws.vpc.SecurityGroupIngressRule("https", security_group_id=other.id if step == "replace" else web.id,
    ip_protocol="tcp", from_port=443, to_port=443 if later else 444, cidr_ipv4="10.0.0.0/8")
aws.vpc.SecurityGroupEgressRule("out", security_group_id=web.id, ip_protocol="-1",
    referenced_security_group_id=other.id, description="to other" if later else "other")

pulumi.export("templateId", template.id)
pulumi.export("latest", template.latest_version)
'''


def _new_version_behind_our_back(clients: Clients, outputs: dict[str, Any]) -> None:
    ec2 = clients("ec2")
    ec2.create_launch_template_version(LaunchTemplateId=outputs["templateId"],
                                       LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "m5.large"})


@pytest.mark.types
def test_launch_template_and_rules(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"workers": "update", "https": "update", "out": "update"},
        replaced={"workers": "replace", "https": "replace"},
        drift=_new_version_behind_our_back,
        drifted={"workers": "update"},
    ), tmp_path, endpoint)
    assert run.outputs("create")["latest"] == 1 and run.outputs("update")["latest"] == 2

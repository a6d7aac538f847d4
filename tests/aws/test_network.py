"""Networking through the engine, in one program (one harness run keeps the test fast): a
VPC with its subnets, gateways, routing and security groups, an instance from a looked-up
AMI, then load balancing, DNS and certificates in front of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PUBLIC_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKf1rmJ0bHJ0W4yOH0mY2aF4eI4mD7mVqkq0m1lC9b0x "
              "case@example.test")

PROGRAM = f'''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
later = step != "create"

ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"],
                      filters=[{{"name": "name", "values": ["al2023-ami-2023.*-x86_64"]}}])
ubuntu = aws.ec2.get_ami(most_recent=True, owners=["099720109477"],
                         filters=[{{"name": "name", "values": ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-*"]}}])
default_vpc = aws.ec2.get_vpc(default=True)
zones = aws.get_availability_zones(state="available")

vpc = aws.ec2.Vpc("net", cidr_block="10.20.0.0/16", enable_dns_hostnames=later,
                  tags={{"Name": "case-net"}})
public = aws.ec2.Subnet("public", vpc_id=vpc.id, cidr_block="10.20.1.0/24",
                        availability_zone=zones.names[0], map_public_ip_on_launch=later)
private = aws.ec2.Subnet("private", vpc_id=vpc.id, cidr_block="10.20.2.0/24",
                         availability_zone=zones.names[1])
gateway = aws.ec2.InternetGateway("gateway", vpc_id=vpc.id)
address = aws.ec2.Eip("nat-address", domain="vpc")
nat = aws.ec2.NatGateway("nat", subnet_id=public.id, allocation_id=address.id)
routes = aws.ec2.RouteTable("public-routes", vpc_id=vpc.id,
                            routes=[{{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}}])
private_routes = aws.ec2.RouteTable("private-routes", vpc_id=vpc.id)
aws.ec2.Route("private-default", route_table_id=private_routes.id, destination_cidr_block="0.0.0.0/0",
              nat_gateway_id=nat.id)
aws.ec2.RouteTableAssociation("public-assoc", subnet_id=public.id, route_table_id=routes.id)
aws.ec2.RouteTableAssociation("private-assoc", subnet_id=private.id,
                              route_table_id=routes.id if later else private_routes.id)
aws.ec2.MainRouteTableAssociation("main", vpc_id=vpc.id, route_table_id=private_routes.id)

web = aws.ec2.SecurityGroup("web", vpc_id=vpc.id,
    description="web servers" if step != "replace" else "web servers, replaced",
    ingress=[{{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]}}]
            + ([{{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"],
                  "description": "tls"}}] if later else []),
    egress=[{{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}}])
aws.ec2.SecurityGroup("bare", vpc_id=vpc.id)  # pulumi-aws's default description
aws.ec2.SecurityGroupRule("ssh", type="ingress", security_group_id=web.id, protocol="tcp",
                          from_port=22, to_port=22, cidr_blocks=["10.0.0.0/8"])
key = aws.ec2.KeyPair("deployer", public_key="{PUBLIC_KEY}")
server = aws.ec2.Instance("server", ami=ami.id, instance_type="t3.small" if later else "t3.micro",
                          subnet_id=public.id, vpc_security_group_ids=[web.id], key_name=key.key_name,
                          tags={{"Name": "case-server"}})

balancer = aws.lb.LoadBalancer("front", load_balancer_type="application", security_groups=[web.id],
                           subnets=[public.id, private.id], idle_timeout=60 if later else 30)
pool = aws.lb.TargetGroup("pool", port=80, protocol="HTTP", vpc_id=vpc.id, target_type="instance",
                          health_check={{"path": "/health", "interval": 15 if later else 30}})
aws.lb.TargetGroupAttachment("pool-server", target_group_arn=pool.arn, target_id=server.id, port=80)
listener = aws.lb.Listener("http", load_balancer_arn=balancer.arn, port=80,  # HTTP: the balancer is an ALB
                           default_actions=[{{"type": "forward", "target_group_arn": pool.arn}}])
aws.lb.ListenerRule("api", listener_arn=listener.arn, priority=10 if later else 20,
                    actions=[{{"type": "fixed-response", "fixed_response": {{
                        "content_type": "text/plain", "message_body": "api", "status_code": "200"}}}}],
                    conditions=[{{"path_pattern": {{"values": ["/api/*"]}}}}])

zone = aws.route53.Zone("zone", name="case.example.test", comment="case" if step == "create" else "case, v2")
aws.route53.Record("www", zone_id=zone.zone_id, name="www", type="A",
                   aliases=[{{"name": balancer.dns_name, "zone_id": balancer.zone_id,
                              "evaluate_target_health": True}}])
aws.route53.Record("txt", zone_id=zone.zone_id, name="info", type="TXT", ttl=300 if later else 60,
                   records=['"hello"'])
certificate = aws.acm.Certificate("cert", domain_name="www.case.example.test", validation_method="DNS")
option = certificate.domain_validation_options[0]
proof = aws.route53.Record("cert-proof", zone_id=zone.zone_id, name=option.resource_record_name,
                           type=option.resource_record_type, records=[option.resource_record_value], ttl=60)
validated = aws.acm.CertificateValidation("cert-validated", certificate_arn=certificate.arn,
                                          validation_record_fqdns=[proof.fqdn])
launch = aws.ec2.LaunchConfiguration("worker-launch", image_id=ami.id, instance_type="t3.micro",
                                     security_groups=[web.id])
aws.autoscaling.Group("workers", vpc_zone_identifiers=[private.id], launch_configuration=launch.name,
                      min_size=0, max_size=2 if later else 1, desired_capacity=0,
                      tags=[{{"key": "role", "value": "worker", "propagate_at_launch": True}}])

pulumi.export("certificate", validated.certificate_arn)
pulumi.export("vpcId", vpc.id)
pulumi.export("dnsName", balancer.dns_name)
pulumi.export("webId", web.id)
pulumi.export("serverId", server.id)
pulumi.export("privateIp", server.private_ip)
pulumi.export("natIp", nat.public_ip)
pulumi.export("defaultVpc", default_vpc.id)
pulumi.export("ubuntu", ubuntu.name)
'''


def _open_ssh_to_the_world(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("ec2").authorize_security_group_ingress(GroupId=outputs["webId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def test_networking(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"net": "update", "public": "update", "private-assoc": "update", "web": "update",
                 "server": "update", "front": "update", "pool": "update", "api": "update", "zone": "update",
                 "txt": "update", "workers": "update"},
        replaced={"web": "replace", "ssh": "replace", "server": "update", "front": "update",
                  "worker-launch": "replace", "workers": "update"},
        drift=_open_ssh_to_the_world,
        drifted={"web": "update"},
        lingering=(":instance/", ":natgateway/"),  # terminated and deleted ones stay listed a while
    ), tmp_path, endpoint)
    created = run.outputs("create")
    assert created["vpcId"].startswith("vpc-") and created["serverId"].startswith("i-")
    assert created["privateIp"].startswith("10.20.1.")
    assert created["defaultVpc"] != created["vpcId"]
    assert created["ubuntu"].startswith("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-")  # seeded
    assert created["dnsName"].endswith(".elb.amazonaws.com")
    assert created["certificate"].startswith("arn:aws:acm:")
    drift = {d.path: d for d in run.results["drift"].changes[0].diffs}
    assert any(path.startswith("ingress") for path in drift), drift

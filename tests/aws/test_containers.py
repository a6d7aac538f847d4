"""ECS and ECR through the engine: a cluster, a task definition and a service; a repository
with its lifecycle and access policies; the registry's login token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")


def rules(days):
    return json.dumps({"rules": [{"rulePriority": 1, "description": "expire", "selection": {
        "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days},
        "action": {"type": "expire"}}]})


repo = aws.ecr.Repository("images", image_tag_mutability="MUTABLE" if step == "create" else "IMMUTABLE",
                          force_delete=True)
aws.ecr.LifecyclePolicy("images-expiry", repository=repo.name, policy=rules(14 if step == "create" else 7))
aws.ecr.RepositoryPolicy("images-pull", repository=repo.name, policy=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": "*",
                                            "Action": ["ecr:BatchGetImage"]}]}))
cluster = aws.ecs.Cluster("apps", tags={"team": "core"})
task = aws.ecs.TaskDefinition(
    "web", family="web", cpu="512" if step == "replace" else "256", memory="512", network_mode="awsvpc",
    requires_compatibilities=["FARGATE"],
    container_definitions=repo.repository_url.apply(lambda url: json.dumps([{
        "name": "web", "image": url + ":latest", "portMappings": [{"containerPort": 80}]}])))
service = aws.ecs.Service("web-svc", cluster=cluster.arn, task_definition=task.arn, launch_type="FARGATE",
                          desired_count=1 if step == "create" else 2)
login = aws.ecr.get_authorization_token_output()
pulumi.export("repository", repo.name)
pulumi.export("url", repo.repository_url)
pulumi.export("cluster", cluster.arn)
pulumi.export("service", service.name)
pulumi.export("revision", task.revision)
pulumi.export("login", login.user_name)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("ecs").update_service(cluster=outputs["cluster"], service=outputs["service"], desiredCount=5)
    clients("ecr").put_image_tag_mutability(repositoryName=outputs["repository"], imageTagMutability="MUTABLE")


@pytest.mark.types
def test_containers(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"images": "update", "images-expiry": "update", "web-svc": "update"},
        replaced={"web": "replace", "web-svc": "update"},
        drift=_hand_edit,
        drifted={"web-svc": "update", "images": "update"},
        lingering=(":cluster/", ":service/", ":task-definition/"),
    ), tmp_path, endpoint)
    created = run.outputs("create")
    assert created["url"].endswith("/" + created["repository"]) and created["login"] == "AWS"
    assert run.outputs("replace")["revision"] == created["revision"] + 1


CAPACITY = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")

ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"],
                      filters=[{"name": "name", "values": ["amzn2-ami-ecs-hvm-*"]}])
launch = aws.ec2.LaunchConfiguration("hosts-launch", image_id=ami.id, instance_type="t3.micro")
groups = [aws.autoscaling.Group(f"hosts-{zone}", availability_zones=[f"us-east-1{zone}"], min_size=0, max_size=2,
                                launch_configuration=launch.name) for zone in ("a", "b")]
scaling = {"status": "DISABLED"} if step == "create" else {"status": "ENABLED", "target_capacity": 80}
hosts = aws.ecs.CapacityProvider("hosts", tags={"tier": "ec2"}, auto_scaling_group_provider={
    "auto_scaling_group_arn": groups[1 if step == "replace" else 0].arn,
    "managed_termination_protection": "DISABLED", "managed_scaling": scaling})
cluster = aws.ecs.Cluster("hosts-cluster")
aws.ecs.ClusterCapacityProviders("hosts-providers", cluster_name=cluster.name, capacity_providers=[hosts.name],
                                 default_capacity_provider_strategies=[{
                                     "capacity_provider": hosts.name, "weight": 1 if step == "create" else 2}])
pulumi.export("provider", hosts.arn)
pulumi.export("cluster", cluster.name)
'''


def _hand_scaled(clients: Clients, outputs: dict[str, Any]) -> None:
    ecs = clients("ecs")
    ecs.update_capacity_provider(name=outputs["provider"].rpartition("/")[2],
                                 autoScalingGroupProvider={"managedScaling": {"targetCapacity": 50}})
    ecs.put_cluster_capacity_providers(cluster=outputs["cluster"], capacityProviders=[],
                                       defaultCapacityProviderStrategy=[])


@pytest.mark.types
def test_capacity_providers(tmp_path: Path, endpoint: str) -> None:
    run_type_case(TypeCase(
        program=CAPACITY,
        updated={"hosts": "update", "hosts-providers": "update"},
        # A new capacity provider for the other group, with a new name the cluster then uses.
        replaced={"hosts": "replace", "hosts-providers": "update"},
        drift=_hand_scaled,
        drifted={"hosts": "update", "hosts-providers": "update"},
        lingering=(":cluster/",),
    ), tmp_path, endpoint)

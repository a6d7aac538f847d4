"""A quick life of the types whose whole engine cases run under `make test-types`: ECS (with
capacity providers), ECR, Secrets Manager, Step Functions, SNS subscriptions, SQS queue
policies, API Gateway v1 and v2, RDS, KMS, VPC endpoints, Redshift and Glue, each through its
provider against moto: create, read back unchanged, an in-place update read back, a
replace-on-change property seen as such, delete, read as gone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orchestrator.engines.local.providers.base import ProviderContext, ProviderError
from tests.support.providers import provider

Boto = Callable[[str], Any]


def _life(ctx: ProviderContext, token: str, name: str, inputs: dict[str, Any], change: dict[str, Any],
          replace_on: dict[str, Any], *, gone: bool = True) -> dict[str, Any]:
    """Create, read back, update `change` in place, see `replace_on` force a replace, delete
    (after which it reads as gone, unless `gone` is False: AWS keeps it)."""
    found = provider(token, ctx)
    urn = f"urn:pulumi:dev::proj::{token}::{name}"
    checked = found.check(urn, name, None, inputs)
    id_, outputs = found.create(urn, checked)
    live = found.read(urn, id_, checked, outputs)
    assert live is not None and live.outputs == outputs, f"{token}: read back differs from what create reported"
    news = found.check(urn, name, checked, {**inputs, **change})
    diff = found.diff(urn, id_, checked, outputs, news)
    assert diff.changed and not diff.replace, f"{token}: {diff}"
    updated = found.update(urn, id_, checked, outputs, news)
    live = found.read(urn, id_, news, updated)
    assert live is not None and live.outputs == updated
    assert all(updated.get(k) == v for k, v in found.check(urn, name, news, {**inputs, **change}).items()
               if k in change), f"{token}: the update did not take: {updated}"
    other = found.check(urn, name, news, {**inputs, **change, **replace_on})
    assert found.diff(urn, id_, news, updated, other).replace, f"{token}: {sorted(replace_on)} must replace it"
    found.delete(urn, id_, news, updated)
    after = found.read(urn, id_, news, updated)
    assert (after is None) == gone, f"{token}: after delete: {after}"
    return after.outputs if after is not None else updated


def test_secret_and_its_version(ctx: ProviderContext) -> None:
    secret = _life(ctx, "aws:secretsmanager/secret:Secret", "creds",
                   {"description": "one", "recoveryWindowInDays": 0.0}, {"description": "two"}, {"name": "other"})
    assert secret["arn"].startswith("arn:aws:secretsmanager:us-east-1:")
    holder = provider("aws:secretsmanager/secret:Secret", ctx)
    inputs = holder.check("urn", "holder", None, {"recoveryWindowInDays": 0.0})
    id_, _ = holder.create("urn", inputs)
    version = _life(ctx, "aws:secretsmanager/secretVersion:SecretVersion", "value",
                    {"secretId": id_, "secretString": "s3cr3t"}, {"versionStages": ["AWSCURRENT", "blue"]},
                    {"secretString": "other"}, gone=False)
    # The current version stays with its secret; deleting it took its other stages off.
    assert version["secretString"] == "s3cr3t" and version["versionStages"] == ["AWSCURRENT"]


def test_state_machine_subscription_and_queue_policy(ctx: ProviderContext, boto: Boto) -> None:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = _life(ctx, "aws:sfn/stateMachine:StateMachine", "flow",
                    {"roleArn": "arn:aws:iam::123456789012:role/flow", "definition": json.dumps(definition)},
                    {"definition": json.dumps({**definition, "Comment": "v2"})}, {"type": "EXPRESS"})
    assert machine["status"] == "ACTIVE"
    topic = boto("sns").create_topic(Name="events")["TopicArn"]
    queue = boto("sqs").create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = boto("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    _life(ctx, "aws:sns/topicSubscription:TopicSubscription", "sub",
          {"topic": topic, "protocol": "sqs", "endpoint": queue_arn}, {"rawMessageDelivery": True},
          {"protocol": "email"})

    def policy(sid: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": queue_arn}]})

    _life(ctx, "aws:sqs/queuePolicy:QueuePolicy", "policy", {"queueUrl": queue, "policy": policy("a")},
          {"policy": policy("b")}, {"queueUrl": queue + "-other"})


def test_rest_and_http_apis(ctx: ProviderContext) -> None:
    rest = provider("aws:apigateway/restApi:RestApi", ctx)
    api_inputs = rest.check("urn", "rest", None, {})
    api_id, api = rest.create("urn", api_inputs)
    assert api["rootResourceId"] and api["executionArn"].endswith(f":{api_id}")
    _life(ctx, "aws:apigateway/restApi:RestApi", "rest2", {"description": "one"}, {"description": "two"},
          {"region": "us-west-2"})
    on_root = {"restApi": api_id, "resourceId": api["rootResourceId"], "httpMethod": "GET"}
    for token, inputs in (("aws:apigateway/method:Method", {**on_root, "authorization": "NONE"}),
                          ("aws:apigateway/integration:Integration", {**on_root, "type": "MOCK"})):
        made = provider(token, ctx)  # moto cannot update these in place: create and read back only
        checked = made.check("urn", "m", None, inputs)
        made_id, made_outputs = made.create("urn", checked)
        assert made.read("urn", made_id, checked, made_outputs).outputs == made_outputs  # type: ignore[union-attr]
    deployment = provider("aws:apigateway/deployment:Deployment", ctx)
    dep_inputs = deployment.check("urn", "dep", None, {"restApi": api_id})
    dep_id, _ = deployment.create("urn", dep_inputs)
    stage = _life(ctx, "aws:apigateway/stage:Stage", "stage",
                  {"restApi": api_id, "deployment": dep_id, "stageName": "dev", "variables": {"v": "1"}},
                  {"variables": {"v": "2"}}, {"stageName": "prod"})
    assert stage["invokeUrl"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/dev"
    http = _life(ctx, "aws:apigatewayv2/api:Api", "http", {"protocolType": "HTTP", "description": "one"},
                 {"description": "two"}, {"protocolType": "WEBSOCKET"})
    assert http["apiEndpoint"]


def test_database_instance_and_key(ctx: ProviderContext) -> None:
    instance = _life(ctx, "aws:rds/instance:Instance", "db",
                     {"engine": "postgres", "instanceClass": "db.t3.micro", "allocatedStorage": 20.0,
                      "username": "admin", "password": "s3cr3t-passw0rd", "skipFinalSnapshot": True,
                      "applyImmediately": True},
                     {"backupRetentionPeriod": 3.0}, {"dbName": "other"})
    assert instance["endpoint"].endswith(":5432") and "password" not in json.dumps(
        {k: v for k, v in instance.items() if k != "password"})
    cluster = _life(ctx, "aws:rds/cluster:Cluster", "aurora",
                    {"engine": "aurora-postgresql", "masterUsername": "admin", "masterPassword": "s3cr3t-passw0rd",
                     "skipFinalSnapshot": True, "applyImmediately": True},
                    {"backupRetentionPeriod": 5.0}, {"databaseName": "other"})
    assert cluster["endpoint"] and cluster["arn"].endswith(":cluster:" + cluster["clusterIdentifier"])
    key = _life(ctx, "aws:kms/key:Key", "key", {"description": "one", "deletionWindowInDays": 7.0},
                {"enableKeyRotation": True}, {"keyUsage": "SIGN_VERIFY"})
    assert key["enableKeyRotation"] is True


def test_a_database_without_a_final_snapshot_plan_is_refused_at_check(ctx: ProviderContext) -> None:
    from orchestrator.engines.local.providers.base import ProviderError

    with pytest.raises(ProviderError, match="set `finalSnapshotIdentifier`, or `skipFinalSnapshot`"):
        provider("aws:rds/instance:Instance", ctx).check("urn", "db", None, {
            "engine": "postgres", "instanceClass": "db.t3.micro"})


def test_repository_cluster_task_definition_and_service(ctx: ProviderContext) -> None:
    repo = _life(ctx, "aws:ecr/repository:Repository", "images", {"forceDelete": True},
                 {"imageTagMutability": "IMMUTABLE"}, {"name": "other"})
    assert repo["repositoryUrl"].endswith("/" + repo["name"]) and repo["name"].startswith("images-")
    cluster = provider("aws:ecs/cluster:Cluster", ctx)
    cluster_inputs = cluster.check("urn", "apps", None, {})
    cluster_arn, _ = cluster.create("urn", cluster_inputs)
    task = provider("aws:ecs/taskDefinition:TaskDefinition", ctx)
    task_inputs = task.check("urn", "web", None, {
        "family": "web", "containerDefinitions": json.dumps([{"name": "web", "image": "nginx", "memory": 128.0}])})
    task_arn, task_outputs = task.create("urn", task_inputs)
    assert task_outputs["revision"] == 1 and task_outputs["arnWithoutRevision"].endswith(":task-definition/web")
    service = _life(ctx, "aws:ecs/service:Service", "web",
                    {"cluster": cluster_arn, "taskDefinition": task_arn, "desiredCount": 1.0},
                    {"desiredCount": 2.0}, {"launchType": "FARGATE"})
    assert service["arn"].startswith("arn:aws:ecs:us-east-1:")
    task.delete("urn", task_arn, task_inputs, task_outputs)
    assert task.read("urn", task_arn, task_inputs, task_outputs) is None  # INACTIVE reads as gone
    cluster.delete("urn", cluster_arn, cluster_inputs, {})


def test_a_refused_task_definition_deregister_is_an_error_not_already_gone(
        ctx: ProviderContext, boto: Boto, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.ecs.exceptions import EcsClientException
    from moto.ecs.models import EC2ContainerServiceBackend

    task = provider("aws:ecs/taskDefinition:TaskDefinition", ctx)
    inputs = task.check("urn", "api", None, {
        "family": "api", "containerDefinitions": json.dumps([{"name": "api", "image": "nginx", "memory": 128.0}])})
    arn, outputs = task.create("urn", inputs)

    def refuse(self: Any, task_definition: str) -> Any:  # stand-in for an ECS refusal (same ClientException code)
        raise EcsClientException("User is not authorized to perform: ecs:DeregisterTaskDefinition")

    with monkeypatch.context() as patched:
        patched.setattr(EC2ContainerServiceBackend, "deregister_task_definition", refuse)
        with pytest.raises(ProviderError, match="not authorized"):
            task.delete("urn", arn, inputs, outputs)
    assert task.read("urn", arn, inputs, outputs) is not None  # still registered: not skipped as gone
    boto("ecs").deregister_task_definition(taskDefinition=arn)  # deregistered by hand: already gone
    task.delete("urn", arn, inputs, outputs)
    assert task.read("urn", arn, inputs, outputs) is None


def _scaling_group(boto: Boto, name: str) -> str:
    """An Auto Scaling group made by hand: what a capacity provider scales."""
    autoscaling = boto("autoscaling")
    autoscaling.create_launch_configuration(LaunchConfigurationName=name, ImageId="ami-12c6146b",
                                            InstanceType="t3.micro")
    autoscaling.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName=name, MinSize=0,
                                          MaxSize=1, AvailabilityZones=["us-east-1a"])
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return str(group["AutoScalingGroupARN"])


def test_capacity_provider_and_a_cluster_using_it(ctx: ProviderContext, boto: Boto) -> None:
    first, second = _scaling_group(boto, "hosts-a"), _scaling_group(boto, "hosts-b")
    block = {"autoScalingGroupArn": first, "managedTerminationProtection": "DISABLED"}
    scaling = {"status": "ENABLED", "targetCapacity": 75.0, "instanceWarmupPeriod": 60.0,
               "minimumScalingStepSize": 1.0, "maximumScalingStepSize": 5.0}
    hosts = provider("aws:ecs/capacityProvider:CapacityProvider", ctx)
    # What the program leaves out is what AWS chose: managed draining on, scaling off.
    _, chosen = hosts.create("urn", hosts.check("urn", "spare", None, {"autoScalingGroupProvider": block}))
    assert chosen["autoScalingGroupProvider"]["managedDraining"] == "ENABLED"
    assert chosen["autoScalingGroupProvider"]["managedScaling"]["status"] == "DISABLED"
    capacity = _life(ctx, "aws:ecs/capacityProvider:CapacityProvider", "hosts",
                     {"autoScalingGroupProvider": block},
                     {"autoScalingGroupProvider": {**block, "managedDraining": "DISABLED", "managedScaling": scaling}},
                     {"autoScalingGroupProvider": {**block, "autoScalingGroupArn": second}})
    assert capacity["arn"].endswith(":capacity-provider/" + capacity["name"])
    with pytest.raises(ClientError, match="does not exist") as refused:  # AWS's answer for one it does not know
        boto("ecs").delete_capacity_provider(capacityProvider=capacity["arn"])
    assert refused.value.response["Error"]["Code"] == "ClientException"

    boto("ecs").create_cluster(clusterName="hosts")
    token = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
    left = _life(ctx, token, "hosts",
                 {"clusterName": "hosts", "capacityProviders": [chosen["name"], "FARGATE"],
                  "defaultCapacityProviderStrategies": [{"capacityProvider": chosen["name"], "weight": 1.0}]},
                 {"defaultCapacityProviderStrategies": [{"capacityProvider": chosen["name"], "weight": 3.0,
                                                         "base": 1.0}]},
                 {"clusterName": "other"}, gone=False)
    # Deleting them leaves the cluster, with no capacity providers.
    assert left["capacityProviders"] == [] and left["defaultCapacityProviderStrategies"] == []
    # As in AWS, a capacity provider an active cluster lists cannot be deleted; once the cluster is, it can.
    boto("ecs").put_cluster_capacity_providers(cluster="hosts", capacityProviders=[chosen["name"]],
                                               defaultCapacityProviderStrategy=[])
    with pytest.raises(ProviderError, match="associated with cluster hosts"):
        hosts.delete("urn", chosen["arn"], {}, chosen)
    boto("ecs").delete_cluster(cluster="hosts")
    hosts.delete("urn", chosen["arn"], {}, chosen)
    assert hosts.read("urn", chosen["arn"], {}, chosen) is None
    # The capacity providers are a set: another order is no change.
    cluster = provider(token, ctx)
    given = cluster.check("urn", "hosts", None, {"clusterName": "hosts", "capacityProviders": ["b", "a"]})
    again = cluster.check("urn", "hosts", given, {"clusterName": "hosts", "capacityProviders": ["a", "b"]})
    assert not cluster.diff("urn", "hosts", given, {}, again).changed


def _network(boto: Boto) -> tuple[str, list[str], list[str]]:
    """A VPC with two subnets and two route tables, made by hand."""
    ec2 = boto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    tables = [ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in (1, 2)]
    return vpc, subnets, tables


def test_vpc_endpoint_and_redshift(ctx: ProviderContext, boto: Boto) -> None:
    vpc, subnets, tables = _network(boto)
    endpoint = _life(ctx, "aws:ec2/vpcEndpoint:VpcEndpoint", "s3",
                     {"vpcId": vpc, "serviceName": "com.amazonaws.us-east-1.s3", "routeTableIds": tables[:1]},
                     {"routeTableIds": tables}, {"serviceName": "com.amazonaws.us-east-1.dynamodb"})
    assert endpoint["routeTableIds"] == tables and endpoint["vpcEndpointType"] == "Gateway"
    interface = provider("aws:ec2/vpcEndpoint:VpcEndpoint", ctx)
    inputs = interface.check("urn", "sqs", None, {"vpcId": vpc, "serviceName": "com.amazonaws.us-east-1.sqs",
                                                  "vpcEndpointType": "Interface", "subnetIds": subnets[:1]})
    id_, outputs = interface.create("urn", inputs)
    assert len(outputs["networkInterfaceIds"]) == 1 and outputs["dnsEntries"][0]["dnsName"]
    interface.delete("urn", id_, inputs, outputs)
    assert interface.read("urn", id_, inputs, outputs) is None
    group = _life(ctx, "aws:redshift/subnetGroup:SubnetGroup", "warehouse", {"subnetIds": subnets[:1]},
                  {"description": "two", "subnetIds": subnets}, {"name": "other"})
    assert group["arn"].endswith(":subnetgroup:" + group["name"])
    role = boto("iam").create_role(RoleName="warehouse", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    cluster = _life(ctx, "aws:redshift/cluster:Cluster", "warehouse",
                    {"clusterIdentifier": "warehouse", "nodeType": "dc2.large", "masterUsername": "admin",
                     "masterPassword": "S3cr3t-passw0rd", "skipFinalSnapshot": True, "publiclyAccessible": False},
                    {"automatedSnapshotRetentionPeriod": 5.0, "iamRoles": [role], "publiclyAccessible": True,
                     "nodeType": "ra3.xlplus", "clusterType": "multi-node", "numberOfNodes": 2.0},
                    {"masterUsername": "other"})
    assert cluster["endpoint"].endswith(":5439") and cluster["clusterType"] == "multi-node"
    assert "S3cr3t" not in json.dumps({k: v for k, v in cluster.items() if k != "masterPassword"})


def test_glue_catalog_connection_crawler_job_and_trigger(ctx: ProviderContext, boto: Boto) -> None:
    role = "arn:aws:iam::123456789012:role/glue"
    database = _life(ctx, "aws:glue/catalogDatabase:CatalogDatabase", "sales", {"name": "sales"},
                     {"description": "two"}, {"name": "other"})
    assert database["arn"].endswith(":database/sales") and database["catalogId"] == "123456789012"
    connection = _life(ctx, "aws:glue/connection:Connection", "jdbc",
                       {"connectionProperties": {"JDBC_CONNECTION_URL": "jdbc:redshift://h:5439/db",
                                                 "USERNAME": "u", "PASSWORD": "p"},
                        "physicalConnectionRequirements": {"availabilityZone": "us-east-1a", "subnetId": "s-1"}},
                       {"description": "two"}, {"name": "other"})
    assert connection["id"] == f"123456789012:{connection['name']}" and connection["connectionType"] == "JDBC"
    crawler = _life(ctx, "aws:glue/crawler:Crawler", "crawl",
                    {"databaseName": "sales", "role": role, "s3Targets": [{"path": "s3://raw"}]},
                    {"schedule": "cron(0/15 * * * ? *)"}, {"name": "other"})
    assert crawler["s3Targets"] == [{"path": "s3://raw"}]
    job = _life(ctx, "aws:glue/job:Job", "etl", {"roleArn": role, "command": {"scriptLocation": "s3://code/j.py"}},
                {"defaultArguments": {"--day": "1"}, "numberOfWorkers": 2.0, "workerType": "G.1X"},
                {"name": "other"})
    assert job["command"]["name"] == "glueetl"
    trigger = _life(ctx, "aws:glue/trigger:Trigger", "every",
                    {"type": "SCHEDULED", "schedule": "cron(0 * * * ? *)", "actions": [{"jobName": job["name"]}]},
                    {"schedule": "cron(5 * * * ? *)"}, {"type": "ON_DEMAND"})
    assert trigger["enabled"] is True and trigger["state"] == "ACTIVATED"
    # A deleted object's tags went with it (the provider tagged each with the stack's default tags).
    assert boto("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=["glue"])["ResourceTagMappingList"] == []


def test_the_glue_and_redshift_stand_ins_answer_a_missing_object_as_aws_does(boto: Boto) -> None:
    """The sandbox's stand-ins for the calls moto lacks fail on an unknown object with the
    error code the AWS API reference gives."""
    glue, redshift = boto("glue"), boto("redshift")
    refusals = (
        ("EntityNotFoundException", lambda: glue.delete_connection(ConnectionName="nowhere")),
        ("EntityNotFoundException", lambda: glue.update_connection(
            Name="nowhere", ConnectionInput={"Name": "nowhere", "ConnectionType": "JDBC", "ConnectionProperties": {}})),
        ("EntityNotFoundException", lambda: glue.update_crawler(Name="nowhere", Schedule="cron(0 * * * ? *)")),
        ("EntityNotFoundException", lambda: glue.update_job(
            JobName="nowhere", JobUpdate={"Role": "r", "Command": {"Name": "glueetl"}})),
        ("EntityNotFoundException", lambda: glue.update_trigger(Name="nowhere", TriggerUpdate={"Actions": []})),
        ("ClusterSubnetGroupNotFoundFault", lambda: redshift.modify_cluster_subnet_group(
            ClusterSubnetGroupName="nowhere", SubnetIds=["subnet-1"])),
        ("ClusterNotFound", lambda: redshift.modify_cluster_iam_roles(ClusterIdentifier="nowhere")),
    )
    for code, call in refusals:
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == code


def test_launch_template_versions(ctx: ProviderContext, boto: Boto) -> None:
    vpc, subnets, _ = _network(boto)
    group = boto("ec2").create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    template = _life(ctx, "aws:ec2/launchTemplate:LaunchTemplate", "web",
                     {"imageId": "ami-12c6146b", "instanceType": "t3.micro", "userData": "ZWNobyBoaQ==",
                      "vpcSecurityGroupIds": [group], "tags": {"team": "web"},
                      "tagSpecifications": [{"resourceType": "instance", "tags": {"role": "web"}}],
                      "blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                               "ebs": {"volumeSize": 20.0, "deleteOnTermination": "true"}}],
                      "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2.0},
                      "monitoring": {"enabled": True}},
                     {"instanceType": "t3.small", "description": "bigger", "updateDefaultVersion": True,
                      "networkInterfaces": [{"deviceIndex": 0.0, "subnetId": subnets[0],
                                             "associatePublicIpAddress": "true"}]},
                     {"name": "other"})
    # The update is a second version, made the default as asked; the first is kept.
    assert template["latestVersion"] == 2 and template["defaultVersion"] == 2
    assert template["arn"].endswith(":launch-template/" + template["id"]) and template["tags"] == {"team": "web"}
    assert template["tagSpecifications"] == [{"resourceType": "instance", "tags": {"role": "web"}}]
    assert template["blockDeviceMappings"][0]["ebs"] == {"volumeSize": 20, "deleteOnTermination": "true"}
    kept = provider("aws:ec2/launchTemplate:LaunchTemplate", ctx)
    inputs = kept.check("urn", "kept", None, {"imageId": "ami-12c6146b", "instanceType": "t3.micro"})
    id_, outputs = kept.create("urn", inputs)
    news = kept.check("urn", "kept", inputs, {**inputs, "instanceType": "t3.large"})
    updated = kept.update("urn", id_, inputs, outputs, news)
    # Without updateDefaultVersion the new version is only the latest.
    assert (updated["latestVersion"], updated["defaultVersion"], updated["instanceType"]) == (2, 1, "t3.large")
    kept.delete("urn", id_, news, updated)
    with pytest.raises(ProviderError, match="sshKeys"):
        kept.check("urn", "bad", None, {"imageId": "ami-12c6146b", "sshKeys": "x"})


def test_security_group_ingress_and_egress_rules(ctx: ProviderContext, boto: Boto) -> None:
    vpc, _, _ = _network(boto)
    ec2 = boto("ec2")
    group = ec2.create_security_group(GroupName="rules", Description="rules", VpcId=vpc)["GroupId"]
    other = ec2.create_security_group(GroupName="other", Description="other", VpcId=vpc)["GroupId"]
    ingress = _life(ctx, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "web",
                    {"securityGroupId": group, "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0,
                     "cidrIpv4": "10.0.0.0/8", "description": "web", "tags": {"team": "web"}},
                    {"fromPort": 443.0, "toPort": 443.0, "cidrIpv4": "10.1.0.0/16", "description": "tls"},
                    {"securityGroupId": other})
    assert ingress["securityGroupRuleId"] == ingress["id"] and ingress["arn"].endswith(":security-group-rule/"
                                                                                        + ingress["id"])
    # Modified in place, the rule kept its id; after the delete the group has no such permission.
    assert (ingress["fromPort"], ingress["cidrIpv4"], ingress["tags"]) == (443, "10.1.0.0/16", {"team": "web"})
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"] == []
    egress = _life(ctx, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "out",
                   {"securityGroupId": group, "ipProtocol": "-1", "referencedSecurityGroupId": other},
                   {"ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0}, {"securityGroupId": other})
    assert egress["referencedSecurityGroupId"] == other and egress["ipProtocol"] == "tcp"
    rule = provider("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", ctx)
    with pytest.raises(ProviderError, match="exactly one of cidrIpv4"):
        rule.check("urn", "two", None, {"securityGroupId": group, "ipProtocol": "-1",
                                        "cidrIpv4": "10.0.0.0/8", "cidrIpv6": "::/0"})

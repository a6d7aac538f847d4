"""ECS: clusters, task definitions, services and capacity providers. Names, defaults and
ForceNew as pulumi-aws `aws.ecs.Cluster`, `TaskDefinition`, `Service`, `CapacityProvider` and
`ClusterCapacityProviders` (terraform-provider-aws `internal/service/ecs/{cluster,
task_definition,service,capacity_provider,cluster_capacity_providers}.go`).

ECS answers a describe of a deleted object with `status: INACTIVE` (or nothing), which is
"gone" here. A task definition revision is immutable: every input but tags replaces it, and
its inputs are kept as written (AWS fills in container defaults that the program never set).
A service is scaled to zero and deleted with `force`; it is not waited on to reach a steady
state (no tasks run in the sandbox).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.convert import to_api
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.put_again import PutAgain
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.values import get_path
from orchestrator.engines.local.providers.inputs import integral

_INACTIVE = ("status", ("INACTIVE", "DRAINING"))
_ENABLED = (("ENABLED", True), ("DISABLED", False))
_NAME = Naming(prefix=None, pattern=r"[A-Za-z0-9_-]{1,255}", rule="up to 255 letters, digits, hyphens and underscores")


def _tagging(arn: str) -> Tagging:
    return Tagging(
        keys=("key", "value"), on_create="tags", in_doc="tags",
        tag=Call("tag_resource", {"resourceArn": arn, "tags": "{tags}"}),
        untag=Call("untag_resource", {"resourceArn": arn, "tagKeys": "{keys}"}),
    )


class InactiveIsGone(DeclaredResource):
    """ECS keeps deleted clusters, services and task definitions around as INACTIVE (each
    first read call says so with `gone=_INACTIVE`); blocks are passed through as written."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        # Blocks passed through as written: the SDK sends their numbers as floats.
        return {k: integral(v) if k in self._passed_through else v for k, v in news.items()}

    @property
    def _passed_through(self) -> set[str]:
        return {p.name for p in self.spec.inputs if p.kind == "any"}


CLUSTER = AwsType(
    token="aws:ecs/cluster:Cluster",
    client="ecs",
    naming=_NAME,
    props=(
        Prop("name", api="clusterName", read="clusterName", replace=True),
        Prop("settings", kind="list", api="settings", computed=True, set_key="name", props=(
            Prop("name", api="name"),
            Prop("value", api="value"),
        )),
        Prop("arn", read="clusterArn", output=True),
    ),
    create=Call("create_cluster", id="cluster.clusterArn"),
    read=(Call("describe_clusters", {"clusters": ["{id}"], "include": ["SETTINGS", "TAGS"]}, result="clusters[0]",
               absent=("ClusterNotFoundException",), gone=_INACTIVE),),
    updates=(Update(Call("update_cluster_settings", {"cluster": "{id}"}), props=("settings",)),),
    delete=Call("delete_cluster", {"cluster": "{id}"}, absent=("ClusterNotFoundException",)),
    tagging=_tagging("{id}"),
    impl=InactiveIsGone,
)


class TaskDefinitionCode(InactiveIsGone):
    """ECS answers a deregister of a missing revision and its other refusals with the same
    ClientException, so "already gone" is what a read says, not the deregister's error."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        definitions = json.loads(str(inputs["containerDefinitions"]))  # JSON text in pulumi-aws, a list in ECS
        return {"containerDefinitions": integral(definitions)}

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        arn = str(outputs.get("arn", ""))
        outputs["arnWithoutRevision"] = arn.rpartition(":")[0]
        return outputs

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if inputs.get("skipDestroy"):  # keeps the revision registered, as pulumi-aws
            return
        if self.read(urn, id, inputs, outputs) is not None:
            super().delete(urn, id, inputs, outputs)


def _kept(name: str, kind: Any = "str", **more: Any) -> Prop:
    """A task definition input: sent when registering, kept as written (the revision cannot change)."""
    return Prop(name, api=name, read="", kind=kind, replace=True, **more)


TASK_DEFINITION = AwsType(
    token="aws:ecs/taskDefinition:TaskDefinition",
    client="ecs",
    props=(
        _kept("family", required=True),
        _kept("containerDefinitions", "json", required=True),
        _kept("cpu"),
        _kept("memory"),
        _kept("networkMode", computed=True),
        _kept("requiresCompatibilities", "list"),
        _kept("executionRoleArn"),
        _kept("taskRoleArn"),
        _kept("ipcMode"),
        _kept("pidMode"),
        _kept("volumes", "any"),
        _kept("placementConstraints", "any"),
        _kept("runtimePlatform", "any"),
        _kept("ephemeralStorage", "any"),
        Prop("skipDestroy", kind="bool"),
        Prop("trackLatest", kind="bool"),
        Prop("arn", read="taskDefinitionArn", output=True),
        Prop("revision", read="revision", kind="int", output=True),
        Prop("arnWithoutRevision", output=True),
    ),
    create=Call("register_task_definition", id="taskDefinition.taskDefinitionArn"),
    read=(Call("describe_task_definition", {"taskDefinition": "{id}", "include": ["TAGS"]}, result="taskDefinition",
               absent=("ClientException", "ClientError"), gone=_INACTIVE),
          Call("describe_task_definition", {"taskDefinition": "{id}", "include": ["TAGS"]}, result="tags",
               into="tags")),
    delete=Call("deregister_task_definition", {"taskDefinition": "{id}"}),
    tagging=_tagging("{id}"),
    impl=TaskDefinitionCode,
)


class ServiceCode(InactiveIsGone):
    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        # A task definition given as `family` or `family:revision` reads back as its ARN.
        given, live = inputs.get("taskDefinition"), outputs.get("taskDefinition")
        if isinstance(given, str) and isinstance(live, str) and given != live and (
            live.endswith(f"task-definition/{given}") or live.rpartition(":")[0].endswith(f"task-definition/{given}")
        ):
            outputs["taskDefinition"] = given
        if not get_path(doc, "networkConfiguration.awsvpcConfiguration"):
            outputs.pop("networkConfiguration", None)
        outputs["arn"] = outputs["id"]
        return outputs

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if self.read(urn, id, inputs, outputs) is None:
            return
        with self.errors(id, inputs):
            ecs = self.client(inputs)
            where = {"cluster": inputs["cluster"]} if inputs.get("cluster") else {}
            ecs.update_service(**where, service=id, desiredCount=0)
            ecs.delete_service(**where, service=id, force=True)


_SERVICE_MUTABLE = ("taskDefinition", "desiredCount", "networkConfiguration", "loadBalancers",
                    "deploymentMaximumPercent", "deploymentMinimumHealthyPercent", "healthCheckGracePeriodSeconds",
                    "enableExecuteCommand", "platformVersion", "propagateTags", "enableEcsManagedTags",
                    "capacityProviderStrategies", "deploymentCircuitBreaker", "serviceRegistries")

SERVICE = AwsType(
    token="aws:ecs/service:Service",
    client="ecs",
    naming=_NAME,
    props=(
        Prop("name", api="serviceName", read="serviceName", replace=True),
        Prop("cluster", api="cluster", read="", replace=True, computed=True),
        Prop("taskDefinition", api="taskDefinition", read="taskDefinition"),
        Prop("desiredCount", api="desiredCount", read="desiredCount", kind="int", default=1),
        Prop("launchType", api="launchType", read="launchType", replace=True, computed=True),
        Prop("schedulingStrategy", api="schedulingStrategy", read="schedulingStrategy", replace=True,
             default="REPLICA"),
        Prop("networkConfiguration", kind="object", api="networkConfiguration.awsvpcConfiguration",
             read="networkConfiguration.awsvpcConfiguration", props=(
                 Prop("subnets", kind="list", api="subnets"),
                 Prop("securityGroups", kind="list", api="securityGroups", computed=True),
                 Prop("assignPublicIp", kind="bool", api="assignPublicIp", values=_ENABLED, default=False),
             )),
        Prop("loadBalancers", kind="list", api="loadBalancers", read="loadBalancers", props=(
            Prop("targetGroupArn", api="targetGroupArn"),
            Prop("elbName", api="loadBalancerName"),
            Prop("containerName", api="containerName"),
            Prop("containerPort", kind="int", api="containerPort"),
        )),
        Prop("deploymentMaximumPercent", kind="int", api="deploymentConfiguration.maximumPercent",
             read="", default=200),
        Prop("deploymentMinimumHealthyPercent", kind="int", api="deploymentConfiguration.minimumHealthyPercent",
             read="", default=100),
        Prop("healthCheckGracePeriodSeconds", kind="int", api="healthCheckGracePeriodSeconds", read=""),
        Prop("enableExecuteCommand", kind="bool", api="enableExecuteCommand", read="", default=False),
        Prop("enableEcsManagedTags", kind="bool", api="enableECSManagedTags", read="", default=False),
        Prop("propagateTags", api="propagateTags", read="", default="NONE"),
        Prop("platformVersion", api="platformVersion", read="", computed=True),
        Prop("iamRole", api="role", read="", replace=True, computed=True),
        Prop("capacityProviderStrategies", kind="any", api="capacityProviderStrategy", read=""),
        Prop("deploymentCircuitBreaker", kind="any", api="deploymentConfiguration.deploymentCircuitBreaker", read=""),
        Prop("serviceRegistries", kind="any", api="serviceRegistries", read=""),
        Prop("waitForSteadyState", kind="bool"),
        Prop("forceNewDeployment", kind="bool"),
        Prop("forceDelete", kind="bool"),
        Prop("triggers", kind="map"),
        Prop("arn", output=True),
    ),
    create=Call("create_service", id="service.serviceArn"),
    read=(Call("describe_services", {"cluster": "{inputs.cluster?}", "services": ["{id}"], "include": ["TAGS"]},
               result="services[0]", absent=("ServiceNotFoundException", "ClusterNotFoundException"),
               gone=_INACTIVE),),
    updates=(Update(Call("update_service", {"cluster": "{inputs.cluster?}", "service": "{id}"}),
                    props=_SERVICE_MUTABLE, changed_only=True),),
    delete=None,
    tagging=_tagging("{id}"),
    impl=ServiceCode,
)



class CapacityProviderCode(DeclaredResource):
    """UpdateCapacityProvider takes the Auto Scaling group block without the group's ARN
    (which a change of replaces the capacity provider). ECS answers a delete of a missing
    capacity provider and of one a cluster still uses with the same ClientException, so
    "already gone" is what a read says, not the delete's error."""

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if self.read(urn, id, inputs, outputs) is not None:
            super().delete(urn, id, inputs, outputs)

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        wanted = news.get("autoScalingGroupProvider")
        if wanted == old_inputs.get("autoScalingGroupProvider") or not isinstance(wanted, Mapping):
            return
        block = to_api(self.spec.prop("autoScalingGroupProvider"), wanted)
        block.pop("autoScalingGroupArn", None)
        self.client(news).update_capacity_provider(name=news["name"], autoScalingGroupProvider=block)


def _optional(name: str, kind: Any = "str", **more: Any) -> Prop:
    """Optional+Computed: AWS fills in what the program leaves out (a capacity provider's
    managed scaling and draining)."""
    return Prop(name, api=name, kind=kind, computed=True, **more)


CAPACITY_PROVIDER = AwsType(
    token="aws:ecs/capacityProvider:CapacityProvider",
    client="ecs",
    naming=Naming(prefix=None, pattern=r"(?!(?i:aws|ecs|fargate))[A-Za-z0-9_-]{1,255}",
                  rule="up to 255 letters, digits, hyphens and underscores, not starting with aws, ecs or fargate"),
    props=(
        Prop("name", api="name", read="name", replace=True),
        Prop("autoScalingGroupProvider", kind="object", api="autoScalingGroupProvider", required=True, props=(
            Prop("autoScalingGroupArn", api="autoScalingGroupArn", replace=True, required=True),
            _optional("managedDraining", choices=("ENABLED", "DISABLED")),
            _optional("managedScaling", "object", props=(
                _optional("instanceWarmupPeriod", "int"),
                _optional("maximumScalingStepSize", "int"),
                _optional("minimumScalingStepSize", "int"),
                _optional("status", choices=("ENABLED", "DISABLED")),
                _optional("targetCapacity", "int"),
            )),
            _optional("managedTerminationProtection", choices=("ENABLED", "DISABLED")),
        )),
        Prop("arn", read="capacityProviderArn", output=True),
    ),
    create=Call("create_capacity_provider", id="capacityProvider.capacityProviderArn"),
    read=(Call("describe_capacity_providers", {"capacityProviders": ["{id}"], "include": ["TAGS"]},
               result="capacityProviders[0]", gone=("status", ("INACTIVE",))),),
    delete=Call("delete_capacity_provider", {"capacityProvider": "{id}"}),
    tagging=_tagging("{id}"),
    impl=CapacityProviderCode,
)


class ClusterCapacityProvidersCode(PutAgain):
    """The cluster's capacity providers and default strategy, set as a whole by
    PutClusterCapacityProviders; deleting them puts empty lists (the cluster stays). The
    capacity providers are a set in pulumi-aws: their order is no change."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if "capacityProviders" in news:
            news["capacityProviders"] = _sorted(news["capacityProviders"])
        return news

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        if "capacityProviders" in outputs:
            outputs["capacityProviders"] = _sorted(outputs["capacityProviders"])
        return outputs

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id, inputs), missing("ClusterNotFoundException"):
            self.client(inputs).put_cluster_capacity_providers(
                cluster=id, capacityProviders=[], defaultCapacityProviderStrategy=[])


def _sorted(names: Any) -> Any:
    return sorted(names) if isinstance(names, list) and all(isinstance(n, str) for n in names) else names


CLUSTER_CAPACITY_PROVIDERS = AwsType(
    token="aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
    client="ecs",
    props=(
        Prop("clusterName", api="cluster", read="clusterName", replace=True, required=True),
        Prop("capacityProviders", kind="list", api="capacityProviders"),
        Prop("defaultCapacityProviderStrategies", kind="list", api="defaultCapacityProviderStrategy",
             set_key="capacityProvider", props=(
                 Prop("capacityProvider", api="capacityProvider", required=True),
                 Prop("base", kind="int", api="base", default=0),
                 Prop("weight", kind="int", api="weight", default=0),
             )),
    ),
    create=Call("put_cluster_capacity_providers", {"capacityProviders": [], "defaultCapacityProviderStrategy": []}),
    read=(Call("describe_clusters", {"clusters": ["{id}"]}, result="clusters[0]",
               absent=("ClusterNotFoundException",), gone=_INACTIVE),),
    delete=None,
    id="{inputs.clusterName}",
    impl=ClusterCapacityProvidersCode,
)

TYPES = (CLUSTER, TASK_DEFINITION, SERVICE, CAPACITY_PROVIDER, CLUSTER_CAPACITY_PROVIDERS)

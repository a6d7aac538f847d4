"""Glue: Data Catalog databases, connections, crawlers, jobs and triggers. Names, defaults and
ForceNew as pulumi-aws `aws.glue.CatalogDatabase`, `Connection`, `Crawler`, `Job` and
`Trigger` (terraform-provider-aws `internal/service/glue/{catalog_database,connection,crawler,
job,trigger}.go`).

Glue's Update* calls replace the whole definition, so every update sends all of the type's
properties. Databases and connections are known as `<catalog id>:<name>` (the catalog is the
account's unless `catalogId` says otherwise); the rest by name. Tags go through Glue's
TagResource/UntagResource/GetTags on the object's ARN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update

_GONE = ("EntityNotFoundException",)
_IN_CATALOG = {"CatalogId": "{inputs.catalogId}", "Name": "{inputs.name}"}
_NAME = Naming(prefix=None, charset="A-Za-z0-9_.-")


def _arn(kind: str) -> str:
    return "arn:{partition}:glue:{region}:{account}:" + kind + "/{inputs.name}"


def _tagging(kind: str) -> Tagging:
    return Tagging(
        form="map",
        tag=Call("tag_resource", {"ResourceArn": _arn(kind), "TagsToAdd": "{tags}"}),
        untag=Call("untag_resource", {"ResourceArn": _arn(kind), "TagsToRemove": "{keys}"}),
        read=Call("get_tags", {"ResourceArn": _arn(kind)}, result="Tags", absent=_GONE),
    )


def _whole(props: tuple[Prop, ...], under: str) -> dict[str, str]:
    """Update paths: each property sent inside the update call's `under` structure."""
    return {p.name: f"{under}.{p.api}" for p in props if p.api and p.input}


def _updatable(props: tuple[Prop, ...]) -> tuple[str, ...]:
    return tuple(p.name for p in props if p.api and p.input and not p.replace)


class CatalogCode(DeclaredResource):
    """A catalog object lives in the account's catalog unless `catalogId` names another; the
    catalog is part of its id."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("catalogId") is None:
            news["catalogId"] = olds.get("catalogId") or self.fields(news)["account"]
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"CatalogId": inputs["catalogId"]}


# ---------------------------------------------------------------- catalog database

_DATABASE_PROPS = (
    Prop("name", api="DatabaseInput.Name", read="Name", replace=True),
    Prop("catalogId", read="CatalogId", replace=True, computed=True),
    Prop("description", api="DatabaseInput.Description", read="Description"),
    Prop("locationUri", api="DatabaseInput.LocationUri", read="LocationUri", computed=True),
    Prop("parameters", kind="map", api="DatabaseInput.Parameters", read="Parameters"),
    Prop("arn", template=_arn("database")),
)

CATALOG_DATABASE = AwsType(
    token="aws:glue/catalogDatabase:CatalogDatabase",
    client="glue",
    naming=Naming(prefix=None, lower=True, charset="a-z0-9_-"),
    id="{inputs.catalogId}:{inputs.name}",
    props=_DATABASE_PROPS,
    create=Call("create_database", send=("name", "description", "locationUri", "parameters")),
    read=(Call("get_database", _IN_CATALOG, result="Database", absent=_GONE),),
    updates=(Update(Call("update_database", {**_IN_CATALOG, "DatabaseInput": {"Name": "{inputs.name}"}}),
                    props=("description", "locationUri", "parameters")),),
    delete=Call("delete_database", _IN_CATALOG, absent=_GONE),
    tagging=_tagging("database"),
    impl=CatalogCode,
)

# ---------------------------------------------------------------- connection

_PHYSICAL = (
    Prop("availabilityZone", api="AvailabilityZone"),
    Prop("securityGroupIdLists", kind="list", api="SecurityGroupIdList"),
    Prop("subnetId", api="SubnetId"),
)
_CONNECTION_PROPS = (
    Prop("name", api="ConnectionInput.Name", read="Name", replace=True),
    Prop("catalogId", read="CatalogId", replace=True, computed=True),
    Prop("connectionType", api="ConnectionInput.ConnectionType", read="ConnectionType", default="JDBC"),
    Prop("connectionProperties", kind="map", api="ConnectionInput.ConnectionProperties",
         read="ConnectionProperties", secret=True, reset={}),
    Prop("description", api="ConnectionInput.Description", read="Description"),
    Prop("matchCriterias", kind="list", api="ConnectionInput.MatchCriteria", read="MatchCriteria"),
    Prop("physicalConnectionRequirements", kind="object", api="ConnectionInput.PhysicalConnectionRequirements",
         read="PhysicalConnectionRequirements", props=_PHYSICAL),
    Prop("arn", template=_arn("connection")),
)

CONNECTION = AwsType(
    token="aws:glue/connection:Connection",
    client="glue",
    naming=_NAME,
    id="{inputs.catalogId}:{inputs.name}",
    props=_CONNECTION_PROPS,
    create=Call("create_connection"),
    read=(Call("get_connection", _IN_CATALOG, result="Connection", absent=_GONE),),
    updates=(Update(Call("update_connection", {**_IN_CATALOG, "ConnectionInput": {"Name": "{inputs.name}"}}),
                    props=_updatable(_CONNECTION_PROPS)),),
    delete=Call("delete_connection", {"CatalogId": "{inputs.catalogId}", "ConnectionName": "{inputs.name}"},
                absent=_GONE),
    tagging=_tagging("connection"),
    impl=CatalogCode,
)

# ---------------------------------------------------------------- crawler

_S3_TARGET = (
    Prop("path", api="Path"), Prop("exclusions", kind="list", api="Exclusions"),
    Prop("connectionName", api="ConnectionName"), Prop("sampleSize", kind="int", api="SampleSize"),
    Prop("eventQueueArn", api="EventQueueArn"), Prop("dlqEventQueueArn", api="DlqEventQueueArn"),
)
_JDBC_TARGET = (
    Prop("connectionName", api="ConnectionName"), Prop("path", api="Path"),
    Prop("exclusions", kind="list", api="Exclusions"),
    Prop("enableAdditionalMetadatas", kind="list", api="EnableAdditionalMetadata"),
)
_DYNAMODB_TARGET = (
    Prop("path", api="Path"), Prop("scanAll", kind="bool", api="scanAll", default=True),
    Prop("scanRate", kind="float", api="scanRate"),
)
_CATALOG_TARGET = (
    Prop("databaseName", api="DatabaseName"), Prop("tables", kind="list", api="Tables"),
    Prop("connectionName", api="ConnectionName"), Prop("eventQueueArn", api="EventQueueArn"),
    Prop("dlqEventQueueArn", api="DlqEventQueueArn"),
)
_CRAWLER_PROPS = (
    Prop("name", api="Name", read="Name", replace=True),
    Prop("databaseName", api="DatabaseName", read="DatabaseName", required=True),
    Prop("role", api="Role", read="Role", required=True),
    Prop("description", api="Description", read="Description"),
    Prop("schedule", api="Schedule", read="Schedule.ScheduleExpression"),
    Prop("classifiers", kind="list", api="Classifiers", read="Classifiers"),
    Prop("configuration", kind="json", api="Configuration", read="Configuration"),
    Prop("tablePrefix", api="TablePrefix", read="TablePrefix"),
    Prop("securityConfiguration", api="CrawlerSecurityConfiguration", read="CrawlerSecurityConfiguration"),
    Prop("s3Targets", kind="list", api="Targets.S3Targets", read="Targets.S3Targets", props=_S3_TARGET),
    Prop("jdbcTargets", kind="list", api="Targets.JdbcTargets", read="Targets.JdbcTargets", props=_JDBC_TARGET),
    Prop("dynamodbTargets", kind="list", api="Targets.DynamoDBTargets", read="Targets.DynamoDBTargets",
         props=_DYNAMODB_TARGET),
    Prop("catalogTargets", kind="list", api="Targets.CatalogTargets", read="Targets.CatalogTargets",
         props=_CATALOG_TARGET),
    Prop("schemaChangePolicy", kind="object", api="SchemaChangePolicy", read="SchemaChangePolicy", computed=True,
         props=(Prop("deleteBehavior", api="DeleteBehavior", default="DEPRECATE_IN_DATABASE"),
                Prop("updateBehavior", api="UpdateBehavior", default="UPDATE_IN_DATABASE"))),
    Prop("recrawlPolicy", kind="object", api="RecrawlPolicy", read="RecrawlPolicy", computed=True,
         props=(Prop("recrawlBehavior", api="RecrawlBehavior", default="CRAWL_EVERYTHING"),)),
    Prop("lineageConfiguration", kind="object", api="LineageConfiguration", read="LineageConfiguration",
         computed=True, props=(Prop("crawlerLineageSettings", api="CrawlerLineageSettings", default="DISABLE"),)),
    Prop("arn", template=_arn("crawler")),
)

CRAWLER = AwsType(
    token="aws:glue/crawler:Crawler",
    client="glue",
    naming=_NAME,
    props=_CRAWLER_PROPS,
    create=Call("create_crawler"),
    read=(Call("get_crawler", {"Name": "{id}"}, result="Crawler", absent=_GONE),),
    updates=(Update(Call("update_crawler", {"Name": "{id}"}), props=_updatable(_CRAWLER_PROPS)),),
    delete=Call("delete_crawler", {"Name": "{id}"}, absent=_GONE),
    tagging=_tagging("crawler"),
)

# ---------------------------------------------------------------- job

_JOB_PROPS = (
    Prop("name", api="Name", read="Name", replace=True),
    Prop("roleArn", api="Role", read="Role", required=True),
    Prop("command", kind="object", api="Command", read="Command", required=True,
         props=(Prop("name", api="Name", default="glueetl"), Prop("scriptLocation", api="ScriptLocation"),
                Prop("pythonVersion", api="PythonVersion"), Prop("runtime", api="Runtime"))),
    Prop("connections", kind="list", api="Connections.Connections", read="Connections.Connections"),
    Prop("defaultArguments", kind="map", api="DefaultArguments", read="DefaultArguments"),
    Prop("nonOverridableArguments", kind="map", api="NonOverridableArguments", read="NonOverridableArguments"),
    Prop("description", api="Description", read="Description"),
    Prop("executionClass", api="ExecutionClass", read="ExecutionClass", computed=True),
    Prop("executionProperty", kind="object", api="ExecutionProperty", read="ExecutionProperty", computed=True,
         props=(Prop("maxConcurrentRuns", kind="int", api="MaxConcurrentRuns", default=1),)),
    Prop("glueVersion", api="GlueVersion", read="GlueVersion", computed=True),
    Prop("maxCapacity", kind="float", api="MaxCapacity", read="MaxCapacity", computed=True),
    Prop("maxRetries", kind="int", api="MaxRetries", read="MaxRetries", computed=True),
    Prop("notificationProperty", kind="object", api="NotificationProperty", read="NotificationProperty",
         computed=True, props=(Prop("notifyDelayAfter", kind="int", api="NotifyDelayAfter"),)),
    Prop("numberOfWorkers", kind="int", api="NumberOfWorkers", read="NumberOfWorkers", computed=True),
    Prop("workerType", api="WorkerType", read="WorkerType", computed=True),
    Prop("securityConfiguration", api="SecurityConfiguration", read="SecurityConfiguration"),
    Prop("timeout", kind="int", api="Timeout", read="Timeout", computed=True),
    Prop("maintenanceWindow", api="MaintenanceWindow", read="MaintenanceWindow"),
    Prop("arn", template=_arn("job")),
)

JOB = AwsType(
    token="aws:glue/job:Job",
    client="glue",
    naming=_NAME,
    props=_JOB_PROPS,
    create=Call("create_job"),
    read=(Call("get_job", {"JobName": "{id}"}, result="Job", absent=_GONE),),
    updates=(Update(Call("update_job", {"JobName": "{id}", "JobUpdate": {}}),
                    props=_updatable(_JOB_PROPS), paths=_whole(_JOB_PROPS, "JobUpdate")),),
    delete=Call("delete_job", {"JobName": "{id}"}, absent=_GONE),
    tagging=_tagging("job"),
)

# ---------------------------------------------------------------- trigger

_ACTION = (
    Prop("jobName", api="JobName"), Prop("crawlerName", api="CrawlerName"),
    Prop("arguments", kind="map", api="Arguments"), Prop("timeout", kind="int", api="Timeout"),
    Prop("securityConfiguration", api="SecurityConfiguration"),
    Prop("notificationProperty", kind="object", api="NotificationProperty",
         props=(Prop("notifyDelayAfter", kind="int", api="NotifyDelayAfter"),)),
)
_CONDITION = (
    Prop("jobName", api="JobName"), Prop("crawlerName", api="CrawlerName"),
    Prop("logicalOperator", api="LogicalOperator", default="EQUALS"), Prop("state", api="State"),
    Prop("crawlState", api="CrawlState"),
)
_TRIGGER_PROPS = (
    Prop("name", api="Name", read="Name", replace=True),
    Prop("type", api="Type", read="Type", required=True, replace=True,
         choices=("CONDITIONAL", "EVENT", "ON_DEMAND", "SCHEDULED")),
    Prop("workflowName", api="WorkflowName", read="WorkflowName", replace=True),
    Prop("actions", kind="list", api="Actions", read="Actions", required=True, props=_ACTION),
    Prop("description", api="Description", read="Description"),
    Prop("schedule", api="Schedule", read="Schedule"),
    Prop("predicate", kind="object", api="Predicate", read="Predicate",
         props=(Prop("logical", api="Logical", default="AND"),
                Prop("conditions", kind="list", api="Conditions", props=_CONDITION))),
    Prop("enabled", kind="bool", read="", default=True),
    Prop("startOnCreation", kind="bool"),
    Prop("state", read="State", output=True),
    Prop("arn", template=_arn("trigger")),
)
_RUNNING = ("ACTIVATED", "ACTIVATING")


class TriggerCode(DeclaredResource):
    """A trigger is started on creation when enabled (an EVENT trigger waits for its events, an
    ON_DEMAND one is started afterwards), stopped when disabled, and reads as enabled while
    its state says it runs."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        kind = inputs.get("type")
        start = bool(inputs.get("enabled")) and kind not in ("ON_DEMAND", "EVENT")
        if inputs.get("startOnCreation") is not None:
            start = bool(inputs["startOnCreation"])
        return {"StartOnCreation": start}

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        if inputs.get("enabled") and inputs.get("type") == "ON_DEMAND":
            self.client(inputs).start_trigger(Name=id)

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        state = doc.get("State")
        if doc.get("Type") in ("ON_DEMAND", "EVENT"):
            outputs["enabled"] = state in ("CREATED", "CREATING", *_RUNNING) and inputs.get("enabled") is not False
        else:
            outputs["enabled"] = state in _RUNNING
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if news.get("enabled") == old_outputs.get("enabled"):
            return
        if news.get("enabled"):
            self.client(news).start_trigger(Name=id)
        elif not (news.get("type") == "ON_DEMAND" and old_outputs.get("state") == "CREATED"):
            self.client(news).stop_trigger(Name=id)


TRIGGER = AwsType(
    token="aws:glue/trigger:Trigger",
    client="glue",
    naming=_NAME,
    props=_TRIGGER_PROPS,
    create=Call("create_trigger"),
    read=(Call("get_trigger", {"Name": "{id}"}, result="Trigger", absent=_GONE),),
    updates=(Update(Call("update_trigger", {"Name": "{id}", "TriggerUpdate": {}}),
                    props=("actions", "description", "schedule", "predicate"),
                    paths=_whole(_TRIGGER_PROPS, "TriggerUpdate")),),
    delete=Call("delete_trigger", {"Name": "{id}"}, absent=_GONE),
    tagging=_tagging("trigger"),
    impl=TriggerCode,
)

TYPES = (CATALOG_DATABASE, CONNECTION, CRAWLER, JOB, TRIGGER)

"""Step Functions: state machines. Names, defaults and ForceNew as pulumi-aws
`aws.sfn.StateMachine` (terraform-provider-aws `internal/service/sfn/state_machine.go`).
The definition is JSON text compared by meaning (AWS keeps it as sent); logging names one
CloudWatch log group (`logDestination`, a log group ARN ending in `:*`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.values import get_path

_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")


def _logging(block: Mapping[str, Any] | None) -> dict[str, Any]:
    block = block or {}
    api: dict[str, Any] = {"level": block.get("level") or "OFF",
                           "includeExecutionData": bool(block.get("includeExecutionData"))}
    if block.get("logDestination"):
        api["destinations"] = [{"cloudWatchLogsLogGroup": {"logGroupArn": block["logDestination"]}}]
    return api


class StateMachineCode(DeclaredResource):
    """The logging block is shaped differently in the API (a list of destinations)."""

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is None:
            return None
        destination = get_path(doc, "loggingConfiguration.destinations[0].cloudWatchLogsLogGroup.logGroupArn")
        if destination:
            doc["loggingConfiguration"]["logDestination"] = destination
        return doc

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"loggingConfiguration": _logging(inputs.get("loggingConfiguration"))}

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if old_inputs.get("loggingConfiguration") != news.get("loggingConfiguration"):
            self.client(news).update_state_machine(stateMachineArn=id,
                                                   loggingConfiguration=_logging(news.get("loggingConfiguration")))


STATE_MACHINE = AwsType(
    token="aws:sfn/stateMachine:StateMachine",
    client="stepfunctions",
    naming=Naming(max_len=80, pattern=r"[A-Za-z0-9_-]{1,80}", rule="up to 80 letters, digits, hyphens and underscores"),
    props=(
        Prop("name", api="name", read="name", replace=True),
        Prop("namePrefix", replace=True),
        Prop("definition", kind="json", api="definition", read="definition", required=True),
        Prop("roleArn", api="roleArn", read="roleArn", required=True),
        Prop("type", api="type", read="type", replace=True, default="STANDARD", choices=("STANDARD", "EXPRESS")),
        Prop("publish", kind="bool", api="publish", read="", default=False),
        Prop("loggingConfiguration", kind="object", read="loggingConfiguration", computed=True, props=(
            Prop("level", read="level", choices=_LEVELS),
            Prop("includeExecutionData", kind="bool", read="includeExecutionData"),
            Prop("logDestination", read="logDestination"),
        )),
        Prop("tracingConfiguration", kind="object", api="tracingConfiguration", read="tracingConfiguration",
             computed=True, props=(Prop("enabled", kind="bool", api="enabled", default=False),)),
        Prop("arn", read="stateMachineArn", output=True),
        Prop("creationDate", read="creationDate", output=True),
        Prop("status", read="status", output=True),
        Prop("description", read="description", output=True),
        Prop("revisionId", read="revisionId", output=True),
        Prop("stateMachineVersionArn", output=True),
        Prop("versionDescription", output=True),
    ),
    create=Call("create_state_machine", id="stateMachineArn"),
    read=(Call("describe_state_machine", {"stateMachineArn": "{id}"}, absent=("StateMachineDoesNotExist",),
               gone=("status", ("DELETING",))),),
    updates=(
        Update(Call("update_state_machine", {"stateMachineArn": "{id}"}),
               props=("definition", "roleArn", "tracingConfiguration", "publish"), changed_only=True),
    ),
    delete=Call("delete_state_machine", {"stateMachineArn": "{id}"}, absent=("StateMachineDoesNotExist",)),
    tagging=Tagging(
        keys=("key", "value"), on_create="tags",
        read=Call("list_tags_for_resource", {"resourceArn": "{id}"}, result="tags"),
        tag=Call("tag_resource", {"resourceArn": "{id}", "tags": "{tags}"}),
        untag=Call("untag_resource", {"resourceArn": "{id}", "tagKeys": "{keys}"}),
    ),
    impl=StateMachineCode,
)

TYPES = (STATE_MACHINE,)

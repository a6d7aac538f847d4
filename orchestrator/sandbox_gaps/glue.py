"""Glue in the sandbox: stand-ins for the Glue calls moto lacks.

moto implements Glue's create, get and delete calls for databases, crawlers, jobs and triggers
and CreateConnection/GetConnection, but not DeleteConnection, UpdateConnection, UpdateCrawler,
UpdateJob or UpdateTrigger, and it keeps a deleted object's tags. These stand-ins behave as the
Glue API reference documents them: UpdateJob, UpdateTrigger and UpdateConnection overwrite the
whole definition (what the request leaves out is cleared), UpdateCrawler changes the fields the
request names; each fails with EntityNotFoundException on a missing object;
DeleteConnection fails with EntityNotFoundException on a missing connection; a deleted object's
tags go with it; GetConnection reports the connection's type and match criteria.
"""

from __future__ import annotations

from typing import Any

# UpdateCrawler's fields that a crawler keeps as attributes of the same (snake_case) name.
_CRAWLER_FIELDS = {
    "Role": "role", "DatabaseName": "database_name", "Description": "description", "Targets": "targets",
    "Classifiers": "classifiers", "TablePrefix": "table_prefix", "SchemaChangePolicy": "schema_change_policy",
    "RecrawlPolicy": "recrawl_policy", "LineageConfiguration": "lineage_configuration",
    "Configuration": "configuration", "CrawlerSecurityConfiguration": "crawler_security_configuration",
}
# JobUpdate's fields, likewise.
_JOB_FIELDS = {
    "Description": "description", "LogUri": "log_uri", "Role": "role", "ExecutionProperty": "execution_property",
    "Command": "command", "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments", "Connections": "connections",
    "MaxRetries": "max_retries", "AllocatedCapacity": "allocated_capacity", "Timeout": "timeout",
    "MaxCapacity": "max_capacity", "WorkerType": "worker_type", "NumberOfWorkers": "number_of_workers",
    "SecurityConfiguration": "security_configuration", "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version", "ExecutionClass": "execution_class",
    "SourceControlDetails": "source_control_details",
}


def close() -> None:
    from moto.glue.models import FakeConnection, GlueBackend
    from moto.glue.responses import GlueResponse

    _add_backend_calls(GlueBackend)
    _add_responses(GlueResponse)
    _drop_tags_on_delete(GlueBackend)
    original_as_dict = FakeConnection.as_dict

    def as_dict(self: Any, hide_password: bool = False) -> dict[str, Any]:
        found: dict[str, Any] = original_as_dict(self, hide_password)
        found["ConnectionType"] = self.connection_input.get("ConnectionType")
        found["MatchCriteria"] = self.connection_input.get("MatchCriteria") or []
        return found

    FakeConnection.as_dict = as_dict  # type: ignore[method-assign]


def _add_backend_calls(backend: Any) -> None:
    from moto.core.utils import utcnow
    from moto.glue.exceptions import EntityNotFoundException
    from moto.glue.utils import Action, Predicate

    def delete_connection(self: Any, name: str) -> None:
        connection = self.connections.pop(name, None)
        if connection is None:
            raise EntityNotFoundException(f"Connection {name} not found")
        self.tagger.delete_all_tags_for_resource(connection.arn)

    def update_connection(self: Any, name: str, connection_input: dict[str, Any]) -> None:
        connection = self.connections.get(name)
        if connection is None:
            raise EntityNotFoundException(f"Connection {name} not found")
        connection.connection_input = {**connection_input, "Name": name}
        connection.description = connection_input.get("Description")
        connection.connection_properties = connection_input.get("ConnectionProperties", {})
        connection.updated_time = utcnow()

    def update_crawler(self: Any, name: str, fields: dict[str, Any]) -> None:
        crawler = self.get_crawler(name)  # CrawlerNotFoundException is an EntityNotFoundException
        for field, attribute in _CRAWLER_FIELDS.items():
            if field in fields:
                setattr(crawler, attribute, fields[field])
        if "Schedule" in fields:
            crawler.schedule = fields["Schedule"]
        crawler.last_updated = utcnow()
        crawler.version += 1

    def update_job(self: Any, name: str, job_update: dict[str, Any]) -> None:
        job = self.get_job(name)
        for field, attribute in _JOB_FIELDS.items():
            setattr(job, attribute, job_update.get(field))
        job.execution_property = job.execution_property or {}
        job.default_arguments = job.default_arguments or {}
        job.execution_class = job.execution_class or "STANDARD"
        job.last_modified_on = utcnow()

    def update_trigger(self: Any, name: str, trigger_update: dict[str, Any]) -> Any:
        trigger = self.get_trigger(name)
        trigger.description = trigger_update.get("Description")
        trigger.schedule = trigger_update.get("Schedule")
        trigger.actions = [Action(a) for a in trigger_update.get("Actions") or []]
        trigger.predicate = Predicate(trigger_update["Predicate"]) if trigger_update.get("Predicate") else None
        trigger.event_batching_condition = trigger_update.get("EventBatchingCondition")
        return trigger

    backend.delete_connection = delete_connection
    backend.update_connection = update_connection
    backend.update_crawler = update_crawler
    backend.update_job = update_job
    backend.update_trigger = update_trigger


def _add_responses(responses: Any) -> None:
    from moto.core.responses import ActionResult, EmptyResult

    def delete_connection(self: Any) -> Any:
        self.glue_backend.delete_connection(self._get_param("ConnectionName"))
        return EmptyResult()

    def update_connection(self: Any) -> Any:
        self.glue_backend.update_connection(self._get_param("Name"), self._get_param("ConnectionInput") or {})
        return EmptyResult()

    def update_crawler(self: Any) -> Any:
        fields = {k: v for k, v in self.params.items() if k != "Name"} if isinstance(self.params, dict) else {}
        self.glue_backend.update_crawler(self._get_param("Name"), fields)
        return EmptyResult()

    def update_job(self: Any) -> Any:
        name = self._get_param("JobName")
        self.glue_backend.update_job(name, self._get_param("JobUpdate") or {})
        return ActionResult({"JobName": name})

    def update_trigger(self: Any) -> Any:
        trigger = self.glue_backend.update_trigger(self._get_param("Name"), self._get_param("TriggerUpdate") or {})
        return ActionResult({"Trigger": trigger.as_dict()})

    for call in (delete_connection, update_connection, update_crawler, update_job, update_trigger):
        setattr(responses, call.__name__, call)


def _drop_tags_on_delete(backend: Any) -> None:
    """AWS deletes an object's tags with it; moto's tagger kept them, so the Resource Groups
    Tagging API went on listing deleted databases, crawlers, jobs and triggers."""
    for method, kind in (("delete_database", "database"), ("delete_crawler", "crawler"), ("delete_job", "job"),
                         ("delete_trigger", "trigger")):
        original = getattr(backend, method)

        def delete(self: Any, name: str, *args: Any, __original: Any = original, __kind: str = kind,
                   **kwargs: Any) -> Any:
            result = __original(self, name, *args, **kwargs)
            from moto.utilities.utils import get_partition

            arn = f"arn:{get_partition(self.region_name)}:glue:{self.region_name}:{self.account_id}:{__kind}/{name}"
            self.tagger.delete_all_tags_for_resource(arn)
            return result

        setattr(backend, method, delete)

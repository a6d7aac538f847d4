"""The SDK's resource monitor, with the engine's behaviour: our URNs and real steps.

The program talks to this monitor as it would to the Pulumi engine: each
RegisterResource/ReadResource becomes a `Registration` for the deployment, and each answer
carries the URN, id and outputs the step produced.
"""

from __future__ import annotations

from typing import Any, cast

from orchestrator.engines.local.deployment import Deployment
from orchestrator.engines.local.invokes import Invokes
from orchestrator.engines.local.job import Job
from orchestrator.engines.local.props import split_secrets
from orchestrator.engines.local.provider_lookup import Providers
from orchestrator.engines.local.registration import Registration
from orchestrator.engines.local.urn import PROVIDER_TYPE_PREFIX, STACK_TYPE, resource_urn, stack_urn


def registration(request: Any, job: Job, *, read: bool) -> Registration:
    from google.protobuf import json_format

    raw_props = json_format.MessageToDict(request.properties if read else request.object)
    inputs, secret_inputs = split_secrets(raw_props)
    parent = request.parent or None
    urn = (
        stack_urn(job.stack, job.project)
        if request.type == STACK_TYPE
        else resource_urn(job.stack, job.project, parent, request.type, request.name)
    )
    if read:
        return Registration(
            urn=urn, type=request.type, name=request.name, custom=True, inputs=inputs,
            secret_inputs=secret_inputs, parent=parent, dependencies=tuple(request.dependencies),
            provider_ref=request.provider or None,
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            version=request.version, read_id=request.id,
        )
    aliases = list(request.aliasURNs)
    for alias in request.aliases:
        if alias.urn:
            aliases.append(alias.urn)
        elif alias.HasField("spec"):
            spec = alias.spec
            alias_parent = None if spec.noParent else (spec.parentUrn or parent)
            aliases.append(resource_urn(spec.stack or job.stack, spec.project or job.project, alias_parent,
                                        spec.type or request.type, spec.name or request.name))
    return Registration(
        urn=urn,
        type=request.type,
        name=request.name,
        custom=bool(request.custom),
        inputs=inputs,
        secret_inputs=secret_inputs,
        parent=parent,
        dependencies=tuple(dict.fromkeys(request.dependencies)),
        property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
        provider_ref=request.provider or None,
        protect=bool(request.protect),
        ignore_changes=tuple(request.ignoreChanges),
        replace_on_changes=tuple(request.replaceOnChanges),
        delete_before_replace=bool(request.deleteBeforeReplace),
        retain_on_delete=bool(request.retainOnDelete),
        additional_secret_outputs=tuple(request.additionalSecretOutputs),
        version=request.version,
        remote=bool(request.remote),
        alias_urns=tuple(a for a in aliases if a != urn),
    )


def _to_struct(values: dict[str, Any]) -> Any:
    from google.protobuf import json_format, struct_pb2

    return json_format.ParseDict(values, struct_pb2.Struct())


def make_monitor(job: Job, deployment: Deployment, providers: Providers, invokes: Invokes) -> Any:
    from google.protobuf import empty_pb2, json_format
    from pulumi.runtime import mocks as pm
    from pulumi.runtime.proto import resource_pb2

    class EngineMonitor(pm.MockMonitor):
        """The SDK's mock monitor with the engine's behaviour: our URNs, real steps."""

        def RegisterResource(self, request: Any) -> Any:
            reg = registration(request, job, read=False)
            outcome = deployment.register(reg)
            if reg.custom and reg.type.startswith(PROVIDER_TYPE_PREFIX):
                providers.note_explicit_provider(f"{outcome.urn}::{outcome.id}", reg.inputs)
            if reg.type == STACK_TYPE:
                return resource_pb2.RegisterResourceResponse(urn=outcome.urn)
            return resource_pb2.RegisterResourceResponse(
                urn=outcome.urn, id=outcome.id, object=_to_struct(outcome.outputs)
            )

        def ReadResource(self, request: Any) -> Any:
            reg = registration(request, job, read=True)
            outcome = deployment.read(reg)
            return resource_pb2.ReadResourceResponse(urn=outcome.urn, properties=_to_struct(outcome.outputs))

        def RegisterResourceOutputs(self, request: Any) -> Any:
            outputs, secret_keys = split_secrets(json_format.MessageToDict(request.outputs))
            deployment.register_outputs(request.urn, outputs, secret_keys)
            return empty_pb2.Empty()

    return EngineMonitor(cast(Any, invokes))

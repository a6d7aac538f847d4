"""Talking to a running Python policy pack: Pulumi's `Analyzer` gRPC service.

The engine calls `GetAnalyzerInfo`, `Configure` (the reconciled per-policy config) and
`ConfigureStack`; for each resource `Remediate` then `Analyze`; and `AnalyzeStack` at the end
(pkg/resource/plugin/analyzer_plugin.go). Plain values in and out, not the engine's types;
starting the pack is `launch`'s job.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.models import PolicyPackRef
from orchestrator.policy.launch import Launched, PackError, raised_in_pack, wait_for_address
from orchestrator.policy.settings import EnforcementLevel, PolicyConfig, PolicyInfo

CALL_TIMEOUT_S = 300.0
_LEVELS: dict[int, EnforcementLevel] = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
_LEVEL_NUMBERS = {name: number for number, name in _LEVELS.items()}
_KINDS = {1: "resource", 2: "stack"}
_DOING = {"Analyze": "checking the resource", "AnalyzeStack": "checking the stack",
          "Remediate": "remediating the resource"}


@dataclass(frozen=True)
class AnalyzerResource:
    """One resource as the engine sends it to a pack: `properties` in wire form (secrets wrapped,
    unknowns as Pulumi's unknown marker); `provider` as {urn, type, name, properties}."""

    urn: str
    type: str
    name: str
    properties: dict[str, Any]
    parent: str = ""
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    delete_before_replace: bool | None = None
    additional_secret_outputs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    provider: dict[str, Any] | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Diagnostic:
    """A policy violation as a pack reports it (`urn` empty: the resource analyzed)."""

    pack: str
    pack_version: str
    policy: str
    description: str
    message: str
    enforcement: EnforcementLevel
    urn: str = ""


@dataclass(frozen=True)
class Remediation:
    """A remediation policy's answer: the new properties (wire form), or a diagnostic when it could not run."""

    pack: str
    policy: str
    description: str
    properties: dict[str, Any] | None
    diagnostic: str = ""


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    supports_config: bool
    policies: tuple[PolicyInfo, ...]
    initial_config: dict[str, PolicyConfig]


def connect(launched: Launched) -> Analyzer:
    """The client of a started pack, once it serves."""
    return Analyzer(launched.pack, wait_for_address(launched), launched)


class Analyzer:
    """The `Analyzer` service of one running pack (thread-safe: calls come from the SDK's threads)."""

    def __init__(self, pack: PolicyPackRef, address: str, launched: Launched | None = None) -> None:
        import grpc
        from pulumi.runtime.proto import analyzer_pb2_grpc

        self.pack = pack
        self._launched = launched  # where the pack's stderr is, to say what a policy raised
        self._channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 400 << 20)])
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def _call(self, method: str, request: Any) -> Any:
        import grpc

        try:
            return getattr(self._stub, method)(request, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            if code == grpc.StatusCode.UNIMPLEMENTED:
                return None
            raise self._failure(method, exc) from None

    def _failure(self, method: str, exc: Any) -> PackError:
        """A call the pack answered with an error: most often a policy that raised."""
        details = str(exc.details() if hasattr(exc, "details") else exc)
        raised = raised_in_pack(self._launched) if self._launched is not None else None
        if raised is not None and details.startswith("Exception calling application"):
            doing = _DOING.get(method, f"in {method}")
            return PackError(f"policy pack {self.pack.path}: a policy raised {raised} {doing}",
                             hint=f"fix the policy: it must report violations, not raise ({self.pack.path})")
        return PackError(f"policy pack {self.pack.path}: {method} failed: {' '.join(details.split())}")

    def info(self) -> PackInfo:
        from google.protobuf import empty_pb2, json_format

        answer = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        if answer is None:
            raise PackError(f"policy pack {self.pack.path} does not describe its policies (GetAnalyzerInfo)")
        policies = tuple(
            PolicyInfo(
                name=p.name,
                description=p.description,
                enforcement=_LEVELS.get(p.enforcementLevel, "advisory"),
                kind=_KINDS.get(p.policy_type, "unknown"),  # type: ignore[arg-type]
                config_properties=json_format.MessageToDict(p.configSchema.properties),
                config_required=tuple(p.configSchema.required),
            )
            for p in answer.policies
        )
        # As the CLI reads it (convertPolicyConfig): an entry always carries a level, 0 being advisory.
        initial = {
            name: PolicyConfig(
                enforcement=_LEVELS.get(c.enforcementLevel, "advisory"),
                properties=json_format.MessageToDict(c.properties),
            )
            for name, c in answer.initialConfig.items()
        }
        return PackInfo(answer.name, answer.version, answer.supportsConfig, policies, initial)

    def configure(self, config: Mapping[str, PolicyConfig]) -> None:
        from google.protobuf import json_format, struct_pb2
        from pulumi.runtime.proto import analyzer_pb2

        if not config:
            return
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, value in config.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = _LEVEL_NUMBERS[value.enforcement or "advisory"]
            entry.properties.CopyFrom(json_format.ParseDict(value.properties, struct_pb2.Struct()))
        self._call("Configure", request)

    def configure_stack(
        self, *, project: str, stack: str, dry_run: bool, config: Mapping[str, str], secret_keys: Sequence[str]
    ) -> None:
        from pulumi.runtime.proto import analyzer_pb2

        self._call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=stack, project=project, organization="organization", dry_run=dry_run,
                config=dict(config), config_secret_keys=list(secret_keys),
            ),
        )

    def analyze(self, resource: AnalyzerResource) -> list[Diagnostic]:
        answer = self._call("Analyze", _analyze_request(resource))
        return [] if answer is None else [_diagnostic(d) for d in answer.diagnostics]

    def analyze_stack(self, resources: Sequence[AnalyzerResource]) -> list[Diagnostic]:
        from pulumi.runtime.proto import analyzer_pb2

        request = analyzer_pb2.AnalyzeStackRequest(resources=[_stack_resource(r) for r in resources])
        answer = self._call("AnalyzeStack", request)
        return [] if answer is None else [_diagnostic(d) for d in answer.diagnostics]

    def remediate(self, resource: AnalyzerResource) -> list[Remediation]:
        from google.protobuf import json_format

        answer = self._call("Remediate", _analyze_request(resource))
        if answer is None:
            return []
        return [
            Remediation(
                pack=r.policyPackName,
                policy=r.policyName,
                description=r.description,
                properties=json_format.MessageToDict(r.properties) if r.HasField("properties") else None,
                diagnostic=r.diagnostic,
            )
            for r in answer.remediations
        ]

    def close(self) -> None:
        """The connection only: the process belongs to its `PackLauncher`."""
        with contextlib.suppress(Exception):
            self._channel.close()


def _struct(values: Mapping[str, Any]) -> Any:
    from google.protobuf import json_format, struct_pb2

    return json_format.ParseDict(dict(values), struct_pb2.Struct())


def _options(resource: AnalyzerResource) -> Any:
    from pulumi.runtime.proto import analyzer_pb2

    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        deleteBeforeReplace=bool(resource.delete_before_replace),
        deleteBeforeReplaceDefined=resource.delete_before_replace is not None,
        additionalSecretOutputs=list(resource.additional_secret_outputs),
        aliases=list(resource.aliases),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=resource.parent,
    )


def _provider(resource: AnalyzerResource) -> Any:
    from pulumi.runtime.proto import analyzer_pb2

    found = resource.provider
    if found is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        urn=found["urn"], type=found["type"], name=found["name"], properties=_struct(found.get("properties") or {})
    )


def _analyze_request(resource: AnalyzerResource) -> Any:
    from pulumi.runtime.proto import analyzer_pb2

    return analyzer_pb2.AnalyzeRequest(
        type=resource.type, properties=_struct(resource.properties), urn=resource.urn, name=resource.name,
        options=_options(resource), provider=_provider(resource),
    )


def _stack_resource(resource: AnalyzerResource) -> Any:
    from pulumi.runtime.proto import analyzer_pb2

    message = analyzer_pb2.AnalyzerResource(
        type=resource.type, properties=_struct(resource.properties), urn=resource.urn, name=resource.name,
        options=_options(resource), provider=_provider(resource), parent=resource.parent,
        dependencies=list(resource.dependencies),
    )
    for key, urns in resource.property_dependencies.items():
        if urns:
            message.propertyDependencies[key].urns.extend(urns)
    return message


def _diagnostic(d: Any) -> Diagnostic:
    return Diagnostic(
        pack=d.policyPackName,
        pack_version=d.policyPackVersion,
        policy=d.policyName,
        description=d.description,
        message=d.message,
        enforcement=_LEVELS.get(d.enforcementLevel, "advisory"),
        urn=d.urn,
    )

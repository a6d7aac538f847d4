"""The local engine's policy host: a stack's policy packs run as the Pulumi engine runs analyzers.

For each resource the program registers, after the provider's check: every pack's remediations
(in pack order, each seeing the last one's result), then every pack's analysis of the final
inputs; at the end of a successful run, each pack's stack policies on the resources' outputs.
A mandatory violation fails a preview (after analysing everything) and blocks the resource's
step in an update, as in Pulumi (pkg/resource/deploy/step_generator.go).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from orchestrator.engines.base import PolicyViolation
from orchestrator.engines.local.props import mark_secrets, split_secrets
from orchestrator.engines.local.registration import Registration
from orchestrator.engines.local.state import ResourceState
from orchestrator.engines.local.urn import STACK_TYPE, parse_urn
from orchestrator.errors import UserError
from orchestrator.models import PolicyPackRef
from orchestrator.policy.analyzer import Analyzer, AnalyzerResource, Diagnostic, connect
from orchestrator.policy.launch import Launched, PackError, PackLauncher
from orchestrator.policy.settings import PolicyConfig, PolicyInfo, parse_pack_config, reconcile, unknown_policies


class PolicyHost:
    """The packs of one stack operation: started here (they boot while the program's modules
    import), or already started by the engine's parent process (`launched`: an update runs its
    preview and its apply on the same packs). Call `ready()` before the program runs and
    `close()` at the end."""

    def __init__(
        self,
        packs: Sequence[PolicyPackRef],
        *,
        project: str,
        stack: str,
        dry_run: bool,
        config: Mapping[str, str],
        secret_keys: Iterable[str],
        launched: Sequence[Launched] = (),
    ) -> None:
        self._project, self._stack, self._dry_run = project, stack, dry_run
        self._config, self._secret_keys = dict(config), sorted(secret_keys)
        self._launcher = None if launched else PackLauncher(packs)
        self._launched = list(launched) if self._launcher is None else self._launcher.launched
        self._analyzers: list[Analyzer] = []
        self._lock = threading.Lock()
        self._found: list[PolicyViolation] = []
        self.from_stack: list[PolicyViolation] = []  # found by stack policies, after every step ran
        self._roles: dict[str, _Roles] = {}  # pack path → which calls can find anything

    # ------------------------------------------------------------------ start-up

    def ready(self) -> None:
        """Connect to every pack, then configure each as the CLI does; PackError naming the pack."""
        with ThreadPoolExecutor(max_workers=max(1, len(self._launched))) as pool:
            connected = list(pool.map(_connected, self._launched))
        errors = [c for c in connected if isinstance(c, PackError)]
        self._analyzers = [c for c in connected if isinstance(c, Analyzer)]
        if errors:
            raise errors[0]
        for analyzer in self._analyzers:
            self._configure(analyzer)

    def _configure(self, analyzer: Analyzer) -> None:
        pack = analyzer.pack
        info = analyzer.info()
        try:
            given = parse_pack_config(pack.config)
        except ValueError as exc:  # validated when the configuration was loaded; a guard for direct use
            raise PackError(f"policy pack {pack.path}: {exc}") from None
        unknown = unknown_policies(info.policies, given)
        if unknown:
            raise PackError(
                f"policy pack {pack.path} ({info.name}) has no policy {', '.join(map(repr, unknown))} "
                f"to configure ({pack.source})",
                hint=f"its policies: {', '.join(p.name for p in info.policies)}",
            )
        if given and not info.supports_config:
            raise PackError(f"policy pack {pack.path} ({info.name}) does not support config ({pack.source})")
        config, errors = reconcile(info.policies, info.initial_config, given)
        if errors:
            raise PackError(
                f"validating policy config for {info.name} ({pack.path}): {'; '.join(errors)}",
                hint=f"fix the pack's `config` in {pack.source}",
            )
        analyzer.configure(config)
        self._roles[analyzer.pack.path] = _roles(info.policies, config)
        analyzer.configure_stack(
            project=self._project, stack=self._stack, dry_run=self._dry_run,
            config=self._config, secret_keys=self._secret_keys,
        )

    # ------------------------------------------------------------------ per resource

    def check(
        self, reg: Registration, inputs: dict[str, Any], provider: ResourceState | None
    ) -> tuple[dict[str, Any], list[str]]:
        """Remediate, then analyze: the inputs to go on with, and the mandatory violations as
        messages (they block the resource's step in an update)."""
        secret_keys = reg.secret_inputs
        for analyzer in self._analyzers:
            if not self._roles[analyzer.pack.path].remediates:
                continue
            for fix in analyzer.remediate(self._resource(reg, inputs, secret_keys, provider)):
                if fix.diagnostic:
                    self._add(Diagnostic(fix.pack, "", fix.policy, fix.description, fix.diagnostic, "advisory"),
                              reg.urn)
                elif fix.properties is not None:
                    inputs, found_secrets = split_secrets(fix.properties)
                    secret_keys = secret_keys | found_secrets
                    self._add(Diagnostic(fix.pack, "", fix.policy, fix.description,
                                         f"{fix.description}\nremediated {reg.name}: its inputs were rewritten",
                                         "remediate"), reg.urn)
        resource = self._resource(reg, inputs, secret_keys, provider)
        blocking: list[str] = []
        for analyzer in self._analyzers:
            if not self._roles[analyzer.pack.path].analyzes:
                continue
            for diagnostic in analyzer.analyze(resource):
                # Still violated although a remediation ran: it counts as mandatory, as in Pulumi.
                if diagnostic.enforcement == "remediate":
                    diagnostic = replace(diagnostic, enforcement="mandatory")
                violation = self._add(diagnostic, reg.urn)
                if violation.enforcement == "mandatory":
                    blocking.append(f"mandatory policy {violation.policy_pack}/{violation.policy} violated: "
                                    f"{violation.message}")
        return inputs, blocking

    def _resource(
        self, reg: Registration, inputs: dict[str, Any], secret_keys: frozenset[str], provider: ResourceState | None
    ) -> AnalyzerResource:
        return AnalyzerResource(
            urn=reg.urn, type=reg.type, name=reg.name, properties=mark_secrets(inputs, secret_keys),
            parent=reg.parent or "", protect=reg.protect, ignore_changes=reg.ignore_changes,
            delete_before_replace=reg.delete_before_replace or None,
            additional_secret_outputs=reg.additional_secret_outputs, aliases=reg.alias_urns,
            provider=_provider(provider),
        )

    # ------------------------------------------------------------------ the stack

    def analyze_stack(self, resources: Sequence[ResourceState]) -> None:
        """Stack policies on the final outputs of every resource of the stack (AnalyzeStack)."""
        if not self._analyzers:
            return
        by_urn = {r.urn: r for r in resources}
        stack_urn = next((r.urn for r in resources if r.type == STACK_TYPE), "")
        sent = [
            AnalyzerResource(
                urn=r.urn, type=r.type, name=parse_urn(r.urn).name,
                properties=mark_secrets(r.outputs, r.secret_outputs), parent=r.parent or "",
                protect=r.protect, delete_before_replace=r.delete_before_replace or None,
                additional_secret_outputs=r.additional_secret_outputs,
                provider=_provider(by_urn.get((r.provider or "").rpartition("::")[0])),
                dependencies=r.dependencies, property_dependencies=dict(r.property_dependencies),
            )
            for r in resources
        ]
        for analyzer in self._analyzers:
            if not self._roles[analyzer.pack.path].checks_stack:
                continue
            for diagnostic in analyzer.analyze_stack(sent):
                # Stack policies cannot remediate: a remediate level counts as mandatory.
                if diagnostic.enforcement == "remediate":
                    diagnostic = replace(diagnostic, enforcement="mandatory")
                urn = diagnostic.urn if diagnostic.urn in by_urn else stack_urn
                self.from_stack.append(self._add(replace(diagnostic, urn=urn), urn))

    # ------------------------------------------------------------------ results

    def _add(self, diagnostic: Diagnostic, urn: str) -> PolicyViolation:
        violation = PolicyViolation(
            policy_pack=diagnostic.pack,
            policy=diagnostic.policy,
            enforcement=diagnostic.enforcement,
            message=diagnostic.message.strip(),
            urn=diagnostic.urn or urn or None,
        )
        with self._lock:
            self._found.append(violation)
        return violation

    def violations(self) -> list[PolicyViolation]:
        with self._lock:
            return list(self._found)

    def mandatory(self) -> list[PolicyViolation]:
        return [v for v in self.violations() if v.enforcement == "mandatory"]

    def close(self) -> None:
        for analyzer in self._analyzers:
            analyzer.close()
        if self._launcher is not None:
            self._launcher.close()


@dataclass(frozen=True)
class _Roles:
    """Which calls can find anything with a pack's reconciled config: the Python SDK runs only
    remediations at the `remediate` level and no disabled policy, so the other calls are skipped
    (a 200-resource stack saves 200 round trips per pack that remediates nothing)."""

    remediates: bool
    analyzes: bool
    checks_stack: bool


def _roles(policies: Sequence[PolicyInfo], config: Mapping[str, PolicyConfig]) -> _Roles:
    def level(policy: PolicyInfo) -> str | None:
        return config[policy.name].enforcement if policy.name in config else policy.enforcement

    resource = [p for p in policies if p.kind != "stack"]  # "unknown" (an older SDK): could be either
    stack = [p for p in policies if p.kind != "resource"]
    return _Roles(
        remediates=any(level(p) == "remediate" for p in resource),
        analyzes=any(level(p) != "disabled" for p in resource),
        checks_stack=any(level(p) != "disabled" for p in stack),
    )


def _connected(launched: Launched) -> Analyzer | PackError:
    try:
        return connect(launched)
    except PackError as exc:
        return exc


def _provider(record: ResourceState | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"urn": record.urn, "type": record.type, "name": parse_urn(record.urn).name,
            "properties": mark_secrets(record.inputs, record.secret_inputs)}


@dataclass(frozen=True)
class PolicyOutcome:
    violations: tuple[PolicyViolation, ...] = ()
    error: str | None = None  # fails the stack: a mandatory violation, or a pack that broke down
    blocked: bool = False  # a mandatory violation: an update must not apply anything


def start_policies(
    packs: Sequence[PolicyPackRef],
    *,
    operation: str,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Iterable[str],
    launched: Sequence[Launched] = (),
) -> PolicyHost | None:
    """The stack's packs, for previews and updates (Pulumi runs none on destroy or refresh):
    those the parent started (`launched`), else started now."""
    if not packs or operation not in ("preview", "update"):
        return None
    return PolicyHost(packs, project=project, stack=stack, dry_run=operation == "preview",
                      config=config, secret_keys=secret_keys, launched=launched)


def finish_policies(
    policies: PolicyHost | None, resources: Sequence[ResourceState], *, failed: bool, dry_run: bool
) -> PolicyOutcome:
    """Stack policies on `resources` (only after a run that did not fail, as Pulumi), then the
    violations found and, for a mandatory one, the error that fails the stack."""
    if policies is None:
        return PolicyOutcome()
    try:
        if not failed:
            policies.analyze_stack(resources)
    except UserError as exc:
        return PolicyOutcome(tuple(policies.violations()), str(exc))
    finally:
        policies.close()
    mandatory = policies.mandatory()
    # Stack policies run once every step did (as in Pulumi): in an update, what they flag is applied.
    applied = not dry_run and all(v in policies.from_stack for v in mandatory)
    error = blocked_message(mandatory, dry_run=dry_run, applied=applied) if mandatory else None
    return PolicyOutcome(tuple(policies.violations()), error, blocked=bool(mandatory))


def blocked_message(violations: Sequence[PolicyViolation], *, dry_run: bool, applied: bool = False) -> str:
    """The stack's error when mandatory policies were violated: in a preview; in an update, by a
    resource (its step and the rest were not applied) or by a stack policy after the update
    (`applied`: it ran on the stack's new state, which stays until the next deploy)."""
    listed = "; ".join(
        f"{v.policy_pack}/{v.policy} on {parse_urn(v.urn).name if v.urn else 'the stack'}" for v in violations[:3]
    )
    more = f" and {len(violations) - 3} more" if len(violations) > 3 else ""
    count = f"{len(violations)} mandatory policy violation{'s' if len(violations) != 1 else ''}"
    stopped = "" if dry_run else "; the update stopped at the violating resource"
    if applied:
        stopped = ("; the update was applied (stack policies check the stack's new state, unknown in its preview): "
                   "fix the program or the policy and deploy again")
    return f"{count}: {listed}{more}{stopped}"

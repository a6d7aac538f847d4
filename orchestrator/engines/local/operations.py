"""The operations the child runs, one function each, dispatched on the job's `Operation`.

Every operation starts from the same `StackContext`: the stack's config and secrets, its
recorded state and a redactor that knows every secret of both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from orchestrator.engines.base import COUNTED_OPS, Diagnostic, OpCounts, PolicyViolation, ResourceChange
from orchestrator.engines.local.checkpoint import StateWriter, load_snapshot, peek_salt
from orchestrator.engines.local.child_io import Events
from orchestrator.engines.local.deployment import Deployment
from orchestrator.engines.local.job import Job, JobResult, Operation
from orchestrator.engines.local.policy import PolicyHost, PolicyOutcome, finish_policies, start_policies
from orchestrator.engines.local.program import run_program
from orchestrator.engines.local.props import SecretMasker, display_props, secret_strings
from orchestrator.engines.local.provider_lookup import Providers
from orchestrator.engines.local.refresh import drift_changes, refresh_snapshot
from orchestrator.engines.local.registration import StepFailed
from orchestrator.engines.local.sandbox_check import SandboxCheck
from orchestrator.engines.local.stack_refs import make_stack_reference_reader
from orchestrator.engines.local.state import SecretsManager, Snapshot, describe_pending, state_path
from orchestrator.errors import UserError

REPAIR_HINT = "orchestrator stack repair --project {project} --env {env}"
# Operations that write state, and so refuse to run over an interrupted run's pending operations.
MUTATING: frozenset[Operation] = frozenset({"update", "destroy", "refresh"})


@dataclass
class StackContext:
    """What every operation starts from."""

    job: Job
    emit: Events
    passphrase: str | None
    config: dict[str, str]
    secret_keys: frozenset[str]
    path: Path
    secrets: SecretsManager
    snapshot: Snapshot
    redact: SecretMasker
    policies: PolicyHost | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def writer(self) -> StateWriter:
        return StateWriter(self.path, stack_name=self.job.stack_name, secrets=self.secrets)

    def providers(self) -> Providers:
        return Providers(self.job, dict(self.config))


Handler = Callable[[StackContext], JobResult]


def run_job(job: Job, emit: Events) -> JobResult:
    ctx = _load_context(job, emit)
    if job.operation != "repair" and ctx.snapshot.pending_operations:
        message = _pending_message(job, ctx.snapshot)
        if job.operation in MUTATING and not job.allow_pending:
            if ctx.policies is not None:
                ctx.policies.close()
            pending = tuple(describe_pending(ctx.snapshot.pending_operations))
            return JobResult.failed(job.operation, message, pending=pending)
        ctx.diagnostics.append(Diagnostic("warning", message if not job.allow_pending else
                                          "clearing pending operations (--allow-pending): " + message))
    return HANDLERS[job.operation](ctx)


def _load_context(job: Job, emit: Events) -> StackContext:
    from orchestrator.engines.local import secrets as stack_secrets

    passphrase = stack_secrets.read_passphrase()
    cfg = stack_secrets.load_stack_config(job.project_dir, job.project, job.stack, job.env_config, passphrase)
    config, secret_keys = dict(cfg.values), frozenset(cfg.secret_keys)
    # The packs boot (about as long as the SDK's imports) while the program gets ready.
    policies = start_policies(job.policy_packs, operation=job.operation, project=job.project, stack=job.stack,
                              config=config, secret_keys=secret_keys, launched=job.policy_packs_started)
    path = state_path(job.backend_dir, job.project, job.stack)
    # The checkpoint is decrypted with the salt it records (its secrets_providers state); the
    # stack file's encryptionsalt only seeds a new stack's state, as Pulumi does.
    salt = peek_salt(path) or cfg.encryption_salt
    secrets = SecretsManager(salt=salt, passphrase=passphrase, stack_label=job.label)
    secrets.prefetch()
    if job.operation in ("preview", "update"):
        import pulumi.runtime.stack  # noqa: F401  (imported while the key is derived)
    snapshot = load_snapshot(path, secrets)
    return StackContext(
        job=job, emit=emit, passphrase=passphrase, config=config, secret_keys=secret_keys, path=path,
        secrets=secrets, snapshot=snapshot, redact=_redactor_for(config, secret_keys, snapshot), policies=policies,
    )


def _pending_message(job: Job, snapshot: Snapshot) -> str:
    listed = "; ".join(describe_pending(snapshot.pending_operations))
    return (
        f"stack {job.label} has {len(snapshot.pending_operations)} pending operation(s) left by an "
        f"interrupted run: {listed}. The cloud may hold resources the state does not know, or the "
        f"state may name resources that are gone. Check them, then run "
        f"`{REPAIR_HINT.format(project=job.orchestrator_project, env=job.environment)}` "
        f"(or pass --allow-pending) to clear them"
    )


def _redactor_for(config: dict[str, str], secret_keys: frozenset[str], snapshot: Snapshot) -> SecretMasker:
    redact = SecretMasker(config[k] for k in secret_keys if k in config)
    for res in snapshot.resources:
        for key in res.secret_inputs:
            redact.add(secret_strings(res.inputs.get(key)))
        for key in res.secret_outputs:
            redact.add(secret_strings(res.outputs.get(key)))
    return redact


def _drift_counts(changes: list[ResourceChange], same: int) -> OpCounts:
    return OpCounts(update=sum(c.op == "update" for c in changes),
                    delete=sum(c.op == "delete" for c in changes), same=same)


# --------------------------------------------------------------------------- operations


def drift(ctx: StackContext) -> JobResult:
    changes, failures, same = drift_changes(ctx.snapshot, ctx.providers(), ctx.redact)
    return JobResult(
        status="failed" if failures else "succeeded", operation="drift", counts=_drift_counts(changes, same),
        changes=tuple(changes), diagnostics=(*ctx.diagnostics, *failures),
        error="; ".join(d.message for d in failures) or None,
    )


def refresh(ctx: StackContext) -> JobResult:
    refreshed, changes, failures, same = refresh_snapshot(ctx.snapshot, ctx.providers(), ctx.redact)
    diagnostics = (*ctx.diagnostics, *failures)
    if failures:
        return JobResult.failed("refresh", "; ".join(d.message for d in failures), changes=tuple(changes),
                                diagnostics=diagnostics)
    if changes:
        ctx.writer().write(refreshed)
    return JobResult(status="succeeded", operation="refresh", counts=_drift_counts(changes, same),
                     changes=tuple(changes), diagnostics=diagnostics)


def repair(ctx: StackContext) -> JobResult:
    """Clear pending operations, saying what each may have left behind."""
    job, snapshot = ctx.job, ctx.snapshot
    if not snapshot.pending_operations:
        return JobResult(status="succeeded", operation="repair",
                         diagnostics=(Diagnostic("info", f"stack {job.label} has no pending operations"),))
    notes: list[str] = []
    for op in snapshot.pending_operations:
        urn = op.resource.urn
        if op.type == "creating":
            notes.append(f"{urn}: an interrupted create; if it reached the cloud, that object is not in state "
                         "and must be deleted or imported by hand")
        elif op.type == "updating":
            notes.append(f"{urn}: an interrupted update; state keeps the previous inputs, the next update "
                         "applies the program's values again")
        else:
            notes.append(f"{urn}: an interrupted delete; state still lists it, the next update deletes it again "
                         "(a delete of an already-deleted object is treated as done by the providers)")
    ctx.writer().write(replace(snapshot, pending_operations=()))
    return JobResult(status="succeeded", operation="repair", repaired=tuple(notes),
                     diagnostics=tuple(Diagnostic("warning", n) for n in notes))


def _deployment(ctx: StackContext, providers: Providers, *, dry_run: bool) -> Deployment:
    job = ctx.job
    return Deployment(
        project=job.project,
        stack=job.stack,
        old=Snapshot(resources=ctx.snapshot.resources, salt=ctx.snapshot.salt),
        providers=providers,
        dry_run=dry_run,
        writer=None if dry_run else ctx.writer(),
        redactor=ctx.redact,
        emit=ctx.emit,
        read_stack_reference=make_stack_reference_reader(job, ctx.passphrase),
        provider_version=providers.provider_version,
        policy=ctx.policies,
    )


def deploy(ctx: StackContext) -> JobResult:
    """preview and update: run the program; an update applies each step as it comes."""
    job = ctx.job
    dry_run = job.operation == "preview"
    providers = ctx.providers()
    deployment = _deployment(ctx, providers, dry_run=dry_run)
    check = None
    if job.aws.endpoint == "sandbox":
        check = SandboxCheck(ctx.snapshot, providers, "aws.endpoint: sandbox").start()
    if ctx.policies is not None:
        try:
            ctx.policies.ready()
        except UserError as exc:
            ctx.policies.close()
            return JobResult.failed(job.operation, ctx.redact(str(exc)))
    error = run_program(job, deployment, providers, ctx.config, ctx.secret_keys, dry_run=dry_run)
    if error is None:
        try:
            deployment.finish()
        except StepFailed as exc:
            error = str(exc)
    if error is None and dry_run:
        error = _unwritable_secrets(ctx, deployment)
    elif not dry_run:
        # Record what did happen before the failure (no deletes: the program did not finish).
        with contextlib.suppress(Exception):
            deployment.flush(final=True)
    policy = finish_policies(ctx.policies, list(deployment.new.values()), failed=error is not None, dry_run=dry_run)
    if check is not None:
        found = check.diagnostic()
        if found is not None:
            ctx.diagnostics.append(found)
    return _outcome(ctx, deployment, error or policy.error, policy)


def _unwritable_secrets(ctx: StackContext, deployment: Deployment) -> str | None:
    """A preview fails as its update would: secret values cannot be written to state without
    the passphrase (a preview writes nothing, so it used to pass, and the merge then failed)."""
    holder = next((r for r in deployment.new.values() if r.secret_inputs or r.secret_outputs), None)
    if holder is None:
        return None
    try:
        ctx.secrets.crypter()
    except UserError as exc:
        return f"{holder.type} {holder.urn.rsplit('::', 1)[-1]}: {exc}"
    return None


def destroy(ctx: StackContext) -> JobResult:
    """destroy and destroy-preview: delete every recorded resource, dependents first (a stack
    that was never deployed is answered by the engine without a child)."""
    deployment = _deployment(ctx, ctx.providers(), dry_run=ctx.job.operation == "destroy-preview")
    error: str | None = None
    try:
        deployment.destroy(ctx.snapshot.resources)
    except StepFailed as exc:
        error = str(exc)
    return _outcome(ctx, deployment, error)


def _outcome(ctx: StackContext, deployment: Deployment, error: str | None,
             policy: PolicyOutcome | None = None) -> JobResult:
    job = ctx.job
    all_changes = deployment.changes()
    counted = [c for c in all_changes if c.op in COUNTED_OPS]
    shown = [c for c in all_changes if c.op != "same"]
    # What the engine lacks is the story, not the traceback it caused.
    error = deployment.unsupported_summary() or error
    diagnostics = list(dict.fromkeys([*ctx.diagnostics, *deployment.diagnostics,
                                      *deployment.unsupported_diagnostics()]))
    outputs = {} if job.operation.startswith("destroy") else display_props(
        deployment.stack_outputs, deployment.stack_secret_outputs
    )
    return JobResult(
        status="failed" if error else "succeeded",
        operation=job.operation,
        counts=OpCounts.of(counted),
        changes=tuple(shown),
        diagnostics=tuple(Diagnostic(d.severity, ctx.redact(d.message), d.urn) for d in diagnostics),
        outputs=outputs,
        error=ctx.redact(error) if error is not None else None,
        needs_apply=bool(shown) or deployment.dirty or bool(ctx.snapshot.pending_operations),
        writes=deployment.writes,
        policy_violations=tuple(
            PolicyViolation(v.policy_pack, v.policy, v.enforcement, ctx.redact(v.message), v.urn)
            for v in (policy.violations if policy is not None else ())
        ),
        policy_blocked=policy is not None and policy.blocked,
    )


HANDLERS: dict[Operation, Handler] = {
    "preview": deploy,
    "update": deploy,
    "destroy": destroy,
    "destroy-preview": destroy,
    "drift": drift,
    "refresh": refresh,
    "repair": repair,
}

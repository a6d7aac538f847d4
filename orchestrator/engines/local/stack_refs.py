"""`pulumi.StackReference(name)`: another stack's outputs, read from its state in the
same backend, or, for an upstream previewed in the same plan, from that preview. A review
stack's references may be redirected (`Job.redirects`): to the upstream's review stack, or to
the environment's own stack when the upstream has none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.engines.local.checkpoint import load_snapshot, peek_salt
from orchestrator.engines.local.job import Job
from orchestrator.engines.local.props import UNKNOWN_MARKER
from orchestrator.engines.local.state import SecretsManager, state_path
from orchestrator.errors import UserError


def make_stack_reference_reader(job: Job, passphrase: str | None) -> Any:
    def read(name: str) -> tuple[dict[str, Any], frozenset[str]]:
        parts = name.split("/")
        if len(parts) == 3:
            project, stack = parts[1], parts[2]
        elif len(parts) == 2:
            project, stack = parts
        elif len(parts) == 1 and parts[0]:
            project, stack = job.project, parts[0]
        else:
            raise UserError(f"stack reference {name!r} is not `<org>/<project>/<stack>`")
        stack = job.redirects.get(f"{project}/{stack}", stack)
        path = state_path(job.backend_dir, project, stack)
        previewed = job.previewed.get((project, stack)) if job.operation == "preview" else None
        if previewed is not None:  # the upstream was previewed in this plan: read what its preview left
            return _previewed(previewed, path, f"{project}/{stack}", passphrase)
        if not path.exists():
            raise UserError(
                f"stack reference {name!r}: stack {project}/{stack} does not exist in backend "
                f"{job.backend_dir} (no {path})",
                f"update the {project} stack for this environment first",
            )
        secrets = SecretsManager(salt=peek_salt(path), passphrase=passphrase, stack_label=f"{project}/{stack}")
        outputs, secret_keys = load_snapshot(path, secrets).stack_outputs()
        return outputs, secret_keys

    return read


def _previewed(
    previewed: tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]], path: Path, label: str, passphrase: str | None
) -> tuple[dict[str, Any], frozenset[str]]:
    """Known outputs as previewed, the rest unknown; a secret output never travels between
    stacks: its deployed value stands (unknown when the upstream was never deployed)."""
    values, unknown, secret = previewed
    deployed: dict[str, Any] = {}
    if secret and path.exists():
        manager = SecretsManager(salt=peek_salt(path), passphrase=passphrase, stack_label=label)
        deployed = load_snapshot(path, manager).stack_outputs()[0]
    kept = {k: deployed[k] for k in secret if k in deployed}
    unknowns = dict.fromkeys([*unknown, *(k for k in secret if k not in deployed)], UNKNOWN_MARKER)
    return {**values, **kept, **unknowns}, frozenset(kept)

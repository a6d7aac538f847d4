"""`pulumi.StackReference(name)`: another stack's outputs, read from its state in the
same backend."""

from __future__ import annotations

from typing import Any

from orchestrator.engines.local.checkpoint import load_snapshot, peek_salt
from orchestrator.engines.local.job import Job
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
        path = state_path(job.backend_dir, project, stack)
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

"""What the flows redact beyond credential-looking text: the plain values of the stacks'
`secure:` config, so that a program echoing one into an output or a message does not show
it in a comment, status, report or log."""

from __future__ import annotations

from collections.abc import Iterable

from orchestrator.errors import UserError
from orchestrator.models import StackSpec


def secret_values(specs: Iterable[StackSpec]) -> list[str]:
    """Plain values of the `secure:` config of these stacks, for a `Redactor`.

    Best effort, and never an error. Without a passphrase (PULUMI_CONFIG_PASSPHRASE unset and
    PULUMI_CONFIG_PASSPHRASE_FILE unset or unreadable), or for a stack whose config does not
    load or decrypt, those values are left out: then nothing in this process can read them
    either, so none can leak, and the stacks that need them fail in their engine with an error
    that names the passphrase setting. The run goes on, so it is recorded as finished and
    reported where its user looks (PR comment, statuses, drift report); stacks that need no
    passphrase (another secrets provider) still run.
    """
    from orchestrator.engines.local.secrets import load_stack_config, read_passphrase

    try:
        passphrase = read_passphrase()
    except UserError:  # an unreadable passphrase file: the engines report it, stack by stack
        passphrase = None
    found: list[str] = []
    for spec in specs:
        try:
            config = load_stack_config(spec.directory, spec.project, spec.stack_name, spec.config, passphrase)
        except UserError:
            continue
        found.extend(config.values[key] for key in config.secret_keys if key in config.values)
    return found

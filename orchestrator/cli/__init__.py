"""The command line: one module per command group, imported only when its command runs.

`root` holds the root group, the configuration commands (plan, environments, projects,
explain) and `main`, the console entry point with the one error boundary; `options` what
the commands share. The others are named after their command (`preview`, `deploy` with
promote and rollback, `drift`, `store` with history and locks, `stack`, `sandbox`, `init`,
`serve`); `text` prints plans, configuration and deploy outcomes for people.
"""

from orchestrator.cli.root import cli, main

__all__ = ["cli", "main"]

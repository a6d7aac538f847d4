"""Pure: a deleted project that other projects still read through StackReferences.

Destroying its stack would pull the outputs from under those programs (their next preview
or update fails on the missing stack), so the destroy is refused: it fails on the pull
request, naming every reader and where it reads, until the references are gone too.
"""

from __future__ import annotations

from orchestrator.config.resolved import RepoConfig


def still_read_by(head: RepoConfig, deleted: str, environment: str) -> dict[str, tuple[str, ...]]:
    """The head's projects with a stack in `environment` that still reference `deleted`: name -> file:line."""
    readers: dict[str, tuple[str, ...]] = {}
    for name in sorted(head.projects):
        project = head.projects[name]
        if name == deleted or not head.deploys(name, environment):
            continue
        where = tuple(site.where for site in project.stack_reference_sites if site.project == deleted)
        if where:
            readers[name] = where
    return readers


def refusal(head: RepoConfig, deleted: str, environment: str) -> str | None:
    """Why the stack of `deleted` in `environment` must not be destroyed, or None."""
    readers = still_read_by(head, deleted, environment)
    if not readers:
        return None
    listed = "; ".join(f"{name} ({', '.join(where)})" for name, where in readers.items())
    return (
        f"project {deleted} is deleted, but {listed} still read{'s' if len(readers) == 1 else ''} its outputs "
        f"through StackReference: destroying its {environment} stack would break "
        f"{'it' if len(readers) == 1 else 'them'}. Remove those StackReferences in this change too, "
        "or keep the project."
    )

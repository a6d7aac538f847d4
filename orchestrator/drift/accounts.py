"""Which accounts the unmanaged-resource scan lists, and what the stacks of each one own.

Environments that share one account and region are listed once; their findings go to the
group's owner, the first of them in promotion order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.config.resolved import Environment, RepoConfig, UnmanagedSettings
from orchestrator.drift.model import Finding, UnmanagedScan
from orchestrator.drift.owned import owned_in_backend
from orchestrator.errors import UserError
from orchestrator.models import AwsSettings

Scanner = Callable[
    [str, AwsSettings, "str | None", Collection[str], UnmanagedSettings], tuple[list[Finding], UnmanagedScan]
]


@dataclass(frozen=True)
class AccountGroup:
    """Environments that share one account and region: scanned once, reported under `owner`."""

    owner: str
    environments: tuple[str, ...]
    aws: AwsSettings
    endpoint: str | None


def account_groups(config: RepoConfig, resolve: Callable[[AwsSettings], str | None]) -> list[AccountGroup]:
    """Every environment of the configuration grouped by (endpoint, region, profile, role).

    Stacks of every environment in a group own resources in the same listing, so ownership
    is the union of their states; the owner is the first environment of the group in
    promotion order, the same whichever environments a run checks, so a finding keeps its key.
    """
    groups: dict[tuple[Any, ...], list[Environment]] = {}
    for env in sorted(config.environments.values(), key=lambda e: (e.order, e.name)):
        endpoint = resolve(env.aws)
        groups.setdefault((endpoint, env.aws.region, env.aws.profile, env.aws.role_arn), []).append(env)
    return [
        AccountGroup(owner=envs[0].name, environments=tuple(e.name for e in envs), aws=envs[0].aws, endpoint=key[0])
        for key, envs in groups.items()
    ]


def owned_ids(config: RepoConfig, environments: Iterable[str]) -> set[str]:
    """Identifiers owned by the stacks of `environments`, from their `file://` state."""
    owned: set[str] = set()
    for name in environments:
        env = config.environment(name)
        backend = config.backend_url(name)
        if not backend.startswith("file://"):
            raise UserError(
                f"cannot tell which resources the stacks of {name} own: backend {backend} is not a file:// backend",
                f"disable the scan with drift.unmanaged.enabled: false in {env.source}",
            )
        for project in config.projects:
            if config.deploys(project, name):
                owned |= owned_in_backend(backend, config.project(project).name, env.stack_name(project))
    return owned


def scan_accounts(
    config: RepoConfig, chosen: Sequence[str], scanner: Scanner
) -> tuple[dict[str, tuple[list[Finding], UnmanagedScan]], list[str]]:
    """Scan each account of the chosen environments once; findings go to the group's owner,
    with notes on the accounts that several environments share."""
    from orchestrator.sandbox import resolve_endpoint

    out: dict[str, tuple[list[Finding], UnmanagedScan]] = {}
    notes: list[str] = []
    unresolved: dict[str, str] = {}

    def resolve(aws: AwsSettings) -> str | None:
        try:
            return resolve_endpoint(aws, config.root)
        except UserError as exc:
            unresolved[aws.endpoint or ""] = exc.message
            return f"unresolved:{aws.endpoint}"

    for group in account_groups(config, resolve):
        if not any(e in chosen for e in group.environments):
            continue
        owner = config.environment(group.owner)
        if not owner.drift.unmanaged.enabled:
            continue
        if len(group.environments) > 1:
            notes.append(f"environments {', '.join(group.environments)} share one account and region: "
                         f"its unmanaged resources are reported under {group.owner}")
        started = time.monotonic()
        try:
            if group.endpoint is not None and group.endpoint.startswith("unresolved:"):
                raise UserError(unresolved.get(owner.aws.endpoint or "", "endpoint unresolved"))
            owned = owned_ids(config, group.environments)
            out[group.owner] = scanner(group.owner, group.aws, group.endpoint, owned, owner.drift.unmanaged)
        except UserError as exc:
            out[group.owner] = ([], UnmanagedScan(environment=group.owner, region=group.aws.region, scanned=0,
                                                  excluded=0, error=exc.message,
                                                  duration_s=time.monotonic() - started))
    return out, notes


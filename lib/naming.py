"""Resource names shared by all projects, so the same thing is called the same everywhere.

Logical names are `<env>-<project>-<component>`: the environment first so resources of
all environments sharing one account (or the sandbox) sort and filter by environment.
Pulumi appends a random suffix to the physical name where none is given.
"""

from __future__ import annotations

import re

_INVALID = re.compile(r"[^a-z0-9-]+")


def _slug(part: str) -> str:
    slug = _INVALID.sub("-", part.lower()).strip("-")
    if not slug:
        raise ValueError(f"name part {part!r} has no letters or digits")
    return slug


def resource_name(project: str, environment: str, component: str) -> str:
    """Logical name, e.g. `dev-network-events`; valid for S3, SQS, DynamoDB and IAM alike."""
    name = "-".join(_slug(p) for p in (environment, project, component))
    # Leave room for Pulumi's 8-character autoname suffix within S3's 63-character limit.
    if len(name) > 55:
        raise ValueError(f"resource name {name!r} is longer than 55 characters")
    return name


def parameter_path(environment: str, project: str, key: str) -> str:
    """SSM parameter path, e.g. `/dev/network/events-queue-url`."""
    return "/" + "/".join(_slug(p) for p in (environment, project, key))


def namespace(project: str, environment: str) -> str:
    """Kubernetes namespace of a project in an environment, e.g. `app-dev`."""
    return f"{_slug(project)}-{_slug(environment)}"

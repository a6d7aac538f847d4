"""Standard tags (AWS) and labels (Kubernetes) every sample resource carries."""

from __future__ import annotations

ORGANIZATION = "acme"
MANAGED_BY = "pulumi"


def standard_tags(project: str, environment: str, **extra: str) -> dict[str, str]:
    """AWS tags: who owns a resource and which stack manages it (cost reports group by these)."""
    return {
        "Organization": ORGANIZATION,
        "Project": project,
        "Environment": environment,
        "ManagedBy": MANAGED_BY,
        "Stack": f"{project}/{environment}",
        **extra,
    }


def k8s_labels(project: str, environment: str, component: str) -> dict[str, str]:
    """Kubernetes recommended labels (app.kubernetes.io/*); also used as selectors."""
    return {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/part-of": project,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "acme.example/environment": environment,
    }

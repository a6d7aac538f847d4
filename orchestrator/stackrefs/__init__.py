"""StackReference discovery in every Pulumi language (Python, TypeScript, JavaScript, Go, C#, Java, YAML)."""

from orchestrator.stackrefs.scan import (
    SUFFIXES,
    StackReferenceSite,
    find_stack_references,
    read_candidates,
    sites_by_owner,
    sites_in,
)
from orchestrator.stackrefs.stack_config import resolve_from_stack_config, stack_of

__all__ = [
    "SUFFIXES",
    "StackReferenceSite",
    "find_stack_references",
    "read_candidates",
    "resolve_from_stack_config",
    "sites_by_owner",
    "sites_in",
    "stack_of",
]

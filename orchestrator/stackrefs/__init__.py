"""StackReference discovery in every Pulumi language (Python, TypeScript, JavaScript, Go, C#, Java, YAML)."""

from orchestrator.stackrefs.scan import (
    SUFFIXES,
    StackReferenceSite,
    find_stack_references,
    read_candidates,
    sites_by_owner,
    sites_in,
)

__all__ = ["SUFFIXES", "StackReferenceSite", "find_stack_references", "read_candidates", "sites_by_owner", "sites_in"]

"""A GitOps orchestrator for Pulumi stacks."""

__version__ = "0.1.0"

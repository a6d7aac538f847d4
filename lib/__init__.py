"""Shared helpers for the sample Pulumi projects under stacks/.

Every project imports this package, and orchestrator.yaml watches `lib/**`, so a change
here plans every project. Pure Python on purpose: no Pulumi import, easy to test.
"""

from lib import naming, tags

__all__ = ["naming", "tags"]

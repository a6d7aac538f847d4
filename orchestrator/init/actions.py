"""The actions the generated workflows use, pinned to full commit SHAs (their version in a comment).

A tag can be moved to other code; a commit SHA cannot. Each SHA below is the commit the
version's tag points at in the action's own repository (`git rev-parse <tag>^{commit}` on a
clone of it); tests/init checks every generated `uses:` against this table. To update: take
the new release's tag commit the same way, and change the SHA and the version together.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionPin:
    repository: str
    sha: str
    version: str

    def __str__(self) -> str:
        """The `uses:` value with its version comment: `owner/name@<sha>  # vX.Y.Z`."""
        return f"{self.repository}@{self.sha}  # {self.version}"


ACTIONS: dict[str, ActionPin] = {
    "checkout": ActionPin("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "setup_python": ActionPin("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "upload_artifact": ActionPin("actions/upload-artifact", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "download_artifact": ActionPin("actions/download-artifact", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "pulumi": ActionPin("pulumi/actions", "8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0"),
    "configure_aws_credentials": ActionPin(
        "aws-actions/configure-aws-credentials", "e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"
    ),
}

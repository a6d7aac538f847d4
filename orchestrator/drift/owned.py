"""Which cloud resources the stacks own: identifiers read from their state (checkpoints)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from orchestrator.drift.cloud import BUCKET, QUEUE, CloudResource, is_url, queue_from_arn, queue_from_url

# State may record a resource under an older token (pulumi-aws aliases BucketV2 to Bucket).
_TYPE_ALIASES: dict[str, str] = {"aws:s3/bucketV2:BucketV2": BUCKET}
_OWNED_FIELDS = ("arn", "id", "url", "bucket", "name")


def owned_identifiers(state_resources: Iterable[Mapping[str, Any]]) -> set[str]:
    """Identifiers that stacks' state owns, from checkpoint resources (raw JSON dicts).

    ARNs and URLs are kept as they are (they are unambiguous); any other id or name is
    qualified by the resource's type (`aws:s3/bucket:Bucket::my-bucket`), so a queue named
    `orders` in state does not hide a hand-made bucket named `orders`. Secret outputs are
    encrypted envelopes, not strings, and are skipped.
    """
    owned: set[str] = set()
    for resource in state_resources:
        type_token = str(resource.get("type", ""))
        if not type_token or type_token.startswith("pulumi:"):
            continue  # the stack itself, providers, stack references
        type_token = _TYPE_ALIASES.get(type_token, type_token)
        outputs = resource.get("outputs") or {}
        values = [resource.get("id"), *(outputs.get(key) for key in _OWNED_FIELDS)]
        for value in values:
            if not isinstance(value, str) or not value:
                continue
            if value.startswith("arn:") or is_url(value):
                owned.add(value)
            else:
                owned.add(typed_name(type_token, value))
    return owned


def typed_name(type_token: str, name: str) -> str:
    return f"{type_token}::{name}"


def checkpoint_resources(path: Path) -> list[dict[str, Any]]:
    """The resources of a Pulumi checkpoint file (local engine or a `file://` Pulumi backend),
    including those of pending operations (a create that was interrupted may exist).

    Read without decrypting: ownership needs ids and ARNs, never secret values.
    A missing file is a stack never deployed: no resources.
    """
    from orchestrator.errors import UserError

    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(
            f"state file {path} cannot be read ({exc})", f"restore it from {path.name}.bak beside it"
        ) from exc
    latest = (data.get("checkpoint") or {}).get("latest") or {}
    resources = [r for r in latest.get("resources") or () if isinstance(r, dict)]
    pending = [p["resource"] for p in latest.get("pending_operations") or () if isinstance(p.get("resource"), dict)]
    return resources + pending


def owned_in_backend(backend: str, project: str, stack: str) -> set[str]:
    """`owned_identifiers` of one stack's checkpoint in a `file://` backend."""
    from orchestrator.engines.local.state import backend_dir, state_path

    return owned_identifiers(checkpoint_resources(state_path(backend_dir(backend), project, stack)))


class OwnedIndex:
    """Answers "does a stack own this cloud resource?" for the identifiers state gives.

    An SQS queue is recorded by URL (its id) but listed by ARN; URLs differ by endpoint
    (`https://sqs.us-east-1.amazonaws.com/...`, `http://127.0.0.1:5000/...`, the legacy
    `https://queue.amazonaws.com/...`), so a queue is matched on (account, name) from
    the URL's path.
    """

    def __init__(self, owned: Collection[str]) -> None:
        self._exact = frozenset(owned)
        self._queues: set[tuple[str, str]] = set()
        for value in self._exact:
            if is_url(value):
                queue = queue_from_url(value)
                if queue is not None:
                    self._queues.add(queue)

    def owns(self, resource: CloudResource) -> bool:
        exact = self._exact
        if resource.arn in exact or typed_name(resource.type, resource.name) in exact:
            return True
        if resource.name in exact:  # a plain name from a caller that does not qualify names
            return True
        if resource.type == QUEUE:
            if resource.url is not None and resource.url in exact:
                return True
            return queue_from_arn(resource.arn) in self._queues
        return False


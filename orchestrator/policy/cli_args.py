"""A stack's policy packs as the Pulumi CLI takes them: `--policy-pack DIR` and, in the same
order, `--policy-pack-config FILE` (the Automation API's `policy_packs` and `policy_pack_configs`).

The CLI requires one config file per pack when any is given (pkg/cmd/pulumi/operations/up.go,
validatePolicyPackConfig), so a pack without config gets an empty one (`{}`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from orchestrator.models import PolicyPackRef


@contextmanager
def policy_pack_arguments(packs: Sequence[PolicyPackRef]) -> Iterator[dict[str, list[str]]]:
    """Keyword arguments for `Stack.preview`/`Stack.up`; the config files exist until the block ends."""
    if not packs:
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="orchestrator-policy-") as tmp:
        configs: list[str] = []
        for index, pack in enumerate(packs):
            path = Path(tmp) / f"{index}-{pack.directory.name}.json"
            path.write_text(json.dumps(pack.config, indent=1, sort_keys=True), encoding="utf-8")
            configs.append(str(path))
        yield {
            "policy_packs": [str(p.directory.resolve()) for p in packs],
            "policy_pack_configs": configs if any(p.config for p in packs) else [],
        }

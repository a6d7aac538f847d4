"""A changed policy pack is a change: which environments' stacks a change set makes run again.

Pure. A file changed under a pack's directory, or the repository-wide pack settings of an
environment changed, plans every stack of each environment that runs the pack, so a pull request
shows what the edited policy would flag before it is merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_LISTED_FILES = 3


def changed_pack_reasons(packs: Mapping[str, Sequence[str]], paths: Iterable[str]) -> dict[str, list[str]]:
    """environment → reasons, for `packs` (environment → the directories of the packs it runs)."""
    changed = sorted(set(paths))
    reasons: dict[str, list[str]] = {}
    for environment, directories in packs.items():
        for directory in directories:
            inside = [p for p in changed if p.startswith(directory + "/")]
            if inside:
                reasons.setdefault(environment, []).append(_reason(directory, inside))
    return reasons


def changed_settings_reasons(
    before: Mapping[str, Sequence[Any]], after: Mapping[str, Sequence[Any]], *, config_file: str
) -> dict[str, list[str]]:
    """environment → reason, where the packs `config_file` gives an environment (path and config
    of each, in order) differ between the base and the head commit."""
    return {
        environment: [f"its policy packs in {config_file} changed"]
        for environment, packs in after.items()
        if environment in before and list(before[environment]) != list(packs)
    }


def _reason(directory: str, files: Sequence[str]) -> str:
    if len(files) == 1:
        return f"changed {files[0]} in policy pack {directory}"
    listed = ", ".join(files[:_LISTED_FILES])
    more = f" and {len(files) - _LISTED_FILES} more" if len(files) > _LISTED_FILES else ""
    return f"{len(files)} files changed in policy pack {directory}/: {listed}{more}"

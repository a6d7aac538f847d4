"""Checking: the proposed configuration loads and finds exactly the detected projects, and the
CI files follow the configuration as it will be on disk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.config.load import CONFIG_FILE, load_repository
from orchestrator.config.tree import WorkTree
from orchestrator.errors import ConfigError, UserError
from orchestrator.init.model import ENVIRONMENTS_DIR, FALLBACK_DRIFT_CRON, Detection, GeneratedFile, Proposal
from orchestrator.init.render import GITHUB_WORKFLOWS, GITLAB_CI_FILE
from orchestrator.init.write import is_kept

if TYPE_CHECKING:
    from orchestrator.config.resolved import RepoConfig


class _OverlayTree:
    """The working tree with some files replaced or added: the repository as init would leave it."""

    def __init__(self, root: Path, files: Mapping[str, bytes], hidden: Sequence[str] = ()) -> None:
        self._base = WorkTree(root)
        self._files = dict(files)
        self._hidden = tuple(d.rstrip("/") + "/" for d in hidden)  # directories whose files on disk don't count
        self.label = "working tree with the files orchestrator init proposes"

    def files(self, under: str) -> list[str]:
        prefix = "" if under in ("", ".") else under.rstrip("/") + "/"
        extra = [p for p in self._files if p.startswith(prefix)]
        base = [p for p in self._base.files(under) if not p.startswith(self._hidden)]
        return sorted(set(base) | set(extra))

    def exists(self, path: str) -> bool:
        return path in self._files or self._base.exists(path)

    def read_many(self, paths: Sequence[str]) -> dict[str, bytes]:
        out = self._base.read_many([p for p in paths if p not in self._files])
        out.update({p: self._files[p] for p in paths if p in self._files})
        return out

    def files_containing(self, under: str, needle: str, suffix: str | tuple[str, ...] = "") -> list[str]:
        target = needle.encode()
        candidates = [p for p in self.files(under) if p.endswith(suffix)]
        return [p for p, text in self.read_many(candidates).items() if target in text]


def load_with(root: Path, files: Mapping[str, bytes], *, hidden: Sequence[str] = ()) -> RepoConfig:
    """The configuration as it would load with `files` written (and files under `hidden` gone)."""
    return load_repository(root, _OverlayTree(root, files, hidden))


def check_generated(detection: Detection, files: Sequence[GeneratedFile]) -> None:
    """The proposed configuration must load and find exactly the detected projects, where they are.

    A failure here is ours (the proposal is wrong), except for layouts the configuration cannot
    express, which get a message saying what to change.
    """
    proposed = {f.path: f.content.encode() for f in files if not _is_ci(f.path)}
    # The proposal alone: environment files already on disk are judged in _check_final_state.
    config = load_with(detection.root, proposed, hidden=[ENVIRONMENTS_DIR])
    found = {name: project.directory for name, project in config.projects.items()}
    expected = {p.name: p.directory for p in detection.projects}
    if found == expected:
        return
    extra = sorted(set(found) - set(expected))
    missing = sorted(set(expected) - set(found))
    moved = sorted(n for n in set(found) & set(expected) if found[n] != expected[n])
    raise UserError(
        "the proposed configuration does not find the detected projects: "
        + "; ".join(
            part
            for part in (
                f"also finds {', '.join(f'{n} ({found[n]})' for n in extra)}" if extra else "",
                f"misses {', '.join(missing)}" if missing else "",
                f"places {', '.join(moved)} elsewhere" if moved else "",
            )
            if part
        ),
        hint="a Pulumi.yaml inside an ignored or skipped directory (a virtual environment, node_modules) "
        "is still read from commits; remove it from the repository or move the projects under one directory",
    )


def _is_ci(path: str) -> bool:
    return path.startswith(GITHUB_WORKFLOWS) or path == GITLAB_CI_FILE


def final_state(
    detection: Detection, proposal: Proposal, config_files: Sequence[GeneratedFile], *, force: bool
) -> tuple[Proposal, list[str]]:
    """The branches and drift cron the CI files need, from the configuration as it will be on disk.

    Files kept (they exist, differ, and no --force) may not fit with the ones written: say so
    rather than leave a configuration that does not load.
    """
    kept = {f.path for f in config_files if is_kept(detection.root / f.path, f.content, force=force)}
    if not kept:
        return proposal, []
    written = {f.path: f.content.encode() for f in config_files if f.path not in kept}
    try:
        config = load_with(detection.root, written)
    except ConfigError as exc:
        return proposal, [f"with the existing files kept, the configuration does not load: {exc.message} (use --force)"]
    notes: list[str] = []
    found, expected = set(config.projects), {p.name for p in detection.projects}
    if found != expected:
        notes.append(
            f"with the existing {CONFIG_FILE} kept, the configuration finds "
            f"{', '.join(sorted(found)) or 'no projects'} instead of {', '.join(sorted(expected))} "
            "(use --force to replace it)"
        )
    if not config.environments:
        return proposal, notes
    branches = tuple(sorted({rule for env in config.environments.values() for rule in env.branch_rules}))
    schedules = {env.drift.schedule for env in config.environments.values()}
    cron = next(iter(schedules)) if len(schedules) == 1 else FALLBACK_DRIFT_CRON
    if branches != proposal.tracked_branches:
        notes.append(f"the CI files follow the existing environments: branches {', '.join(branches)}")
    return replace(proposal, tracked_branches=branches, drift_cron=cron), notes

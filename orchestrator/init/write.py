"""Writing: each generated file written atomically, an existing one replaced only with --force."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from orchestrator.fsutil import atomic_write
from orchestrator.init.model import FileAction, GeneratedFile


def is_kept(target: Path, content: str, *, force: bool) -> bool:
    """Whether an existing file stays as it is: it differs and --force was not given."""
    return target.exists() and not force and target.read_text(encoding="utf-8", errors="replace") != content


def write_files(root: Path, files: Sequence[GeneratedFile], *, force: bool, dry_run: bool) -> list[FileAction]:
    actions: list[FileAction] = []
    for generated in files:
        target = root / generated.path
        exists = target.exists()
        if exists and target.read_text(encoding="utf-8", errors="replace") == generated.content:
            actions.append(FileAction(generated.path, "would skip" if dry_run else "skipped", "already up to date"))
            continue
        if exists and not force:
            actions.append(
                FileAction(generated.path, "would skip" if dry_run else "skipped", "exists; --force replaces it")
            )
            continue
        if dry_run:
            actions.append(
                FileAction(generated.path, "would overwrite" if exists else "would write", generated.purpose)
            )
            continue
        # 0o600: the permission these files have always been written with (tempfile.mkstemp's).
        atomic_write(target, generated.content, mode=0o600)
        actions.append(FileAction(generated.path, "overwritten" if exists else "written", generated.purpose))
    return actions

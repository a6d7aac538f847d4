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


RUNTIME_DIR = ".orchestrator/"
GITIGNORE = ".gitignore"
# Lines of a .gitignore that already keep the runtime directory out of Git.
_IGNORING = {f"{lead}.orchestrator{tail}" for lead in ("", "/") for tail in ("", "/", "/*")}


def ignore_runtime_dir(root: Path, *, dry_run: bool) -> FileAction:
    """Add `.orchestrator/` (state, run store, reports, sandbox files) to the root .gitignore:
    a `git add -A` after a first run would otherwise commit stack state and the database."""
    target = root / GITIGNORE
    text = target.read_text(encoding="utf-8", errors="replace") if target.exists() else ""
    if any(line.strip() in _IGNORING for line in text.splitlines()):
        return FileAction(GITIGNORE, "would skip" if dry_run else "skipped", f"already ignores {RUNTIME_DIR}")
    reason = f"ignore {RUNTIME_DIR} (stack state, run store, reports, sandbox files)"
    if dry_run:
        return FileAction(GITIGNORE, "would append" if text else "would write", reason)
    separator = "" if not text or text.endswith("\n") else "\n"
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    atomic_write(target, f"{text}{separator}{RUNTIME_DIR}\n", mode=mode)
    return FileAction(GITIGNORE, "appended" if text else "written", reason)

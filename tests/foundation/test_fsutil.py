"""The one atomic write and the one process liveness check."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.fsutil import atomic_write, pid_alive


def test_atomic_write_replaces_the_file_whole_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "state.json"
    atomic_write(target, "old ✓\n")
    atomic_write(target, "new ✓\n")
    assert target.read_text(encoding="utf-8") == "new ✓\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]


def test_atomic_write_takes_bytes_as_they_are(tmp_path: Path) -> None:
    target = tmp_path / "Pulumi.dev.yaml"
    atomic_write(target, b"config:\r\n  a: \xff\n")
    assert target.read_bytes() == b"config:\r\n  a: \xff\n"


def test_a_failed_write_keeps_the_old_file_and_removes_its_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.md"
    atomic_write(target, "before")

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, "after")
    assert target.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_mode_sets_the_new_file_permission_before_the_umask(tmp_path: Path) -> None:
    private = tmp_path / "secret.yaml"
    atomic_write(private, "data: x\n", mode=0o600)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    umask = os.umask(0o022)
    os.umask(umask)
    shared = tmp_path / "report.md"
    atomic_write(shared, "# report\n")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o666 & ~umask


def test_pid_alive_for_a_running_process_and_not_for_a_finished_one() -> None:
    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="zombies are read from /proc")
def test_a_zombie_is_not_alive() -> None:
    """An exited child its parent has not reaped still answers signal 0; it holds nothing."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child did not exit"
            time.sleep(0.02)
        os.kill(child.pid, 0)  # the kernel still knows it
        assert not pid_alive(child.pid)
    finally:
        child.wait()

"""A rollback to a commit from before the environment existed (before `orchestrator init`'s files were
committed) says so, naming the commit and what to choose instead: it used to report the environment
unknown, with "known: none", although the working tree defines it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.gitrepo import git
from tests.support.init_repos import commit_all, project, write


def test_rollback_to_a_commit_without_the_environment(tmp_path: Path) -> None:
    root = tmp_path / "infra"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, project("infra/storage", "storage", "dev"))
    before = commit_all(root, "storage project")
    write(root, {"environments/dev.yaml": "branch: main\n"})
    commit_all(root, "adopt the orchestrator")

    done = subprocess.run([sys.executable, "-m", "orchestrator", "rollback", "--repo", str(root), "--env", "dev",
                           "--to", before[:10], "--actor", "oncall"], capture_output=True, text=True, timeout=120,
                          check=False)

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"commit {before[:12]} has no environment 'dev'" in done.stderr
    assert "environments/dev.yaml" in done.stderr and "orchestrator history --env dev" in done.stderr
    assert "known: none" not in done.stderr and "Traceback" not in done.stderr

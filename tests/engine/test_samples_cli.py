"""The sample repository's stacks through `orchestrator stack ...` against moto:
network -> data -> app, linked by StackReference."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orchestrator.cli.stack import stack

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from orchestrator.sandbox import InProcessSandbox

    with InProcessSandbox() as sandbox:
        yield sandbox.endpoint


@pytest.fixture
def sample_repo(tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("environments", "stacks", "lib", "policies"):
        shutil.copytree(REPO_ROOT / name, repo / name)
    if (REPO_ROOT / "orchestrator.yaml").exists():
        shutil.copy(REPO_ROOT / "orchestrator.yaml", repo / "orchestrator.yaml")
    monkeypatch.setenv("ORCHESTRATOR_SANDBOX_ENDPOINT", endpoint)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    return repo


def _run(repo: Path, *args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(stack, [*args, "--repo", str(repo), "--json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.output) if result.output.strip() else None


def test_sample_stacks_update_in_order(sample_repo: Path) -> None:
    for project in ("network", "data", "app"):
        code, preview = _run(sample_repo, "preview", "--project", project, "--env", "dev")
        assert code == 0 and preview["operation"] == "preview", preview
        code, result = _run(sample_repo, "update", "--project", project, "--env", "dev")
        assert code == 0, result
        assert result["status"] == "succeeded" and result["stack"] == f"{project}/dev"
        assert result["counts"]["create"] >= 2
        assert set(result) >= {"stack", "operation", "status", "counts", "changes", "diagnostics",
                               "outputs", "duration_s", "error"}

    code, again = _run(sample_repo, "update", "--project", "app", "--env", "dev")
    assert code == 0 and again["changes"] == []

    code, drift = _run(sample_repo, "drift", "--project", "network", "--env", "dev")
    assert code == 0 and drift["operation"] == "drift" and drift["changes"] == []

    code, outputs = _run(sample_repo, "outputs", "--project", "network", "--env", "dev")
    assert code == 0 and outputs["queue_url"].startswith("http")

    state = sample_repo / ".orchestrator" / "state" / ".pulumi" / "stacks"
    assert sorted(p.name for p in state.iterdir()) >= ["app", "data", "network"]

    code, gone = _run(sample_repo, "destroy", "--project", "app", "--env", "dev")
    assert code == 0 and gone["counts"]["delete"] >= 2


def test_missing_reference_fails_with_exit_1(sample_repo: Path) -> None:
    code, result = _run(sample_repo, "preview", "--project", "app", "--env", "dev")
    assert code == 1
    assert result["status"] == "failed"
    assert "does not exist" in result["error"]


def test_restarted_sandbox_is_reported_plainly(sample_repo: Path, endpoint: str) -> None:
    import urllib.request

    def reset() -> None:
        with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")):
            pass

    reset()  # named objects of the other tests' stacks would clash
    code, made = _run(sample_repo, "update", "--project", "network", "--env", "dev")
    assert code == 0, made["error"]
    reset()  # the sandbox forgets everything, as a restarted one would
    code, preview = _run(sample_repo, "preview", "--project", "network", "--env", "dev")
    assert code == 0
    warnings = [d["message"] for d in preview["diagnostics"] if d["severity"] == "warning"]
    assert warnings and "does not have" in warnings[0] and "restarted" in warnings[0]
    code, drift = _run(sample_repo, "drift", "--project", "network", "--env", "dev")
    assert {c["op"] for c in drift["changes"]} == {"delete"}

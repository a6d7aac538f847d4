"""A CI matrix: each job previews one stack and writes its result; a report job merges the
results into the one consolidated comment. The engine here is a recording fake: what is under
test is the planning, selection, result files and the merge, not an engine."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import OpCounts, PropertyDiff, ResourceChange, StackResult
from orchestrator.flows.preview import PreviewRequest, run_preview
from orchestrator.flows.publish import write_results
from orchestrator.models import StackSpec
from orchestrator.vcs.files import FilesVcs

FILES = {
    "orchestrator.yaml": "watch: ['lib/**']\n",
    "environments/dev.yaml": "branch: main\n",
    "stacks/network/Pulumi.yaml": "name: network\nruntime: python\n",
    "stacks/network/__main__.py": "import pulumi\n",
    "stacks/app/Pulumi.yaml": "name: app\nruntime: python\n",
    "stacks/app/__main__.py": "import pulumi\npulumi.StackReference('organization/network/dev')\n",
    "lib/tags.py": "TAGS = {}\n",
}


def git(repo: Path, *args: str) -> str:
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    return subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    git(root, "checkout", "-q", "-b", "feature")
    (root / "lib/tags.py").write_text("TAGS = {'team': 'core'}\n")
    git(root, "commit", "-q", "-am", "tags")
    return root


class RecordingEngine:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def preview(self, stack: StackSpec) -> StackResult:
        self.calls.append(stack.id)
        change = ResourceChange(f"urn:pulumi:dev::{stack.project}::aws:sqs/queue:Queue::q", "aws:sqs/queue:Queue", "q",
                                "update", (PropertyDiff("tags.team", "add", None, "core"),))
        return StackResult(stack=stack.id, operation="preview", status="succeeded", counts=OpCounts(update=1, same=2),
                           changes=(change,))

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        return {}  # never deployed: a local-engine preview reads them to name the outputs it changes

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the matrix preview must not call {name}")


def test_matrix_jobs_then_one_merged_comment(repo: Path, tmp_path: Path) -> None:
    calls: list[str] = []
    vcs_dir = tmp_path / "vcs"
    results_dir = tmp_path / "results"
    base = PreviewRequest(repo=repo, base="main", head="feature", pr=7)
    for stack in ("network/dev", "app/dev"):  # two matrix jobs
        outcome = run_preview(
            PreviewRequest(repo=repo, base="main", head="feature", pr=7, stacks=(stack,)),
            FilesVcs(vcs_dir),
            engine_factory=lambda _name: RecordingEngine(calls),  # type: ignore[arg-type,return-value]
        )
        assert list(outcome.results) == [stack] and outcome.comment is None
        write_results(results_dir / f"{stack.replace('/', '__')}.json", outcome.results)
    assert sorted(calls) == ["app/dev", "network/dev"]
    assert not (vcs_dir / "comment.md").exists()  # the jobs leave the comment to the report job
    statuses = json.loads((vcs_dir / "statuses.json").read_text())
    assert {s["context"] for s in statuses} == {"orchestrator/preview: network/dev", "orchestrator/preview: app/dev"}

    from dataclasses import replace

    merged = run_preview(replace(base, results_from=results_dir), FilesVcs(vcs_dir),
                         engine_factory=lambda _name: pytest.fail("the report job runs no engine"))
    assert merged.exit_code == 0
    comment = (vcs_dir / "comment.md").read_text()
    assert comment.startswith("<!-- orchestrator:preview -->")
    assert "network" in comment and "app" in comment and "tags.team" in comment
    assert len(calls) == 2


def test_a_missing_matrix_result_fails_its_stack(repo: Path, tmp_path: Path) -> None:
    results_dir = tmp_path / "results"
    one = {"network/dev": StackResult(stack="network/dev", operation="preview", status="succeeded")}
    write_results(results_dir / "network.json", one)
    outcome = run_preview(PreviewRequest(repo=repo, base="main", head="feature", pr=7, results_from=results_dir),
                          FilesVcs(tmp_path / "vcs"), engine_factory=lambda _name: pytest.fail("no engine"))
    assert outcome.results["app/dev"].status == "failed"
    assert "did not finish" in (outcome.results["app/dev"].error or "")
    assert outcome.exit_code == 1


def test_a_stack_outside_the_plan_is_a_clear_error(repo: Path) -> None:
    from orchestrator.errors import UserError

    with pytest.raises(UserError, match="not in the plan"):
        run_preview(PreviewRequest(repo=repo, base="main", head="feature", stacks=("db/dev",)), None)

"""`make demo` end to end, as a new user runs it: every step a real command on the sample
repository, on embedded defaults only (local engine, the embedded AWS, SQLite, files VCS)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(900)  # the whole story on a shared 2-core machine: about 4 minutes when idle
def test_the_demo_tells_the_whole_story_and_leaves_its_artifacts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_", "GITHUB_", "ORCHESTRATOR_"))}
    env["TMPDIR"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator.demo", str(ROOT)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    headings = [
        "1. The sample infrastructure repository",
        "2. The starting state",
        "3. A pull request into main",
        "4. The preview flow",
        "5. Policy as code",
        "6. Merged",
        "7. A lead approves PR #1",
        "8. Out of band",
        "9. A bad change",
        "10. Delivery insights",
        "11. Server mode",
        "Where things are",
        "Now on your own repository",
    ]
    positions = [out.find(h) for h in headings]
    assert all(p >= 0 for p in positions), [h for h, p in zip(headings, positions, strict=True) if p < 0]
    assert positions == sorted(positions)

    from orchestrator.demo import OWN_REPOSITORY_COMMANDS

    for command in OWN_REPOSITORY_COMMANDS:
        assert f"  {command}" in out, "the demo ends with the commands to run on one's own repository"
    repo = Path(re.search(r"^demo repository: +(\S+)$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    vcs = repo.parent / "vcs"
    comment = (vcs / "comment.md").read_text()
    # The last comment: step 9's rollback of dev, a run that names no pull request.
    assert comment.startswith("<!-- orchestrator:deploy:develop -->")
    comments = [f.read_text() for f in sorted((vcs / "pr-1").glob("*.md"))]
    preview = next(c for c in comments if c.startswith("<!-- orchestrator:preview -->"))
    # One Deployed comment per branch the PR reached: develop (dev), then main (qa, uat, prod).
    assert sum(c.startswith("<!-- orchestrator:deploy:develop -->") for c in comments) == 1
    assert sum(c.startswith("<!-- orchestrator:deploy:main -->") for c in comments) == 1
    assert "maxSessionDuration" in preview and "CostCenter" in preview
    # PR #2 meets the sample's policy packs: one advisory and one mandatory violation, which fails it.
    [guarded] = [f.read_text() for f in sorted((vcs / "pr-2").glob("*.md"))]
    assert "| **mandatory** | aws-guard/iam-no-wildcard-admin | dev-reports-exporter |" in guarded
    assert "| advisory | aws-guard/standard-tags | dev-reports-exports |" in guarded
    assert sum(line.startswith("| ") and "aws-guard/" in line for line in guarded.splitlines()) == 2
    statuses = json.loads((vcs / "statuses.json").read_text())
    assert any(s["context"] == "orchestrator/deploy: data/prod" and s["state"] == "success" for s in statuses)
    assert any(s["context"] == "orchestrator/preview: reports/dev" and s["state"] == "failure"
               and s["description"] == "mandatory policy violated: iam-no-wildcard-admin (aws-guard)" for s in statuses)
    deployments = json.loads((vcs / "deployments.json").read_text())
    assert "prod" in json.dumps(deployments)
    report = json.loads((repo.parent / "drift" / "drift-report.json").read_text())
    kinds = {(f["environment"], f["kind"], f["type"]) for f in report["findings"]}
    assert ("prod", "drifted", "aws:s3/bucketVersioning:BucketVersioning") in kinds
    assert any(kind == "unmanaged" for _env, kind, _type in kinds)
    assert (repo.parent / "drift" / "drift-report.html").read_text().startswith("<!DOCTYPE html>")
    assert "remediation of dev (network/dev): succeeded" in out
    # The history the insights show: deploys, the failure in dev, its rollback, the drift found.
    assert "the deploy failed (exit 1), as it should" in out
    assert "http://127.0.0.1:8080/insights?since=1d" in out
    insights = subprocess.run(
        [sys.executable, "-m", "orchestrator", "insights", "--repo", str(repo), "--since", "1d", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    measures = json.loads(insights.stdout)
    dev = measures["environments"]["dev"]
    assert dev["results"]["failed"] >= 1 and dev["results"]["rollback"] >= 1
    # Restored by the rollback: app/dev failed; the stacks the rollback redeployed count as rolled back.
    assert dev["change_failure_rate"] > 0 and dev["time_to_restore"]["count"] >= 1 and dev["unrestored"] == 0
    assert measures["delivery"]["lead_time"]["count"] >= 4 and measures["drift"]["open"] >= 1

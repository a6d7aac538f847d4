"""The files VCS provider: what a host would receive, written to a directory."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from orchestrator.config.resolved import Settings
from orchestrator.errors import UserError
from orchestrator.vcs import PullRequest, VcsClient, make_vcs
from orchestrator.vcs.base import VcsError
from orchestrator.vcs.files import FilesVcs

MARKER = "<!-- orchestrator:preview -->"
SHA = "a" * 40


def test_is_a_vcs_client(tmp_path: Path) -> None:
    assert isinstance(FilesVcs(tmp_path), VcsClient)
    assert isinstance(make_vcs(Settings(), provider="files", out_dir=tmp_path), FilesVcs)
    with pytest.raises(UserError, match="needs an output directory"):
        make_vcs(Settings(vcs_provider="files"))


def test_comment_is_upserted_per_pr(tmp_path: Path) -> None:
    vcs = FilesVcs(tmp_path)
    first = vcs.upsert_comment(7, MARKER, "one")
    second = vcs.upsert_comment(7, MARKER, "two")
    other = vcs.upsert_comment(8, MARKER, "eight")
    deploy = vcs.upsert_comment(7, "<!-- orchestrator:deploy -->", "deployed")
    assert first.created and not second.created and first.id == second.id
    assert other.created and other.id != first.id
    assert deploy.created and deploy.id not in (first.id, other.id)
    assert (tmp_path / "pr-7" / "comment.md").read_text() == f"{MARKER}\ntwo"
    assert (tmp_path / "pr-8" / "comment.md").read_text() == f"{MARKER}\neight"
    assert (tmp_path / "pr-7" / "comment-2.md").read_text() == "<!-- orchestrator:deploy -->\ndeployed"
    assert (tmp_path / "comment.md").read_text() == "<!-- orchestrator:deploy -->\ndeployed"
    assert sorted(p.name for p in (tmp_path / "pr-7").iterdir()) == ["comment-2.md", "comment.md"]


def test_statuses_are_updated_in_place_by_context(tmp_path: Path) -> None:
    vcs = FilesVcs(tmp_path)
    vcs.set_status(SHA, "orchestrator/preview: app/dev", "pending", "running")
    vcs.set_status(SHA, "orchestrator/preview", "pending", "running")
    vcs.set_status(SHA, "orchestrator/preview: app/dev", "success", "+2", target_url="file:///report.md")
    statuses = json.loads((tmp_path / "statuses.json").read_text())
    assert statuses == [
        {
            "sha": SHA,
            "context": "orchestrator/preview: app/dev",
            "state": "success",
            "description": "+2",
            "target_url": "file:///report.md",
        },
        {
            "sha": SHA,
            "context": "orchestrator/preview",
            "state": "pending",
            "description": "running",
            "target_url": None,
        },
    ]
    with pytest.raises(ValueError, match="unknown commit status state"):
        vcs.set_status(SHA, "x", "done", "")  # type: ignore[arg-type]


def test_concurrent_statuses_are_all_kept(tmp_path: Path) -> None:
    vcs = FilesVcs(tmp_path)
    threads = [threading.Thread(target=vcs.set_status, args=(SHA, f"ctx-{i}", "success", "ok")) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(vcs.statuses()) == 20


def test_approvals_permissions_and_teams_come_from_optional_files(tmp_path: Path) -> None:
    vcs = FilesVcs(tmp_path)
    assert vcs.approvals(7) == []
    assert vcs.author_permission("alice") == "none"
    (tmp_path / "approvals.json").write_text(json.dumps({"7": ["bob", "alice", "bob"]}))
    (tmp_path / "permissions.json").write_text(json.dumps({"alice": "maintain"}))
    (tmp_path / "teams.json").write_text(json.dumps({"acme/platform": ["zoe", "alice"]}))
    assert vcs.approvals(7) == ["alice", "bob"]
    assert vcs.author_permission("alice") == "maintain"
    assert vcs.team_members("acme", "platform") == ["alice", "zoe"]
    (tmp_path / "approvals.json").write_text("{not json")
    with pytest.raises(UserError, match=r"approvals.json: not valid JSON \(line 1"):
        vcs.approvals(7)
    (tmp_path / "approvals.json").write_text(json.dumps({"7": "alice"}))
    with pytest.raises(UserError, match="key '7' must be a list of user names"):
        vcs.approvals(7)


def test_pull_requests_from_pulls_json(tmp_path: Path) -> None:
    vcs = FilesVcs(tmp_path)
    pr = PullRequest(7, SHA, "main", "feature", "alice", from_fork=False, merged=False, state="open", title="t")
    vcs.add_pull(pr)
    assert vcs.get_pr(7) == pr
    assert vcs.find_pr_for_commit(SHA) == pr
    assert vcs.find_pr_for_commit("b" * 40) is None
    with pytest.raises(VcsError, match="pull request #8 is not in"):
        vcs.get_pr(8)


def test_issue_lifecycle(tmp_path: Path) -> None:
    vcs = FilesVcs(tmp_path)
    marker = "<!-- orchestrator:drift:prod -->"
    issue = vcs.open_issue("Drift in prod", "2 drifted", marker, labels=["drift"])
    assert (tmp_path / "issues" / f"{issue.number}.md").read_text() == f"{marker}\n2 drifted"
    found = vcs.find_issue(marker)
    assert found is not None and found.number == issue.number and found.labels == ("drift",)
    vcs.update_issue(issue.number, "3 drifted", marker=marker)
    assert (tmp_path / "issues" / f"{issue.number}.md").read_text() == f"{marker}\n3 drifted"
    closed = vcs.close_issue(issue.number, "all resolved")
    assert closed.state == "closed"
    assert vcs.find_issue(marker) is None
    assert vcs.find_issue(marker, include_closed=True) is not None
    index = json.loads((tmp_path / "issues.json").read_text())
    assert index == [
        {
            "number": 1,
            "title": "Drift in prod",
            "state": "closed",
            "marker": marker,
            "labels": ["drift"],
            "comments": ["all resolved"],
        }
    ]
    second = vcs.open_issue("Drift in prod again", "new", marker)
    assert second.number == 2


def test_deployments(tmp_path: Path) -> None:
    vcs = FilesVcs(tmp_path)
    deployment = vcs.create_deployment(SHA, "qa", "deploy app")
    vcs.set_deployment_status(deployment, "in_progress", "running")
    vcs.set_deployment_status(deployment, "success", "done", environment_url="https://qa")
    [record] = json.loads((tmp_path / "deployments.json").read_text())
    assert (record["id"], record["sha"], record["environment"]) == (deployment, SHA, "qa")
    assert [s["state"] for s in record["statuses"]] == ["in_progress", "success"]
    with pytest.raises(VcsError, match="deployment 99 is not in"):
        vcs.set_deployment_status(99, "success", "x")

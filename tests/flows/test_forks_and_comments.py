"""Fork and untrusted pull requests never fail a job for lack of permissions, and a trusted
user's `/orchestrator preview` comment is judged before any of the pull request's code is used.

Against the GitHub stand-in (every call validated against GitHub's API description) and the
real sample repository; the comment events are GitHub's own `issue_comment` example, edited.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from orchestrator.ci.events import IssueCommentEvent
from orchestrator.flows.comment import judge_preview_comment
from orchestrator.flows.preview import PreviewRequest, run_preview
from orchestrator.vcs.github import GitHubClient
from tests.flows.test_preview_github import bump_app_image, client, forbidden_engine
from tests.support.github_standin import GitHubStandIn
from tests.support.preview_repo import BASE_BRANCH, SampleRepo
from tests.support.webhooks import schema_errors, webhook_examples


def comment_event(standin: GitHubStandIn, number: int, body: str, commenter: str) -> dict[str, Any]:
    _, payload = webhook_examples("issue_comment", "created")[0]
    issue = payload["issue"]
    issue["number"] = number
    issue["pull_request"] = {"url": f"{standin.base_url}/repos/{standin.full_name}/pulls/{number}",
                             "html_url": f"https://github.com/{standin.full_name}/pull/{number}",
                             "diff_url": f"https://github.com/{standin.full_name}/pull/{number}.diff",
                             "patch_url": f"https://github.com/{standin.full_name}/pull/{number}.patch"}
    payload["comment"]["body"] = body
    payload["comment"]["user"]["login"] = commenter
    payload["repository"].update(full_name=standin.full_name, name=standin.repo)
    assert schema_errors("issue_comment", payload) == []
    return payload


def actions_env(standin: GitHubStandIn, tmp_path: Path, event: dict[str, Any], name: str) -> dict[str, str]:
    (tmp_path / "event.json").write_text(json.dumps(event))
    for file in ("summary.md", "output"):
        (tmp_path / file).write_text("")
    return {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": name,
            "GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_REPOSITORY": standin.full_name,
            "GITHUB_API_URL": standin.base_url, "GITHUB_TOKEN": standin.token}


def orchestrator(repo: SampleRepo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchestrator", *args, "--repo", str(repo.root)], cwd=repo.root,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


# -- fork and untrusted pull requests ----------------------------------------------------------------


def test_a_fork_s_run_reports_to_the_summary_and_passes(deployed: SampleRepo, github_standin: GitHubStandIn,
                                                        tmp_path: Path) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "fork-in-actions", "1.40-alpine")
    gh.add_pull(number=41, author="outsider", head_sha=head, from_fork=True, base_ref=BASE_BRANCH)
    summary = tmp_path / "summary.md"
    request = PreviewRequest(repo=repo.root, base=BASE_BRANCH, head=head, pr=41, author="outsider", from_fork=True,
                             summary_path=summary)

    outcome = run_preview(request, client(gh), engine_factory=forbidden_engine([]))

    # Before: the job failed on a 403 posting the "not previewed" comment with the fork's read-only token.
    assert outcome.exit_code == 0 and outcome.publish_error is None
    assert gh.calls("POST") == [] and gh.calls("PATCH") == []  # nothing a read-only token would be refused
    assert outcome.notice == ("not previewed; the report is in the job summary: the token of this run may not "
                              "comment")
    text = summary.read_text()
    assert "the pull request comes from a fork" in text and "/orchestrator preview" in text


def test_a_refused_comment_of_an_untrusted_run_is_a_notice(deployed: SampleRepo, github_standin: GitHubStandIn,
                                                           tmp_path: Path) -> None:
    # Dependabot's runs, for one, get a read-only token although they are not from a fork.
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "read-only-token", "1.41-alpine")
    gh.add_pull(number=42, author="dependabot[bot]", head_sha=head, base_ref=BASE_BRANCH)
    gh.fail_next(2, status=403, message="Resource not accessible by integration")  # the permission read, the comment
    request = PreviewRequest(repo=repo.root, base=BASE_BRANCH, head=head, pr=42, author="dependabot[bot]",
                             summary_path=tmp_path / "summary.md")

    outcome = run_preview(request, client(gh), engine_factory=forbidden_engine([]))

    assert not outcome.trust.trusted and outcome.exit_code == 0
    assert outcome.notice is not None and "the host refused to publish it" in outcome.notice
    assert "HTTP 403: Resource not accessible by integration" in outcome.notice


# -- /orchestrator preview in a comment ----------------------------------------------------------------


def event_of(payload: dict[str, Any]) -> IssueCommentEvent:
    from orchestrator.ci.github_actions import parse_event

    parsed = parse_event("issue_comment", payload)
    assert isinstance(parsed, IssueCommentEvent)
    return parsed


def test_who_may_ask_for_a_preview_in_a_comment(deployed: SampleRepo, github_standin: GitHubStandIn) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "asked-in-a-comment", "1.42-alpine")
    repo.git("checkout", "-q", BASE_BRANCH)  # the comment workflow's checkout: the repository's own code
    gh.add_pull(number=43, author="outsider", head_sha=head, from_fork=True, base_ref=BASE_BRANCH)
    gh.add_pull(number=44, author="outsider", head_sha=head, from_fork=True, base_ref=BASE_BRANCH, state="closed")
    gh.set_permission("maintainer", "write")
    gh.set_permission("reader", "read")

    def judge(number: int, body: str, who: str) -> Any:
        return judge_preview_comment(repo.root, event_of(comment_event(gh, number, body, who)),
                                     lambda settings: GitHubClient(gh.full_name, gh.token, api_url=gh.base_url))

    trusted = judge(43, "/orchestrator preview", "maintainer")
    assert trusted.outputs() == {"trusted": "true", "reason": "maintainer has write permission", "pr": "43",
                                 "commenter": "maintainer", "head_sha": head, "base_ref": BASE_BRANCH}
    untrusted = judge(43, "/orchestrator preview", "reader")
    assert untrusted.outputs()["trusted"] == "false" and untrusted.outputs()["head_sha"] == head
    assert untrusted.reason.startswith("reader has read permission")
    assert not judge(43, "/orchestrator deploy", "maintainer").trusted
    assert "is closed" in judge(44, "/orchestrator preview", "maintainer").reason
    assert gh.calls("POST") == []  # judging writes nothing


def test_the_comment_workflow_s_two_commands(deployed: SampleRepo, github_standin: GitHubStandIn,
                                            tmp_path: Path) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "comment-workflow", "1.43-alpine")
    repo.git("checkout", "-q", BASE_BRANCH)
    gh.add_pull(number=45, author="outsider", head_sha=head, from_fork=True, base_ref=BASE_BRANCH)
    gh.set_permission("maintainer", "write")
    event = comment_event(gh, 45, "/orchestrator preview\nplease", "maintainer")

    # Job 1 on the repository's own checkout: writes the outputs job 2 reads.
    env = actions_env(gh, tmp_path, event, "issue_comment")
    trust = orchestrator(repo, env, "trust", "--ci", "github")
    assert trust.returncode == 0, trust.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines() if "=" in line)
    assert (outputs["trusted"], outputs["head_sha"], outputs["base_ref"]) == ("true", head, BASE_BRANCH)

    # Job 2 on the pull request's head, as the generated workflow runs it.
    repo.git("checkout", "-q", head)
    preview = orchestrator(repo, env, "preview", "--ci", "github", "--base", outputs["base_ref"], "--branch",
                           outputs["base_ref"], "--head", outputs["head_sha"])
    assert preview.returncode == 0, preview.stderr
    [comment] = gh.comments(45)
    assert "nginx:1.43-alpine" in comment["body"]  # previewed: the fork's change, at the maintainer's word
    assert gh.latest_statuses(head)["orchestrator/preview"]["state"] == "success"


def test_an_untrusted_commenter_is_a_notice_not_a_failure(deployed: SampleRepo, github_standin: GitHubStandIn,
                                                          tmp_path: Path) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "comment-untrusted", "1.44-alpine")
    repo.git("checkout", "-q", BASE_BRANCH)
    gh.add_pull(number=46, author="outsider", head_sha=head, from_fork=True, base_ref=BASE_BRANCH)
    gh.set_permission("drive-by", "read")
    env = actions_env(gh, tmp_path, comment_event(gh, 46, "/orchestrator preview", "drive-by"), "issue_comment")
    trust = orchestrator(repo, env, "trust", "--ci", "github")
    assert trust.returncode == 0, trust.stderr
    assert "::notice title=Not previewed::/orchestrator preview of #46 by drive-by not run" in trust.stdout
    assert "trusted=false" in (tmp_path / "output").read_text()
    assert gh.calls("POST") == []

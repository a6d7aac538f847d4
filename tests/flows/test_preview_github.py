"""The preview flow against the GitHub stand-in (every call validated against GitHub's API
description): `--ci github` on real `pull_request` webhook examples edited for our repository,
two pushes to one PR, who is trusted, and what a failing GitHub API leaves behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import Engine
from orchestrator.flows.preview import PreviewOutcome, PreviewRequest, run_preview
from orchestrator.vcs._http import RetryPolicy
from orchestrator.vcs.github import GitHubClient
from tests.support.cli import run_cli
from tests.support.github_standin import GitHubStandIn
from tests.support.preview_repo import BASE_BRANCH, SampleRepo
from tests.support.webhooks import schema_errors, webhook_examples

MARKER = "<!-- orchestrator:preview -->"
AGGREGATE = "orchestrator/preview"
AUTHOR = "octo-dev"
IMAGE = "public.ecr.aws/nginx/nginx:1.27-alpine"  # stacks/app/Pulumi.dev.yaml


def bump_app_image(repo: SampleRepo, branch: str, tag: str, *, start: str = BASE_BRANCH) -> str:
    """A commit on `branch` that changes only the app's image (one stack, no dependents)."""
    repo.start_branch(branch, start)
    text = (repo.root / "stacks/app/Pulumi.dev.yaml").read_text()
    current = next(line for line in text.splitlines() if "app:image:" in line).split("app:image:")[1].strip()
    repo.replace("stacks/app/Pulumi.dev.yaml", current, f"public.ecr.aws/nginx/nginx:{tag}")
    return repo.commit(f"app: nginx {tag}")


def pull_request_event(
    action: str, *, standin: GitHubStandIn, number: int, head_sha: str, base_sha: str, before: str | None = None
) -> dict[str, Any]:
    """GitHub's own example of a `pull_request` webhook, edited for our repository and commits."""
    _, payload = webhook_examples("pull_request", action)[0]
    pr = payload["pull_request"]
    payload["number"] = pr["number"] = number
    for side, ref, sha in (("head", "app-image", head_sha), ("base", BASE_BRANCH, base_sha)):
        pr[side].update(ref=ref, sha=sha, label=f"{standin.owner}:{ref}")
        pr[side]["repo"].update(full_name=standin.full_name, name=standin.repo)
        pr[side]["repo"]["owner"]["login"] = standin.owner
    payload["repository"].update(full_name=standin.full_name, name=standin.repo)
    pr["user"]["login"] = payload["sender"]["login"] = AUTHOR
    if before is not None:
        payload.update(before=before, after=head_sha)
    assert schema_errors("pull_request", payload) == []
    return payload


def ci_env(standin: GitHubStandIn, event_file: Path, summary: Path) -> dict[str, str]:
    """What GitHub Actions gives a workflow step (API URL pointed at the stand-in)."""
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event_file),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REPOSITORY": standin.full_name,
        "GITHUB_API_URL": standin.base_url,
        "GITHUB_TOKEN": standin.token,
    }


def client(standin: GitHubStandIn) -> GitHubClient:
    # Retries without waiting: the fault-injection test exhausts them.
    return GitHubClient(
        standin.full_name,
        standin.token,
        api_url=standin.base_url,
        policy=RetryPolicy(max_attempts=3, base_delay=0.0),
        sleep=lambda _: None,
    )


def test_two_pushes_keep_one_comment_edited_in_place(
    deployed: SampleRepo, github_standin: GitHubStandIn, tmp_path: Path
) -> None:
    repo, gh = deployed, github_standin
    base = repo.sha(BASE_BRANCH)
    first = bump_app_image(repo, "app-image", "1.28-alpine")
    gh.add_pull(number=7, author=AUTHOR, head_sha=first, base_sha=base, head_ref="app-image", base_ref=BASE_BRANCH)
    gh.set_permission(AUTHOR, "write")
    for n in range(105):  # more than one page (100): the marked comment must be found on page 2
        gh.add_comment(7, f"review note {n}", user="reviewer")
    summary = tmp_path / "step-summary.md"
    summary.write_text("## Lint\nall good\n")  # an earlier command of the same step wrote here
    event_file = tmp_path / "event.json"

    event_file.write_text(json.dumps(pull_request_event("opened", standin=gh, number=7, head_sha=first, base_sha=base)))
    run = run_cli(repo, "preview", "--ci", "github", env=ci_env(gh, event_file, summary))
    assert run.code == 0, run.stderr
    [created] = [c for c in gh.comments(7) if MARKER in c["body"]]

    gh.add_commit(second := bump_app_image(repo, "app-image", "1.29-alpine", start="app-image"))
    event = pull_request_event("synchronize", standin=gh, number=7, head_sha=second, base_sha=base, before=first)
    event_file.write_text(json.dumps(event))
    run = run_cli(repo, "preview", "--ci", "github", env=ci_env(gh, event_file, summary))
    assert run.code == 0, run.stderr

    marked = [c for c in gh.comments(7) if MARKER in c["body"]]
    assert len(marked) == 1 and marked[0]["id"] == created["id"], "one comment, edited in place"
    assert len(gh.comments(7)) == 106, "the other comments are untouched"
    body = marked[0]["body"]
    assert f"`{second[:7]}`" in body.splitlines()[1] and first[:7] not in body
    assert f'"{IMAGE}" => "public.ecr.aws/nginx/nginx:1.29-alpine"' in body, "head against the deployed state"
    assert "1.28-alpine" not in body
    assert len(gh.calls("POST", "/issues/7/comments")) == 1
    assert len(gh.calls("PATCH", "/issues/comments/")) == 1

    latest = gh.latest_statuses(second)
    assert set(latest) == {f"{AGGREGATE}: app/dev", AGGREGATE}
    assert latest[f"{AGGREGATE}: app/dev"]["state"] == "success"
    assert latest[f"{AGGREGATE}: app/dev"]["description"] == "+0 ~1 -0 ±0"
    assert set(gh.latest_statuses(first)) == {f"{AGGREGATE}: app/dev", AGGREGATE}

    written = summary.read_text()
    assert written.startswith("## Lint\nall good\n"), "the step summary is appended to, not replaced"
    assert written.count(MARKER) == 2 and written.rstrip().endswith(body.rstrip()), "the full report, each run"


def forbidden_engine(calls: list[str]) -> Any:
    def factory(name: str) -> Engine:
        calls.append(name)
        raise AssertionError("an untrusted pull request must not reach an engine")

    return factory


@pytest.mark.parametrize(
    ("author", "permission", "from_fork", "why"),
    [
        ("octo-dev", "write", True, "the pull request comes from a fork"),
        ("reader", "read", False, "reader has read permission; write or above is required"),
        ("stranger", "none", False, "stranger has no permission; write or above is required"),
    ],
)
def test_untrusted_pull_requests_are_not_previewed(
    deployed: SampleRepo, github_standin: GitHubStandIn, author: str, permission: str, from_fork: bool, why: str
) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, f"untrusted-{author}", "1.30-alpine")
    gh.add_pull(number=21, author=author, head_sha=head, from_fork=from_fork, base_ref=BASE_BRANCH)
    gh.set_permission(author, permission)
    engines: list[str] = []
    request = PreviewRequest(repo=repo.root, base=BASE_BRANCH, head=head, pr=21, author=author, from_fork=from_fork)

    outcome = run_preview(request, client(gh), engine_factory=forbidden_engine(engines))

    assert engines == [] and outcome.results == {} and not outcome.trust.trusted
    [comment] = gh.comments(21)
    assert why in comment["body"] and "/orchestrator preview" in comment["body"]
    assert "app/dev" in comment["body"], "says what would be previewed"
    assert gh.latest_statuses(head)[AGGREGATE]["state"] == "pending"
    assert set(gh.latest_statuses(head)) == {AGGREGATE}


def test_a_pr_cannot_trust_its_own_author(deployed: SampleRepo, github_standin: GitHubStandIn) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "self-trust", "1.31-alpine")
    config = (repo.root / "orchestrator.yaml").read_text()
    assert "users: [platform-lead]" in config
    repo.write("orchestrator.yaml", config.replace("users: [platform-lead]", "users: [platform-lead, mallory]"))
    head = repo.commit("trust me")
    gh.add_pull(number=22, author="mallory", head_sha=head, base_ref=BASE_BRANCH)
    gh.set_permission("mallory", "read")
    engines: list[str] = []

    outcome = run_preview(
        PreviewRequest(repo=repo.root, base=BASE_BRANCH, head=head, pr=22, author="mallory"),
        client(gh),
        engine_factory=forbidden_engine(engines),
    )

    assert engines == [] and not outcome.trust.trusted
    assert "mallory has read permission" in gh.comments(22)[0]["body"]


def previewed(outcome: PreviewOutcome) -> None:
    assert outcome.trust.trusted, outcome.trust.reason
    assert {sid: r.status for sid, r in outcome.results.items()} == {"app/dev": "succeeded"}
    assert outcome.results["app/dev"].counts.update == 1
    assert outcome.exit_code == 0


def test_author_with_write_permission_is_previewed(deployed: SampleRepo, github_standin: GitHubStandIn) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "writer", "1.32-alpine")
    gh.add_pull(number=23, author="writer", head_sha=head, base_ref=BASE_BRANCH)
    gh.set_permission("writer", "write")

    outcome = run_preview(
        PreviewRequest(repo=repo.root, base=BASE_BRANCH, head=head, pr=23, author="writer"), client(gh)
    )

    previewed(outcome)
    assert "nginx:1.32-alpine" in gh.comments(23)[0]["body"]


def test_fork_approved_by_a_trusted_user_is_previewed(deployed: SampleRepo, github_standin: GitHubStandIn) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "fork-approved", "1.33-alpine")
    gh.add_pull(number=24, author="outsider", head_sha=head, from_fork=True, base_ref=BASE_BRANCH)
    gh.set_permission("outsider", "none")
    gh.set_permission("maintainer", "admin")
    request = PreviewRequest(
        repo=repo.root, base=BASE_BRANCH, head=head, pr=24, author="outsider", from_fork=True, approved_by="maintainer"
    )

    outcome = run_preview(request, client(gh))

    previewed(outcome)
    assert outcome.trust.reason is not None and "approved by maintainer" in outcome.trust.reason
    assert "nginx:1.33-alpine" in gh.comments(24)[0]["body"]


def test_final_api_failure_keeps_the_report(deployed: SampleRepo, github_standin: GitHubStandIn) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "api-down", "1.34-alpine")
    gh.add_pull(number=25, author=AUTHOR, head_sha=head, base_ref=BASE_BRANCH)
    gh.fail_next(1000, status=502)

    outcome = run_preview(PreviewRequest(repo=repo.root, base=BASE_BRANCH, head=head, pr=25), client(gh))

    assert outcome.results["app/dev"].status == "succeeded"
    assert outcome.exit_code == 1 and not outcome.published
    assert outcome.publish_error is not None and str(repo.report(25)) in outcome.publish_error
    assert "502" in outcome.publish_error
    assert "nginx:1.34-alpine" in repo.report(25).read_text()
    assert gh.comments(25) == [] and gh.statuses(head) == []


def test_cli_names_the_report_when_github_gives_up(deployed: SampleRepo, github_standin: GitHubStandIn) -> None:
    repo, gh = deployed, github_standin
    head = bump_app_image(repo, "rate-limited", "1.35-alpine")
    gh.add_pull(number=26, author=AUTHOR, head_sha=head, base_ref=BASE_BRANCH)
    gh.secondary_rate_limit_next(1000, retry_after="0")  # GitHub's "slow down", forever, without waiting
    env = {"GITHUB_TOKEN": gh.token, "GITHUB_REPOSITORY": gh.full_name, "GITHUB_API_URL": gh.base_url}

    run = run_cli(repo, "preview", "--vcs", "github", "--base", BASE_BRANCH, "--head", head, "--pr", "26", env=env)

    assert run.code == 1, run.stderr
    assert "publishing failed" in run.stderr and str(repo.report(26)) in run.stderr
    assert "nginx:1.35-alpine" in repo.report(26).read_text()
    assert gh.token not in run.stdout + run.stderr


def test_a_fork_cannot_redirect_the_token(deployed: SampleRepo, github_standin: GitHubStandIn, tmp_path: Path) -> None:
    """The PR's orchestrator.yaml points the API at another host: the CLI reads `vcs` from the base."""
    repo, gh = deployed, github_standin
    base = repo.sha(BASE_BRANCH)
    with GitHubStandIn(token=gh.token) as elsewhere:
        repo.start_branch("fork-redirect")
        config = (repo.root / "orchestrator.yaml").read_text()
        repo.write("orchestrator.yaml", config + f"vcs:\n  api_url: {elsewhere.base_url}\n")
        head = repo.commit("point the API elsewhere")
        gh.add_pull(number=27, author="outsider", head_sha=head, base_sha=base, from_fork=True, base_ref=BASE_BRANCH)
        event = pull_request_event("opened", standin=gh, number=27, head_sha=head, base_sha=base)
        event["pull_request"]["head"]["repo"]["full_name"] = "outsider/infra"
        assert schema_errors("pull_request", event) == []
        event_file = tmp_path / "event.json"
        event_file.write_text(json.dumps(event))

        summary = tmp_path / "summary.md"
        summary.write_text("## Lint\nall good\n")
        run = run_cli(repo, "preview", "--ci", "github", env=ci_env(gh, event_file, summary))

        assert elsewhere.requests == [], "the token went to the host the pull request chose"
        assert run.code == 0, run.stderr
    # A fork's run gets a read-only token from GitHub: no comment is tried, the summary says why.
    assert gh.comments(27) == [] and gh.calls("POST") == []
    assert "the pull request comes from a fork" in summary.read_text()
    assert "::notice title=Not previewed::not previewed; the report is in the job summary" in run.stdout

"""GitLab in a CI pipeline: statuses join the pipeline, reruns do not repeat `pending`,
deployments name the branch, and a missing approvals API is reported as such.

Against the GitLab stand-in (tests/support/gitlab_standin.py, NOT GitLab); the CI variables
are the ones GitLab documents for merge request, merged-results and branch pipelines.
"""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from orchestrator.config.resolved import Environment, Settings
from orchestrator.flows import gates
from orchestrator.vcs import make_vcs
from orchestrator.vcs.base import VcsError
from orchestrator.vcs.gitlab import GitLabClient
from orchestrator.vcs.gitlab_pipeline import GitLabPipeline
from tests.support.gitlab_standin import PROJECT, GitLabStandIn

HEAD = "a" * 40
MERGED = "m" * 40  # a merged-results pipeline's merge commit
JOB = "https://gitlab.example.com/acme/infra/-/jobs/77"


def ci_env(gitlab: GitLabStandIn, pipeline: int, *, sha: str = HEAD, merged_results: bool = False) -> dict[str, str]:
    env = {
        "GITLAB_CI": "true",
        "GITLAB_TOKEN": gitlab.token,
        "CI_API_V4_URL": f"{gitlab.base_url}/api/v4",
        "CI_PROJECT_PATH": PROJECT,
        "CI_PIPELINE_ID": str(pipeline),
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_REF_NAME": "feature",
        "CI_JOB_URL": JOB,
        "CI_MERGE_REQUEST_IID": "5",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": HEAD,
        "CI_MERGE_REQUEST_REF_PATH": "refs/merge-requests/5/merge" if merged_results else "refs/merge-requests/5/head",
    }
    return env


def client_in(env: dict[str, str]) -> GitLabClient:
    vcs = make_vcs(Settings(vcs_provider="gitlab", vcs_token_env="GITLAB_TOKEN"), env=env)
    assert isinstance(vcs, GitLabClient)
    return vcs


def test_the_pipeline_from_gitlab_ci_variables() -> None:
    base = {"GITLAB_CI": "true", "CI_PIPELINE_ID": "9", "CI_COMMIT_SHA": HEAD}
    merge_request = {**base, "CI_MERGE_REQUEST_REF_PATH": "refs/merge-requests/5/head", "CI_COMMIT_REF_NAME": "feat",
                     "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat"}
    assert GitLabPipeline.from_env(merge_request) == GitLabPipeline(9, HEAD, "refs/merge-requests/5/head", "feat")
    branch = {**base, "CI_COMMIT_REF_NAME": "main", "CI_COMMIT_BRANCH": "main"}
    assert GitLabPipeline.from_env(branch) == GitLabPipeline(9, HEAD, "main", "main")
    assert GitLabPipeline.from_env({**base, "GITLAB_CI": ""}) is None
    assert GitLabPipeline.from_env({"GITLAB_CI": "true", "CI_COMMIT_SHA": HEAD}) is None


def test_statuses_join_the_merge_request_pipeline(gitlab: GitLabStandIn) -> None:
    pipeline = gitlab.add_pipeline(HEAD, "refs/merge-requests/5/head", source="merge_request_event")
    client_in(ci_env(gitlab, pipeline)).set_status(HEAD, "orchestrator/preview: app/dev", "success", "+1 ~0 -0")
    [status] = gitlab.statuses
    assert (status["pipeline_id"], status["ref"], status["target_url"]) == (pipeline, "refs/merge-requests/5/head", JOB)
    [post] = [body for method, _, _, body in gitlab.requests if method == "POST"]
    assert post == {"state": "success", "name": "orchestrator/preview: app/dev", "description": "+1 ~0 -0",
                    "pipeline_id": pipeline, "ref": "refs/merge-requests/5/head", "target_url": JOB}


def test_a_merged_results_pipeline_reports_on_the_head_by_its_branch(gitlab: GitLabStandIn) -> None:
    gitlab.add_commit(HEAD, "feature")
    pipeline = gitlab.add_pipeline(MERGED, "refs/merge-requests/5/merge", source="merge_request_event")
    client_in(ci_env(gitlab, pipeline, sha=MERGED, merged_results=True)).set_status(HEAD, "ctx", "success", "ok")
    [status] = gitlab.statuses
    assert status["ref"] == "feature" and status["pipeline_id"] != pipeline  # GitLab's pipeline of the head


def test_a_rerun_never_posts_pending_again(gitlab: GitLabStandIn) -> None:
    # Before: a rerun of a gated or untrusted run posted `pending` again and GitLab answered 400.
    pipeline = gitlab.add_pipeline(HEAD, "refs/merge-requests/5/head", source="merge_request_event")
    env = ci_env(gitlab, pipeline)
    client_in(env).set_status(HEAD, "orchestrator/preview", "pending", "not previewed: waiting for a maintainer")

    rerun = client_in(env)  # a new job: a new process, nothing remembered
    rerun.set_status(HEAD, "orchestrator/preview", "pending", "not previewed: waiting for a maintainer")
    rerun.set_status(HEAD, "orchestrator/preview", "pending", "waiting for another reason")  # GitLab cannot change it
    rerun.set_status(HEAD, "orchestrator/preview", "success", "1 stack")

    posts = [body["state"] for method, _, _, body in gitlab.requests if method == "POST"]
    assert posts == ["pending", "success"]
    reads = [query for method, path, query, _ in gitlab.requests if method == "GET" and path.endswith("/statuses")]
    assert reads and all(q["pipeline_id"] == str(pipeline) for q in reads)
    assert gitlab.latest_statuses(HEAD)["orchestrator/preview"]["status"] == "success"


def test_the_standin_refuses_a_second_pending_as_gitlab_does(gitlab: GitLabStandIn) -> None:
    pipeline = gitlab.add_pipeline(HEAD, "main")
    url = f"{gitlab.base_url}/api/v4/projects/acme%2Finfra/statuses/{HEAD}"
    body = {"state": "pending", "name": "ctx", "pipeline_id": pipeline, "ref": "main"}
    headers = {"PRIVATE-TOKEN": gitlab.token}
    assert httpx.post(url, json=body, headers=headers).status_code == 201
    again = httpx.post(url, json=body, headers=headers)
    assert again.status_code == 400
    assert again.json()["message"].startswith("Cannot transition status via :enqueue from :pending")
    wrong = httpx.post(url, json={**body, "pipeline_id": pipeline + 1}, headers=headers)
    assert (wrong.status_code, wrong.json()["message"]) == (404, "404 Pipeline for pipeline_id, sha and ref Not Found")


def test_deployments_name_the_branch_and_the_commit(gitlab: GitLabStandIn) -> None:
    # Before: the SHA was sent as `ref`, which GitLab rejects (a ref is a branch or tag).
    gitlab.add_commit(HEAD, "main")
    client = GitLabClient(PROJECT, gitlab.token, api_url=f"{gitlab.base_url}/api/v4")
    deployment = client.create_deployment(HEAD, "qa", "orchestrator: 2 stack(s)", ref="main")
    assert (gitlab.deployments[deployment]["ref"], gitlab.deployments[deployment]["sha"]) == ("main", HEAD)
    with pytest.raises(VcsError, match=r"needs the branch that was deployed"):
        client.create_deployment(HEAD, "qa", "x")
    with pytest.raises(VcsError, match=r"HTTP 400: .*The branch or tag does not exist"):
        client.create_deployment(HEAD, "qa", "x", ref=HEAD)


def test_without_the_approvals_api_the_gate_says_so(gitlab: GitLabStandIn) -> None:
    gitlab.add_mr(5, author="alice")
    gitlab.approvals_available = False
    client = GitLabClient(PROJECT, gitlab.token, api_url=f"{gitlab.base_url}/api/v4")
    with pytest.raises(VcsError) as caught:
        client.approvals(5)
    assert "merge request approvals API answered HTTP 404 for !5" in caught.value.message
    assert caught.value.hint is not None and "orchestrator promote" in caught.value.hint

    prod = Environment(name="prod", source="environments/prod.yaml", branch_rules=("main",), protected=True)
    store = SimpleNamespace(promotion=lambda environment, commit: None)
    gate = gates.evaluate(prod, HEAD, store=store, earlier={}, approvers=lambda: client.approvals(5))  # type: ignore[arg-type]
    assert not gate.passed
    [reason] = gate.reasons
    assert "approvals could not be read: GitLab's merge request approvals API answered HTTP 404" in reason
    assert "no pull request found" not in reason

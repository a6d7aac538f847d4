"""Review stacks under test: the deploy tests' lean projects (tests/support/lean_infra.py:
network <- data <- app through `pulumi.StackReference(f".../{env}")`, and an independent
`audit`) on `develop`, the dev environment's branch with `review.enabled`, dev's own stacks
deployed by the real local engine. Pull requests are branches off `develop`; their GitHub
events are GitHub's own examples, edited and checked against the webhook schemas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.sandbox import InProcessSandbox
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import make_infra_repo
from tests.support.sample import deploy_stacks
from tests.support.sandbox import aws_client
from tests.support.webhooks import schema_errors, webhook_examples

BASE = "develop"
ENV = "dev"
AUTHOR = "octo-dev"
PROJECTS = ("network", "data", "app", "audit")
DEV = """branch: develop
order: 1
engine: local
backend: file://.orchestrator/state
aws:
  region: us-east-1
  endpoint: sandbox
config:
  aws:region: us-east-1
review:
  enabled: true
  stack_name: "pr-{pr}"
  ttl: 2h
  max_active: %(max_active)d
"""


def make_review_repo(root: Path, *, max_active: int = 5) -> InfraRepo:
    """The lean projects on `develop` with dev's review stacks enabled, dev's own stacks deployed."""
    repo = make_infra_repo(root, environments=(), projects=PROJECTS)
    repo.write("environments/dev.yaml", DEV % {"max_active": max_active})
    repo.commit("dev, with review stacks")
    repo.git("checkout", "-q", "-b", BASE)
    deploy_stacks(repo.root, ENV, PROJECTS)
    return repo


def open_pull_request(repo: InfraRepo, branch: str, changes: dict[str, tuple[str, str]]) -> str:
    """A branch off develop with `changes` ({path: (old, new)}) committed; its head."""
    repo.git("checkout", "-q", "-B", branch, BASE)
    for path, (old, new) in changes.items():
        repo.replace(path, old, new)
    head = repo.commit(f"{branch}: change")
    repo.git("checkout", "-q", BASE)
    return head


def push(repo: InfraRepo, branch: str, path: str, old: str, new: str) -> str:
    repo.git("checkout", "-q", branch)
    repo.replace(path, old, new)
    head = repo.commit(f"{branch}: another change")
    repo.git("checkout", "-q", BASE)
    return head


def state_file(repo: InfraRepo, project: str, stack: str) -> Path:
    return repo.root / ".orchestrator" / "state" / ".pulumi" / "stacks" / project / f"{stack}.json"


def queue_names(sandbox: InProcessSandbox) -> list[str]:
    urls = aws_client("sqs", sandbox.endpoint).list_queues().get("QueueUrls", [])
    return sorted(url.rsplit("/", 1)[-1] for url in urls)


def queue_tags(sandbox: InProcessSandbox, url: str) -> dict[str, str]:
    tags: dict[str, str] = aws_client("sqs", sandbox.endpoint).list_queue_tags(QueueUrl=url).get("Tags", {})
    return tags


@dataclass(frozen=True)
class Event:
    path: Path
    payload: dict[str, Any]


def pull_request_event(tmp: Path, standin: GitHubStandIn, action: str, *, number: int, head_sha: str,
                       base_sha: str, head_ref: str, author: str = AUTHOR, fork: bool = False) -> Event:
    """GitHub's own example of a `pull_request` webhook, edited for our repository and commits."""
    _, payload = webhook_examples("pull_request", action)[0]
    pr = payload["pull_request"]
    payload["number"] = pr["number"] = number
    for side, ref, sha in (("head", head_ref, head_sha), ("base", BASE, base_sha)):
        pr[side].update(ref=ref, sha=sha, label=f"{standin.owner}:{ref}")
        pr[side]["repo"].update(full_name=standin.full_name, name=standin.repo)
        pr[side]["repo"]["owner"]["login"] = standin.owner
    if fork:
        pr["head"]["repo"].update(full_name=f"{author}/{standin.repo}")
        pr["head"]["repo"]["owner"]["login"] = author
    payload["repository"].update(full_name=standin.full_name, name=standin.repo)
    pr["user"]["login"] = payload["sender"]["login"] = author
    assert schema_errors("pull_request", payload) == []
    path = tmp / f"pr{number}-{action}-{head_sha[:7]}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return Event(path, payload)


def actions_env(standin: GitHubStandIn, event: Event, summary: Path) -> dict[str, str]:
    """What GitHub Actions gives a pull_request job (the API pointed at the stand-in)."""
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event.path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REPOSITORY": standin.full_name,
        "GITHUB_API_URL": standin.base_url,
        "GITHUB_TOKEN": standin.token,
        "GITHUB_ACTOR": AUTHOR,
    }

"""GitLabClient against a small in-test GitLab STAND-IN (not GitLab) on loopback.

GitLab's OpenAPI description is not among our fixtures, so this stand-in checks what GitLab's
REST v4 documentation states for the endpoints we call: paths, methods, required and allowed
body fields, state enums, the PRIVATE-TOKEN header, and Link-header pagination. Anything else
the client sends is recorded as an error and fails the test.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

from orchestrator.vcs._http import RetryPolicy
from orchestrator.vcs.base import VcsError
from orchestrator.vcs.gitlab import GitLabClient

PROJECT = "acme/infra"
MARKER = "<!-- orchestrator:preview -->"
SHA = "a" * 40
Reply = tuple[int, Any, dict[str, str]]

# From GitLab's REST v4 docs: body fields each call accepts (required ones first in the tuple).
ALLOWED_FIELDS = {
    ("POST", "statuses"): ({"state"}, {"state", "ref", "name", "context", "target_url", "description", "coverage",
                                        "pipeline_id"}),
    ("POST", "mr_notes"): ({"body"}, {"body", "created_at", "merge_request_diff_head_sha", "internal"}),
    ("PUT", "mr_note"): ({"body"}, {"body"}),
    ("POST", "issues"): ({"title"}, {"title", "description", "labels", "assignee_ids", "confidential",
                                      "milestone_id", "due_date", "issue_type"}),
    ("PUT", "issue"): (set(), {"title", "description", "labels", "state_event", "assignee_ids", "confidential"}),
    ("POST", "issue_notes"): ({"body"}, {"body", "created_at", "internal"}),
    ("POST", "deployments"): ({"environment", "sha", "ref", "tag", "status"},
                              {"environment", "sha", "ref", "tag", "status"}),
    ("PUT", "deployment"): ({"status"}, {"status"}),
}  # fmt: skip
ENUMS = {
    ("POST", "statuses", "state"): {"pending", "running", "success", "failed", "canceled", "skipped"},
    ("PUT", "issue", "state_event"): {"close", "reopen"},
    ("POST", "deployments", "status"): {"running", "success", "failed", "canceled"},
    ("PUT", "deployment", "status"): {"running", "success", "failed", "canceled"},
}


@dataclass
class GitLabStandIn:
    token: str = "glpat-standin-0123456789"
    errors: list[str] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    merge_requests: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    approvals: dict[int, list[str]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[int, dict[str, Any]] = field(default_factory=dict)
    fail: list[int] = field(default_factory=list)
    next_id: int = 500
    base_url: str = ""

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_mr(self, iid: int, *, author: str, sha: str = SHA, fork: bool = False, state: str = "opened") -> None:
        self.merge_requests[iid] = {
            "id": 9000 + iid, "iid": iid, "project_id": 1001, "title": f"MR {iid}", "state": state,
            "target_branch": "main", "source_branch": "feature", "sha": sha,
            "source_project_id": 2002 if fork else 1001, "target_project_id": 1001,
            "author": {"id": 7, "username": author}, "web_url": f"https://gitlab.example/{PROJECT}/-/merge_requests/{iid}",
        }  # fmt: skip
        self.notes.setdefault(iid, [])

    def add_note(self, iid: int, body: str, *, system: bool = False) -> int:
        note_id = self.new_id()
        note: dict[str, Any] = {
            "id": note_id,
            "body": body,
            "system": system,
            "noteable_iid": iid,
            "noteable_type": "MergeRequest",
            "author": {"username": "someone"},
        }
        self.notes[iid].append(note)
        return note_id

    # -- routing -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, token: str | None) -> Reply:
        self.requests.append((method, path, body))
        if token != self.token:
            return 401, {"message": "401 Unauthorized"}, {}
        if self.fail:
            return self.fail.pop(0), {"message": "502 Bad Gateway"}, {}
        project = re.escape(f"/api/v4/projects/{PROJECT}")
        routes: list[tuple[str, str, str, Callable[..., Reply]]] = [
            ("GET", rf"{project}/merge_requests/(\d+)", "mr", self.get_mr),
            ("GET", rf"{project}/repository/commits/(\w+)/merge_requests", "commit_mrs", self.commit_mrs),
            ("GET", rf"{project}/merge_requests/(\d+)/approvals", "approvals", self.get_approvals),
            ("GET", rf"{project}/merge_requests/(\d+)/notes", "mr_notes", self.list_notes),
            ("POST", rf"{project}/merge_requests/(\d+)/notes", "mr_notes", self.create_note),
            ("PUT", rf"{project}/merge_requests/(\d+)/notes/(\d+)", "mr_note", self.update_note),
            ("POST", rf"{project}/statuses/(\w+)", "statuses", self.create_status),
            ("GET", r"/api/v4/users", "users", self.find_users),
            ("GET", rf"{project}/members/all/(\d+)", "member", self.get_member),
            ("GET", rf"{project}/issues", "issues", self.list_issues),
            ("POST", rf"{project}/issues", "issues", self.create_issue),
            ("PUT", rf"{project}/issues/(\d+)", "issue", self.update_issue),
            ("POST", rf"{project}/issues/(\d+)/notes", "issue_notes", self.create_issue_note),
            ("POST", rf"{project}/deployments", "deployments", self.create_deployment),
            ("PUT", rf"{project}/deployments/(\d+)", "deployment", self.update_deployment),
        ]
        for route_method, pattern, name, handler in routes:
            found = re.fullmatch(pattern, path)
            if found and route_method == method:
                if not self.check_body(method, name, body):
                    return 400, {"message": "400 Bad request"}, {}
                return handler(query, body, *found.groups())
        self.errors.append(f"{method} {path}: not an endpoint the client should call")
        return 404, {"message": "404 Not Found"}, {}

    def check_body(self, method: str, name: str, body: Any) -> bool:
        if (method, name) not in ALLOWED_FIELDS:
            return True
        required, allowed = ALLOWED_FIELDS[(method, name)]
        problems = [f"missing {k}" for k in sorted(required - set(body or {}))]
        problems += [f"undocumented field {k}" for k in sorted(set(body or {}) - allowed)]
        for (m, n, key), values in ENUMS.items():
            if (m, n) == (method, name) and key in (body or {}) and body[key] not in values:
                problems.append(f"{key}={body[key]!r} not one of {sorted(values)}")
        self.errors += [f"{method} {name}: {p}" for p in problems]
        return not problems

    def page(self, items: list[Any], query: dict[str, str], path: str) -> Reply:
        per_page = min(int(query.get("per_page", 20)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {"X-Total": str(len(items)), "X-Page": str(page)}
        if page * per_page < len(items):
            link = f"{self.base_url}{path}?{urlencode({**query, 'page': page + 1, 'per_page': per_page})}"
            headers["Link"] = f'<{link}>; rel="next"'
            headers["X-Next-Page"] = str(page + 1)
        return 200, chunk, headers

    # -- handlers ------------------------------------------------------------------------------

    def get_mr(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        mr = self.merge_requests.get(int(iid))
        return (200, mr, {}) if mr else (404, {"message": "404 Not found"}, {})

    def commit_mrs(self, query: dict[str, str], body: Any, sha: str) -> Reply:
        return 200, [mr for mr in self.merge_requests.values() if mr["sha"] == sha], {}

    def get_approvals(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        users = self.approvals.get(int(iid), [])
        return 200, {"iid": int(iid), "approved": bool(users),
                     "approved_by": [{"user": {"username": u, "id": i}} for i, u in enumerate(users)]}, {}  # fmt: skip

    def list_notes(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        notes = list(self.notes[int(iid)])
        if query.get("sort", "desc") == "desc":
            notes.reverse()
        return self.page(notes, query, f"/api/v4/projects/{PROJECT}/merge_requests/{iid}/notes")

    def create_note(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        note_id = self.add_note(int(iid), body["body"])
        return 201, self.notes[int(iid)][-1] | {"id": note_id}, {}

    def update_note(self, query: dict[str, str], body: Any, iid: str, note_id: str) -> Reply:
        for note in self.notes[int(iid)]:
            if note["id"] == int(note_id):
                note["body"] = body["body"]
                return 200, note, {}
        return 404, {"message": "404 Not found"}, {}

    def create_status(self, query: dict[str, str], body: Any, sha: str) -> Reply:
        status = {"id": self.new_id(), "sha": sha, "status": body["state"], **body}
        self.statuses.append(status)
        return 201, status, {}

    def find_users(self, query: dict[str, str], body: Any) -> Reply:
        name = query.get("username", "")
        return 200, ([{"id": self.users[name], "username": name}] if name in self.users else []), {}

    def get_member(self, query: dict[str, str], body: Any, user_id: str) -> Reply:
        level = self.members.get(int(user_id))
        return (200, {"id": int(user_id), "access_level": level}, {}) if level else (404, {"message": "404"}, {})

    def list_issues(self, query: dict[str, str], body: Any) -> Reply:
        state = query.get("state", "all")
        items = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        return self.page(items, query, f"/api/v4/projects/{PROJECT}/issues")

    def create_issue(self, query: dict[str, str], body: Any) -> Reply:
        iid = len(self.issues) + 1
        labels = [label for label in body.get("labels", "").split(",") if label]
        self.issues[iid] = {"iid": iid, "title": body["title"], "description": body.get("description"),
                            "state": "opened", "labels": labels, "notes": [],
                            "web_url": f"https://gitlab.example/{PROJECT}/-/issues/{iid}"}  # fmt: skip
        return 201, self.issues[iid], {}

    def update_issue(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        issue = self.issues[int(iid)]
        if "description" in body:
            issue["description"] = body["description"]
        if body.get("state_event") == "close":
            issue["state"] = "closed"
        return 200, issue, {}

    def create_issue_note(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        self.issues[int(iid)]["notes"].append(body["body"])
        return 201, {"id": self.new_id(), "body": body["body"]}, {}

    def create_deployment(self, query: dict[str, str], body: Any) -> Reply:
        deployment = {"id": self.new_id(), **body, "history": [body["status"]]}
        self.deployments[int(deployment["id"])] = deployment
        return 201, deployment, {}

    def update_deployment(self, query: dict[str, str], body: Any, deployment_id: str) -> Reply:
        deployment = self.deployments[int(deployment_id)]
        deployment["status"] = body["status"]
        deployment["history"].append(body["status"])
        return 200, deployment, {}


def _serve(standin: GitLabStandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            status, payload, headers = standin.handle(
                self.command, unquote(url.path), query, body, self.headers.get("PRIVATE-TOKEN")
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    standin.base_url = f"http://127.0.0.1:{server.server_port}"
    return server


@pytest.fixture
def gitlab() -> Iterator[GitLabStandIn]:
    standin = GitLabStandIn()
    server = _serve(standin)
    yield standin
    server.shutdown()
    server.server_close()
    assert standin.errors == []


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(gitlab: GitLabStandIn, sleeps: list[float]) -> GitLabClient:
    return GitLabClient(
        PROJECT,
        gitlab.token,
        api_url=f"{gitlab.base_url}/api/v4",
        policy=RetryPolicy(max_attempts=3, base_delay=0.25),
        sleep=sleeps.append,
    )


def test_note_is_created_once_then_edited_past_the_first_page(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    gitlab.add_mr(5, author="alice")
    for i in range(120):
        gitlab.add_note(5, f"note {i}", system=i % 10 == 0)
    first = client.upsert_comment(5, MARKER, "preview one")
    second = client.upsert_comment(5, MARKER, "preview two")
    marked = [n for n in gitlab.notes[5] if MARKER in n["body"]]
    assert first.created and not second.created and first.id == second.id
    assert len(marked) == 1 and marked[0]["body"] == f"{MARKER}\npreview two"
    assert len(gitlab.notes[5]) == 121
    # The marked note is the 121st, oldest first: the second page had to be read.
    assert sum(1 for m, p, _ in gitlab.requests if m == "GET" and p.endswith("/5/notes")) == 4


def test_system_notes_never_count_as_ours(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    gitlab.add_mr(5, author="alice")
    gitlab.add_note(5, f"mentioned in {MARKER}", system=True)
    assert client.upsert_comment(5, MARKER, "x").created


def test_commit_statuses_use_gitlab_names_and_states(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    client.set_status(SHA, "orchestrator/preview: app/dev", "pending", "running", target_url="https://ci/1")
    client.set_status(SHA, "orchestrator/preview: app/dev", "failure", "1 failed")
    client.set_status(SHA, "orchestrator/preview", "error", "x" * 400)
    assert [(s["name"], s["state"]) for s in gitlab.statuses] == [
        ("orchestrator/preview: app/dev", "pending"),
        ("orchestrator/preview: app/dev", "failed"),
        ("orchestrator/preview", "failed"),
    ]
    assert gitlab.statuses[0]["target_url"] == "https://ci/1"
    assert len(gitlab.statuses[2]["description"]) == 255


def test_merge_requests_approvals_and_permissions(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    gitlab.add_mr(5, author="alice")
    gitlab.add_mr(6, author="mallory", sha="b" * 40, fork=True)
    gitlab.add_mr(7, author="bob", sha="c" * 40, state="merged")
    gitlab.approvals[5] = ["carol", "bob"]
    gitlab.users.update({"alice": 11, "bob": 12, "carol": 13})
    gitlab.members.update({11: 40, 12: 30, 13: 20})

    pr = client.get_pr(5)
    assert (pr.number, pr.author, pr.base_ref, pr.head_ref, pr.from_fork, pr.state) == (
        5, "alice", "main", "feature", False, "open"
    )  # fmt: skip
    assert client.get_pr(6).from_fork
    merged = client.get_pr(7)
    assert merged.merged and merged.state == "closed"
    found = client.find_pr_for_commit("b" * 40)
    assert found is not None and found.number == 6
    assert client.find_pr_for_commit("f" * 40) is None
    assert client.approvals(5) == ["bob", "carol"]
    assert [client.author_permission(u) for u in ("alice", "bob", "carol", "nobody")] == [
        "maintain",
        "write",
        "triage",
        "none",
    ]


def test_tracking_issue_lifecycle(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    marker = "<!-- orchestrator:drift:prod -->"
    for i in range(30):
        client.open_issue(f"noise {i}", "noise", "<!-- other -->")
    opened = client.open_issue("Drift in prod", "2 drifted", marker, labels=["drift", "prod"])
    assert opened.labels == ("drift", "prod") and opened.state == "open"
    found = client.find_issue(marker)
    assert found is not None and found.number == opened.number
    assert client.update_issue(opened.number, "3 drifted", marker=marker).body == f"{marker}\n3 drifted"
    closed = client.close_issue(opened.number, "resolved")
    assert closed.state == "closed" and gitlab.issues[opened.number]["notes"] == ["resolved"]
    assert client.find_issue(marker) is None
    assert client.find_issue(marker, include_closed=True) is not None


def test_deployments(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    deployment_id = client.create_deployment(SHA, "qa", "deploy", ref="main")
    client.set_deployment_status(deployment_id, "in_progress", "running")
    client.set_deployment_status(deployment_id, "success", "done")
    deployment = gitlab.deployments[deployment_id]
    assert (deployment["environment"], deployment["sha"], deployment["ref"]) == ("qa", SHA, "main")
    assert deployment["history"] == ["running", "running", "success"]


def test_retries_then_reports_without_the_token(
    gitlab: GitLabStandIn, client: GitLabClient, sleeps: list[float]
) -> None:
    gitlab.add_mr(5, author="alice")
    gitlab.fail = [502]
    assert client.get_pr(5).number == 5
    assert sleeps == [0.25]
    gitlab.fail = [502, 502, 502]
    with pytest.raises(VcsError) as caught:
        client.get_pr(5)
    message = str(caught.value)
    assert "GitLab API GET /projects/acme%2Finfra/merge_requests/5 failed after 3 attempts: HTTP 502" in message
    assert gitlab.token not in str(caught.value)


def test_bad_token(gitlab: GitLabStandIn) -> None:
    bad = GitLabClient(PROJECT, "glpat-wrong-secret", api_url=f"{gitlab.base_url}/api/v4", token_env="GITLAB_TOKEN")
    with pytest.raises(VcsError) as caught:
        bad.approvals(1)
    assert caught.value.status == 401 and "glpat-wrong-secret" not in str(caught.value)
    assert caught.value.hint is not None and "$GITLAB_TOKEN" in caught.value.hint

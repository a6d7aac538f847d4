"""A stateful stand-in for GitLab's REST v4 API, served on 127.0.0.1 for tests. NOT GitLab.

What keeps it honest:
- requests to the operations GitLab's published API description covers
  (tests/fixtures/gitlab/openapi_v2.subset.yaml: list and create commit statuses, create and
  update deployments) are validated against it: body schema (required fields, types, enums,
  and no field it does not list) and query parameters (names, types, enums);
- the other operations are checked against the fields GitLab's REST documentation lists for
  them (DOCUMENTED_FIELDS below, naming the page);
- commit statuses behave as GitLab's Ci::CreateCommitStatusService does: a status belongs to
  a pipeline (a `pipeline_id` must name a pipeline of that commit and ref, else 404); a
  pending or running status of the same name and ref is moved on, and asking for the state it
  is already in is a 400 ("Cannot transition status via :enqueue from :pending");
- notes are shaped like the Notes API's documented example (fixtures/gitlab/api): they carry
  no web URL of their own;
- `approvals_available = False` answers the approvals API as an instance without it (404).
Anything the client sends that GitLab would reject is recorded in `errors`; the `gitlab`
fixture fails the test at teardown if any was.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import pytest
import yaml
from jsonschema import Draft4Validator

from tests.support.fixtures import GITLAB

PROJECT = "acme/infra"
WEB = "https://gitlab.example.com"
Reply = tuple[int, Any, dict[str, str]]
_TRANSITION = 'Cannot transition status via :{event} from :{state} (Reason(s): Status cannot transition via "{event}")'

# Fields GitLab's REST docs list per operation: (required, allowed). Pages under docs.gitlab.com/api/.
DOCUMENTED_FIELDS: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("POST", "mr_notes"): ({"body"}, {"body", "created_at", "merge_request_diff_head_sha", "internal"}),  # notes
    ("PUT", "mr_note"): ({"body"}, {"body", "confidential"}),  # notes
    ("POST", "issues"): ({"title"}, {"title", "description", "labels", "assignee_ids", "confidential",
                                      "milestone_id", "due_date", "issue_type"}),  # issues
    ("PUT", "issue"): (set(), {"title", "description", "labels", "state_event", "assignee_ids", "confidential"}),
    ("POST", "issue_notes"): ({"body"}, {"body", "created_at", "internal"}),  # notes
}  # fmt: skip
DOCUMENTED_QUERY: dict[tuple[str, str], set[str]] = {
    ("GET", "mr_notes"): {"sort", "order_by", "page", "per_page"},
    ("GET", "issues"): {"state", "labels", "search", "page", "per_page"},
    ("GET", "users"): {"username"},
    ("GET", "commit_mrs"): {"page", "per_page"},
    ("GET", "group_members"): {"page", "per_page"},
}


@functools.cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((GITLAB / "openapi_v2.subset.yaml").read_text(encoding="utf-8"))
    return document


@functools.cache
def documented_note() -> dict[str, Any]:
    note: dict[str, Any] = json.loads((GITLAB / "api" / "merge_request_note.json").read_text(encoding="utf-8"))
    return note


@dataclass
class GitLabStandIn:
    token: str = "glpat-standin-0123456789"
    base_url: str = ""
    approvals_available: bool = True
    errors: list[str] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    merge_requests: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    approvals: dict[int, list[str]] = field(default_factory=dict)
    commits: dict[str, list[str]] = field(default_factory=dict)  # sha → branches containing it
    pipelines: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[int, dict[str, Any]] = field(default_factory=dict)
    fail: list[int] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(500))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- seeding -------------------------------------------------------------------------------

    def add_commit(self, sha: str, *branches: str) -> None:
        self.commits[sha] = list(branches or ("main",))

    def add_pipeline(self, sha: str, ref: str, *, source: str = "push") -> int:
        self.commits.setdefault(sha, [ref] if not ref.startswith("refs/") else ["main"])
        pipeline_id = next(self._ids)
        self.pipelines[pipeline_id] = {"id": pipeline_id, "sha": sha, "ref": ref, "source": source}
        return pipeline_id

    def add_mr(self, iid: int, *, author: str, sha: str = "a" * 40, fork: bool = False, state: str = "opened",
               target: str = "main") -> None:
        self.commits.setdefault(sha, ["feature"])
        self.merge_requests[iid] = {
            "id": 9000 + iid, "iid": iid, "project_id": 1001, "title": f"MR {iid}", "state": state,
            "target_branch": target, "source_branch": "feature", "sha": sha,
            "source_project_id": 2002 if fork else 1001, "target_project_id": 1001,
            "author": {"id": 7, "username": author}, "web_url": f"{WEB}/{PROJECT}/-/merge_requests/{iid}",
        }  # fmt: skip
        self.notes.setdefault(iid, [])

    def add_note(self, iid: int, body: str, *, system: bool = False, author: str = "someone") -> int:
        note = copy.deepcopy(documented_note())
        note.update(id=next(self._ids), body=body, system=system, noteable_iid=iid, noteable_id=9000 + iid)
        note["author"]["username"] = author
        self.notes[iid].append(note)
        return int(note["id"])

    def latest_statuses(self, sha: str) -> dict[str, dict[str, Any]]:
        return {s["name"]: s for s in self.statuses if s["sha"] == sha}

    # -- routing -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, token: str | None) -> Reply:
        with self._lock:
            self.requests.append((method, path, query, body))
            if token != self.token:
                return 401, {"message": "401 Unauthorized"}, {}
            if self.fail:
                return self.fail.pop(0), {"message": "502 Bad Gateway"}, {}
            project = re.escape(f"/api/v4/projects/{quote(PROJECT, safe='')}")
            for route_method, pattern, name, handler in self._routes(project):
                found = re.fullmatch(pattern, path)
                if found and route_method == method:
                    problems = self._check(method, name, path, query, body)
                    if problems:
                        self.errors += [f"{method} {path}: {p}" for p in problems]
                        return 400, {"message": "400 Bad request", "error": "; ".join(problems)}, {}
                    return handler(query, body, *found.groups())
            self.errors.append(f"{method} {path}: not an endpoint the client should call")
            return 404, {"error": "404 Not Found"}, {}

    def _routes(self, project: str) -> list[tuple[str, str, str, Callable[..., Reply]]]:
        return [
            ("GET", rf"{project}/merge_requests/(\d+)", "mr", self._get_mr),
            ("GET", rf"{project}/repository/commits/(\w+)/merge_requests", "commit_mrs", self._commit_mrs),
            ("GET", rf"{project}/merge_requests/(\d+)/approvals", "approvals", self._get_approvals),
            ("GET", rf"{project}/merge_requests/(\d+)/notes", "mr_notes", self._list_notes),
            ("POST", rf"{project}/merge_requests/(\d+)/notes", "mr_notes", self._create_note),
            ("PUT", rf"{project}/merge_requests/(\d+)/notes/(\d+)", "mr_note", self._update_note),
            ("GET", rf"{project}/repository/commits/(\w+)/statuses", "/api/v4/projects/{id}/repository/commits/{sha}"
             "/statuses", self._list_statuses),
            ("POST", rf"{project}/statuses/(\w+)", "/api/v4/projects/{id}/statuses/{sha}", self._create_status),
            ("GET", r"/api/v4/users", "users", self._find_users),
            ("GET", rf"{project}/members/all/(\d+)", "member", self._get_member),
            ("GET", r"/api/v4/groups/([^/]+)/members/all", "group_members", self._group_members),
            ("GET", rf"{project}/issues", "issues", self._list_issues),
            ("POST", rf"{project}/issues", "issues", self._create_issue),
            ("PUT", rf"{project}/issues/(\d+)", "issue", self._update_issue),
            ("POST", rf"{project}/issues/(\d+)/notes", "issue_notes", self._create_issue_note),
            ("POST", rf"{project}/deployments", "/api/v4/projects/{id}/deployments", self._create_deployment),
            ("PUT", rf"{project}/deployments/(\d+)", "/api/v4/projects/{id}/deployments/{deployment_id}",
             self._update_deployment),
        ]  # fmt: skip

    def _check(self, method: str, name: str, path: str, query: dict[str, str], body: Any) -> list[str]:
        if name.startswith("/api/v4/"):
            return _check_against_spec(method.lower(), name, query, body)
        problems = []
        if (method, name) in DOCUMENTED_FIELDS:
            required, allowed = DOCUMENTED_FIELDS[(method, name)]
            problems += [f"missing {k}" for k in sorted(required - set(body or {}))]
            problems += [f"field {k} is not in GitLab's docs for this call" for k in sorted(set(body or {}) - allowed)]
        if (method, name) in DOCUMENTED_QUERY:
            undocumented = set(query) - DOCUMENTED_QUERY[(method, name)]
            problems += [f"query {k} is not in GitLab's docs" for k in sorted(undocumented)]
        return problems

    def _page(self, items: list[Any], query: dict[str, str], path: str) -> Reply:
        per_page = min(int(query.get("per_page", 20)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {"X-Total": str(len(items)), "X-Page": str(page)}
        if page * per_page < len(items):
            link = f"{self.base_url}{path}?{urlencode({**query, 'page': page + 1, 'per_page': per_page})}"
            headers["Link"] = f'<{link}>; rel="next"'
            headers["X-Next-Page"] = str(page + 1)
        return 200, chunk, headers

    # -- merge requests, notes, approvals -----------------------------------------------------

    def _get_mr(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        mr = self.merge_requests.get(int(iid))
        return (200, mr, {}) if mr else (404, {"message": "404 Not found"}, {})

    def _commit_mrs(self, query: dict[str, str], body: Any, sha: str) -> Reply:
        return 200, [mr for mr in self.merge_requests.values() if mr["sha"] == sha], {}

    def _get_approvals(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        if not self.approvals_available:
            return 404, {"error": "404 Not Found"}, {}
        users = self.approvals.get(int(iid), [])
        return 200, {"iid": int(iid), "approved": bool(users),
                     "approved_by": [{"user": {"username": u, "id": i}} for i, u in enumerate(users)]}, {}  # fmt: skip

    def _list_notes(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        notes = list(self.notes[int(iid)])
        if query.get("sort", "desc") == "desc":
            notes.reverse()
        return self._page(notes, query, f"/api/v4/projects/{quote(PROJECT, safe='')}/merge_requests/{iid}/notes")

    def _create_note(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        self.add_note(int(iid), body["body"], author="orchestrator-bot")
        return 201, self.notes[int(iid)][-1], {}

    def _update_note(self, query: dict[str, str], body: Any, iid: str, note_id: str) -> Reply:
        for note in self.notes[int(iid)]:
            if note["id"] == int(note_id):
                note["body"] = body["body"]
                return 200, note, {}
        return 404, {"message": "404 Not found"}, {}

    # -- commit statuses (as Ci::CreateCommitStatusService) ----------------------------------

    def _list_statuses(self, query: dict[str, str], body: Any, sha: str) -> Reply:
        if sha not in self.commits:
            return 404, {"message": "404 Commit Not Found"}, {}
        found = [s for s in self.statuses if s["sha"] == sha]
        for key in ("ref", "name"):
            if query.get(key):
                found = [s for s in found if s[key] == query[key]]
        if query.get("pipeline_id"):
            found = [s for s in found if s["pipeline_id"] == int(query["pipeline_id"])]
        if query.get("all") != "true":
            newest = {(s["pipeline_id"], s["name"]): s for s in found}
            found = sorted(newest.values(), key=lambda s: s["id"])
        path = f"/api/v4/projects/{quote(PROJECT, safe='')}/repository/commits/{sha}/statuses"
        return self._page(found, query, path)

    def _create_status(self, query: dict[str, str], body: Any, sha: str) -> Reply:
        if sha not in self.commits:
            return 404, {"message": "404 Commit Not Found"}, {}
        ref = body.get("ref") or (self.commits[sha][0] if self.commits[sha] else None)
        if ref is None:
            return 404, {"message": "404 References for commit Not Found"}, {}
        pipeline = self._pipeline_for(sha, ref, body.get("pipeline_id"))
        if pipeline is None:
            return 404, {"message": "404 Pipeline for pipeline_id, sha and ref Not Found"}, {}
        name = body.get("name") or body.get("context") or "default"
        current = next((s for s in reversed(self.statuses) if s["pipeline_id"] == pipeline["id"] and s["name"] == name
                        and s["ref"] == ref and s["status"] in ("pending", "running")), None)
        state = body["state"]
        if current is not None and state in ("pending", "running") and current["status"] == state:
            event = "enqueue" if state == "pending" else "run"
            return 400, {"message": _TRANSITION.format(event=event, state=state)}, {}
        status = current if current is not None else {"id": next(self._ids), "sha": sha, "ref": ref, "name": name,
                                                      "pipeline_id": pipeline["id"], "allow_failure": False}
        status.update(status=state, description=body.get("description"), target_url=body.get("target_url"))
        if current is None:
            self.statuses.append(status)
        return 201, status, {}

    def _pipeline_for(self, sha: str, ref: str, pipeline_id: int | None) -> dict[str, Any] | None:
        candidates = [p for p in self.pipelines.values() if p["sha"] == sha and p["ref"] == ref]
        if pipeline_id is not None:
            return next((p for p in candidates if p["id"] == pipeline_id), None)
        if candidates:
            return candidates[-1]
        created = self.add_pipeline(sha, ref, source="external")
        return self.pipelines[created]

    # -- people --------------------------------------------------------------------------------

    def _find_users(self, query: dict[str, str], body: Any) -> Reply:
        name = query.get("username", "")
        return 200, ([{"id": self.users[name], "username": name}] if name in self.users else []), {}

    def _get_member(self, query: dict[str, str], body: Any, user_id: str) -> Reply:
        level = self.members.get(int(user_id))
        return (200, {"id": int(user_id), "access_level": level}, {}) if level else (404, {"message": "404"}, {})

    def _group_members(self, query: dict[str, str], body: Any, group: str) -> Reply:
        members = self.groups.get(unquote(group))
        if members is None:
            return 404, {"message": "404 Group Not Found"}, {}
        return self._page([{"username": m} for m in members], query, f"/api/v4/groups/{group}/members/all")

    # -- issues --------------------------------------------------------------------------------

    def _list_issues(self, query: dict[str, str], body: Any) -> Reply:
        state = query.get("state", "all")
        items = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        return self._page(items, query, f"/api/v4/projects/{quote(PROJECT, safe='')}/issues")

    def _create_issue(self, query: dict[str, str], body: Any) -> Reply:
        iid = len(self.issues) + 1
        labels = [label for label in body.get("labels", "").split(",") if label]
        self.issues[iid] = {"iid": iid, "title": body["title"], "description": body.get("description"),
                            "state": "opened", "labels": labels, "notes": [],
                            "web_url": f"{WEB}/{PROJECT}/-/issues/{iid}"}  # fmt: skip
        return 201, self.issues[iid], {}

    def _update_issue(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        issue = self.issues[int(iid)]
        if "description" in body:
            issue["description"] = body["description"]
        if body.get("state_event") == "close":
            issue["state"] = "closed"
        return 200, issue, {}

    def _create_issue_note(self, query: dict[str, str], body: Any, iid: str) -> Reply:
        self.issues[int(iid)]["notes"].append(body["body"])
        return 201, {"id": next(self._ids), "body": body["body"]}, {}

    # -- deployments ---------------------------------------------------------------------------

    def _create_deployment(self, query: dict[str, str], body: Any) -> Reply:
        if body["sha"] not in self.commits:
            return 400, {"message": {"sha": ["is not a valid commit"]}}, {}
        if body["ref"] not in self.commits[body["sha"]]:
            return 400, {"message": {"ref": [f"The branch or tag does not exist: {body['ref']}"]}}, {}
        deployment = {"id": next(self._ids), **body, "history": [body["status"]]}
        self.deployments[int(deployment["id"])] = deployment
        return 201, deployment, {}

    def _update_deployment(self, query: dict[str, str], body: Any, deployment_id: str) -> Reply:
        deployment = self.deployments[int(deployment_id)]
        deployment["status"] = body["status"]
        deployment["history"].append(body["status"])
        return 200, deployment, {}


def _check_against_spec(method: str, template: str, query: dict[str, str], body: Any) -> list[str]:
    """What GitLab's description says is wrong with this request ([] when it is valid)."""
    operation = spec()["paths"][template][method]
    problems = []
    declared = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    for key, value in query.items():
        parameter = declared.get(key)
        if parameter is None:
            problems.append(f"query {key} is not in GitLab's API description")
        elif parameter.get("type") == "integer" and not value.isdigit():
            problems.append(f"query {key}={value!r} is not an integer")
        elif parameter.get("type") == "boolean" and value not in ("true", "false"):
            problems.append(f"query {key}={value!r} is not a boolean")
        elif "enum" in parameter and value not in parameter["enum"]:
            problems.append(f"query {key}={value!r} is not one of {parameter['enum']}")
    body_parameter = next((p for p in operation["parameters"] if p["in"] == "body"), None)
    if body_parameter is not None:
        name = body_parameter["schema"]["$ref"].rsplit("/", 1)[-1]
        schema = spec()["definitions"][name]
        payload = body if body is not None else {}
        problems += [f"body: {error.message}" for error in Draft4Validator(schema).iter_errors(payload)]
        if isinstance(payload, dict):
            problems += [f"body field {k} is not in GitLab's API description" for k in sorted(
                set(payload) - set(schema["properties"]))]
    return problems


def _serve(standin: GitLabStandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            # GitLab takes the project's path URL-encoded (%2F) as one segment: keep it encoded.
            path = unquote(url.path.replace("%2F", "%252F"))
            status, payload, headers = standin.handle(self.command, path, query, body,
                                                      self.headers.get("PRIVATE-TOKEN"))
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
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
    assert standin.errors == [], "the GitLab stand-in saw calls GitLab would reject:\n  " + "\n  ".join(standin.errors)

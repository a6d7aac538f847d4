"""A stateful stand-in for GitHub's REST API, served on 127.0.0.1 for tests. NOT GitHub.

GitHub cannot be reached from the build machines, so tests talk to this small server
instead. What keeps it honest: every request and every 2xx response is validated against
GitHub's own published API description (`tests/fixtures/github/rest-api.subset.json`)
with openapi-core. A request the real API would reject is answered like GitHub would
(400/404/422) AND recorded in `validation_errors`; the `github_standin` fixture fails the
test at teardown if anything was recorded. On top of the schema, it rejects what GitHub
rejects beyond it: request-body fields the description does not list, status and
deployment descriptions over 140 characters, statuses and deployments for unknown commits,
a missing or wrong token (401).

Use it through the pytest fixture `github_standin` (plugin `tests.support.github_standin`),
seed it (`add_pull`, `add_review`, `set_permission`, `add_comment`, `add_commit`, `add_issue`,
`add_team`), point the client at `standin.base_url` with `standin.token`, then inspect
(`comments`, `statuses`, `issues`, `deployments`, `requests`). Fault injection for retry
tests: `fail_next(n, status=502)`, `secondary_rate_limit_next(n)`, `primary_rate_limit_next(n)`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.support.fixtures import GITHUB

if TYPE_CHECKING:
    from openapi_core import OpenAPI

FIXTURES = GITHUB
SPEC_PATH = FIXTURES / "rest-api.subset.json"
# openapi-core matches requests against the description's server; we present every call as
# if it had been made to api.github.com, whatever port or GHE prefix the stand-in listens on.
SPEC_HOST = "https://api.github.com"
WEB = "https://github.com"
# Served without validation because rest-api.subset.json does not contain them; listed here
# so the gap is visible. Calls to them are also kept in `GitHubStandIn.unvalidated_calls`.
UNVALIDATED_EXTRAS = {("GET", "/orgs/{org}/teams/{team_slug}/members")}
DESCRIPTION_LIMIT = 140
Json = Any
Handler = Callable[["GitHubStandIn", "Call"], tuple[int, Json, dict[str, str]]]


# -- the API description -------------------------------------------------------------------------


@functools.cache
def spec_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    _allow_null_in_nullable_enums(document)
    return document


def _allow_null_in_nullable_enums(node: Any) -> None:
    """GitHub's description marks fields like check-run `conclusion` `nullable: true` with an enum
    that lacks null, and GitHub does send null. OpenAPI 3.0.3 reads that as "null not allowed",
    and openapi-core follows it; we read it as GitHub means it, by adding null to those enums.
    This widens only what null may be; every other value is checked as described."""
    if isinstance(node, dict):
        enum = node.get("enum")
        if node.get("nullable") is True and isinstance(enum, list) and None not in enum:
            node["enum"] = [*enum, None]
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_in_nullable_enums(value)


@functools.cache
def openapi() -> OpenAPI:
    # Imported here: openapi-core takes about a second to import, and this module is loaded as a
    # pytest plugin by every test run, most of which never start the stand-in.
    from openapi_core import OpenAPI
    from openapi_core.configurations import Config

    return OpenAPI.from_dict(spec_document(), config=Config(spec_validator_cls=None))


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec_document()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _example(schema: Any, depth: int = 0) -> Any:
    """The smallest value that satisfies `schema`: required properties only, first enum/oneOf branch."""
    schema = _resolve(schema)
    if depth > 40:
        raise RecursionError("schema nests too deeply to synthesize an example")
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _example(part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return _example(schema[key][0], depth + 1)
    if "enum" in schema:
        return next(value for value in schema["enum"] if value is not None)
    kind = schema.get("type")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties", {})
        return {name: _example(props[name], depth + 1) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return []
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2024-01-01T00:00:00Z"
        if fmt in ("uri", "uri-template", "url"):
            return f"{WEB}/stand-in"
        if fmt == "email":
            return "stand-in@example.com"
        return "stand-in"
    return None


@functools.cache
def _template_for(pointer: str) -> str:
    """Cached JSON text of the example for a schema pointer (JSON text: cheap to copy)."""
    return json.dumps(_example({"$ref": pointer}))


def _component(schema_name: str, /, **overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(_template_for(f"#/components/schemas/{schema_name}"))
    return _merge(value, overrides)


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _operation(method: str, template: str) -> dict[str, Any]:
    operation: dict[str, Any] = spec_document()["paths"][template][method.lower()]
    return operation


def _body_schema(method: str, template: str) -> dict[str, Any] | None:
    body = _resolve(_operation(method, template).get("requestBody"))
    if not body:
        return None
    schema: dict[str, Any] = _resolve(body["content"]["application/json"]["schema"])
    return schema


# -- requests as openapi-core sees them ----------------------------------------------------------


@dataclass
class _SpecRequest:
    method: str
    path: str
    body: bytes | None
    content_type: str
    parameters: Any  # openapi_core.datatypes.RequestParameters
    host_url: str = SPEC_HOST


@dataclass
class _SpecResponse:
    status_code: int
    data: bytes
    headers: Headers
    content_type: str = "application/json"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the GHE prefix, e.g. /repos/acme/infra/statuses/abc
    query: dict[str, str]
    body: Json
    headers: dict[str, str]


@dataclass
class Call:
    """One routed request, handed to a handler."""

    method: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    body: Json
    link_base: str  # absolute URL of this path, for Link headers


@dataclass
class _Fault:
    status: int
    headers: dict[str, str]
    body: Json


@dataclass
class _Pull:
    number: int
    title: str
    author: str
    head_sha: str
    head_ref: str
    base_ref: str
    base_sha: str
    from_fork: bool
    state: str
    merged: bool
    merge_commit_sha: str | None
    files: list[str]
    created_at: str
    reviews: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Issue:
    number: int
    title: str
    body: str | None
    author: str
    labels: list[str]
    state: str
    state_reason: str | None
    created_at: str
    updated_at: str
    closed_at: str | None = None


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: pytest output stays readable; `GitHubStandIn.requests` has it all."""

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


# -- the server ----------------------------------------------------------------------------------


class GitHubStandIn:
    """One repository's worth of GitHub: `owner/repo`, served at `base_url`."""

    def __init__(
        self,
        *,
        owner: str = "acme",
        repo: str = "infra",
        token: str = "ghp_standin_token_0123456789abcdef",
        path_prefix: str = "",
        actor: str = "orchestrator-bot",
    ) -> None:
        self.owner = owner
        self.repo = repo
        self.token = token
        self.path_prefix = path_prefix.rstrip("/")
        self.actor = actor  # the login the token belongs to: author of what the client creates
        self.requests: list[RecordedRequest] = []
        self.validation_errors: list[str] = []
        self.unvalidated_calls: list[str] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1000)
        self._numbers = itertools.count(1)
        self._clock = datetime(2024, 1, 1, tzinfo=UTC)
        self._pulls: dict[int, _Pull] = {}
        self._issues: dict[int, _Issue] = {}
        self._comments: dict[int, dict[str, Any]] = {}
        self._statuses: list[dict[str, Any]] = []
        self._check_runs: dict[int, dict[str, Any]] = {}
        self._deployments: dict[int, dict[str, Any]] = {}
        self._permissions: dict[str, str] = {}
        self._teams: dict[tuple[str, str], list[str]] = {}
        self._commits: set[str] = set()
        self._faults: list[_Fault] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> GitHubStandIn:
        openapi()  # load the description before the first request, not inside it
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        # A short poll interval: shutdown() waits for the loop to notice, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="github-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_port}{self.path_prefix}"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def assert_valid(self) -> None:
        """Fail when any request or response broke GitHub's API description."""
        if self.validation_errors:
            listing = "\n  ".join(self.validation_errors)
            raise AssertionError(f"GitHub stand-in saw calls GitHub would reject:\n  {listing}")

    # -- seeding ----------------------------------------------------------------------------

    def add_commit(self, *shas: str) -> None:
        with self._lock:
            self._commits.update(shas)

    def add_pull(
        self,
        *,
        author: str,
        head_sha: str,
        number: int | None = None,
        title: str = "Change infrastructure",
        head_ref: str = "feature",
        base_ref: str = "main",
        base_sha: str = "b" * 40,
        from_fork: bool = False,
        state: str = "open",
        merged: bool = False,
        merge_commit_sha: str | None = None,
        files: list[str] | None = None,
    ) -> int:
        with self._lock:
            number = number if number is not None else next(self._numbers)
            self._pulls[number] = _Pull(
                number=number,
                title=title,
                author=author,
                head_sha=head_sha,
                head_ref=head_ref,
                base_ref=base_ref,
                base_sha=base_sha,
                from_fork=from_fork,
                state="closed" if merged else state,
                merged=merged,
                merge_commit_sha=merge_commit_sha,
                files=list(files or []),
                created_at=self._now(),
            )
            self._commits.update(sha for sha in (head_sha, base_sha, merge_commit_sha) if sha)
            return number

    def add_review(self, pr: int, user: str, state: str, *, commit_id: str | None = None) -> None:
        """state: APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING; kept in order given."""
        with self._lock:
            pull = self._pulls[pr]
            pull.reviews.append(
                {
                    "id": next(self._ids),
                    "user": user,
                    "state": state,
                    "commit_id": commit_id or pull.head_sha,
                    "submitted_at": self._now(),
                }
            )

    def set_permission(self, login: str, role: str) -> None:
        """role: admin, maintain, write, triage, read or none."""
        with self._lock:
            self._permissions[login] = role

    def add_team(self, org: str, team_slug: str, members: list[str]) -> None:
        with self._lock:
            self._teams[(org, team_slug)] = list(members)

    def add_comment(self, issue_number: int, body: str, *, user: str = "someone") -> int:
        with self._lock:
            return self._create_comment(issue_number, body, user)

    def add_issue(
        self, title: str, body: str, *, labels: list[str] | None = None, state: str = "open", user: str = "someone"
    ) -> int:
        with self._lock:
            return self._create_issue(title, body, labels or [], user, state=state)

    # -- fault injection --------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 502, message: str = "Server Error") -> None:
        """The next `count` requests get `status` (after validation, before any state changes)."""
        with self._lock:
            self._faults += [_Fault(status, {}, {"message": message}) for _ in range(count)]

    def secondary_rate_limit_next(self, count: int = 1, *, retry_after: str = "0") -> None:
        body = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
        with self._lock:
            self._faults += [_Fault(403, {"Retry-After": retry_after}, body) for _ in range(count)]

    def primary_rate_limit_next(self, count: int = 1, *, reset_in: int = 0) -> None:
        reset = int(datetime.now(UTC).timestamp()) + reset_in
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000", "x-ratelimit-reset": str(reset)}
        with self._lock:
            self._faults += [
                _Fault(403, headers, {"message": "API rate limit exceeded for user."}) for _ in range(count)
            ]

    # -- inspection -------------------------------------------------------------------------

    def comments(self, issue_number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._comments.values() if c["issue"] == issue_number]

    def statuses(self, sha: str) -> list[dict[str, Any]]:
        """Every status created for the commit, oldest first."""
        with self._lock:
            return [dict(s) for s in self._statuses if s["sha"] == sha]

    def latest_statuses(self, sha: str) -> dict[str, dict[str, Any]]:
        """The current status per context, as GitHub shows it."""
        latest: dict[str, dict[str, Any]] = {}
        for status in self.statuses(sha):
            latest[status["context"]] = status
        return latest

    def issues(self) -> list[dict[str, Any]]:
        with self._lock:
            return [vars(issue).copy() for issue in self._issues.values()]

    def deployments(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(d) for d in self._deployments.values()]

    def check_runs(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._check_runs.values()]

    def calls(self, method: str, path_contains: str = "") -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and path_contains in r.path]

    # -- HTTP plumbing ----------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._handle(request)
        except Exception as exc:  # a bug in the stand-in must fail the test, not hang it
            self.validation_errors.append(f"stand-in crashed on {request.method} {request.path}: {exc!r}")
            # 400, not 5xx: the client must not spend its retries on a bug in the stand-in.
            response = _json_response(400, {"message": f"stand-in error: {exc!r}"})
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        method = request.method.upper()
        raw = request.get_data()
        path = request.path
        where = f"{method} {path}"
        if self.path_prefix:
            if not path.startswith(self.path_prefix + "/"):
                self.validation_errors.append(f"{where}: not under the API prefix {self.path_prefix}")
                return _json_response(404, {"message": "Not Found"})
            path = path[len(self.path_prefix) :]
        body, body_ok = _decode(raw)
        query = {key: request.args[key] for key in request.args}
        self.requests.append(RecordedRequest(method, path, query, body, dict(request.headers)))

        route = _match(method, path)
        if route is None:
            self.validation_errors.append(f"{where}: no such operation in rest-api.subset.json")
            return _json_response(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        template, params = route
        from openapi_core.datatypes import RequestParameters

        spec_request = _SpecRequest(
            method=method.lower(),
            path=path,
            body=raw or None,
            content_type=request.content_type or "application/json",
            parameters=RequestParameters(
                query=ImmutableMultiDict(list(request.args.items(multi=True))),
                header=Headers(request.headers),
                cookie=ImmutableMultiDict(),
            ),
        )
        validated = (method, template) not in UNVALIDATED_EXTRAS
        if validated:
            problems = [_describe(error) for error in openapi().iter_request_errors(spec_request)]
            problems += _unknown_fields(method, template, body)
            if not body_ok:
                problems.append("body is not valid JSON")
            if problems:
                self.validation_errors += [f"{where}: {problem}" for problem in problems]
                status = 400 if not body_ok else 422
                message = "Problems parsing JSON" if not body_ok else "Validation Failed"
                return _json_response(status, {"message": message, "errors": problems})
        else:
            self.unvalidated_calls.append(where)

        if request.headers.get("Authorization") not in (f"Bearer {self.token}", f"token {self.token}"):
            return _json_response(
                401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
            )
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            return _json_response(fault.status, fault.body, fault.headers)
        if (params.get("owner"), params.get("repo")) not in ((self.owner, self.repo), (None, None)):
            return _json_response(404, {"message": "Not Found"})

        base = f"{request.host_url.rstrip('/')}{self.path_prefix}{path}"
        call = Call(method, template, params, query, body, base)
        handler = HANDLERS.get((method, template))
        if handler is None:
            self.validation_errors.append(f"{where}: in GitHub's API, but the stand-in does not implement it")
            return _json_response(501, {"message": "Not implemented by the stand-in"})
        with self._lock:
            status, payload, headers = handler(self, call)
        response = _json_response(status, payload, headers)
        if validated and 200 <= status < 300:
            spec_response = _SpecResponse(status, response.get_data(), Headers(response.headers))
            for error in openapi().iter_response_errors(spec_request, spec_response):
                self.validation_errors.append(f"{where}: response {status}: {_describe(error)}")
        return response

    # -- object shapes ----------------------------------------------------------------------

    def _now(self) -> str:
        self._clock += timedelta(seconds=1)
        return self._clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _api(self, suffix: str) -> str:
        return f"{SPEC_HOST}/repos/{self.full_name}{suffix}"

    def _user(self, login: str) -> dict[str, Any]:
        user_id = int(hashlib.sha256(login.encode()).hexdigest()[:6], 16)
        return _component(
            "simple-user",
            login=login,
            id=user_id,
            type="Bot" if login.endswith("[bot]") else "User",
            html_url=f"{WEB}/{login}",
            url=f"{SPEC_HOST}/users/{login}",
        )

    def _repository(self, full_name: str) -> dict[str, Any]:
        owner, _, name = full_name.partition("/")
        return _component(
            "repository",
            name=name,
            full_name=full_name,
            owner=self._user(owner),
            html_url=f"{WEB}/{full_name}",
            url=f"{SPEC_HOST}/repos/{full_name}",
        )

    def _comment_json(self, comment: Mapping[str, Any]) -> dict[str, Any]:
        number = comment["issue"]
        return _component(
            "issue-comment",
            id=comment["id"],
            body=comment["body"],
            user=self._user(comment["user"]),
            created_at=comment["created_at"],
            updated_at=comment["updated_at"],
            html_url=f"{WEB}/{self.full_name}/pull/{number}#issuecomment-{comment['id']}",
            issue_url=self._api(f"/issues/{number}"),
            url=self._api(f"/issues/comments/{comment['id']}"),
        )

    def _pull_json(self, pull: _Pull, schema: str = "pull-request") -> dict[str, Any]:
        head_repo = f"{pull.author}/{self.repo}" if pull.from_fork else self.full_name
        merged_at = pull.created_at if pull.merged else None
        overrides: dict[str, Any] = {
            "number": pull.number,
            "title": pull.title,
            "state": pull.state,
            "user": self._user(pull.author),
            "html_url": f"{WEB}/{self.full_name}/pull/{pull.number}",
            "url": self._api(f"/pulls/{pull.number}"),
            "created_at": pull.created_at,
            "updated_at": pull.created_at,
            "merged_at": merged_at,
            "merge_commit_sha": pull.merge_commit_sha,
            "head": {
                "ref": pull.head_ref,
                "sha": pull.head_sha,
                "label": f"{head_repo.split('/')[0]}:{pull.head_ref}",
                "repo": self._repository(head_repo),
                "user": self._user(head_repo.split("/")[0]),
            },
            "base": {
                "ref": pull.base_ref,
                "sha": pull.base_sha,
                "label": f"{self.owner}:{pull.base_ref}",
                "repo": self._repository(self.full_name),
                "user": self._user(self.owner),
            },
        }
        if schema == "pull-request":
            overrides["merged"] = pull.merged
        return _component(schema, **overrides)

    def _issue_json(self, number: int) -> dict[str, Any]:
        if number in self._pulls:
            pull = self._pulls[number]
            return _component(
                "issue",
                number=number,
                title=pull.title,
                body=None,
                state=pull.state,
                user=self._user(pull.author),
                labels=[],
                html_url=f"{WEB}/{self.full_name}/pull/{number}",
                url=self._api(f"/issues/{number}"),
                created_at=pull.created_at,
                updated_at=pull.created_at,
                pull_request={
                    "url": self._api(f"/pulls/{number}"),
                    "html_url": f"{WEB}/{self.full_name}/pull/{number}",
                    "diff_url": f"{WEB}/{self.full_name}/pull/{number}.diff",
                    "patch_url": f"{WEB}/{self.full_name}/pull/{number}.patch",
                    "merged_at": pull.created_at if pull.merged else None,
                },
            )
        issue = self._issues[number]
        # GitHub sends `state_reason: null` on open issues; the description's enum lacks null
        # (an OpenAPI 3.0 nullable+enum quirk), so leave the optional field out instead.
        reason = {"state_reason": issue.state_reason} if issue.state_reason else {}
        return _component(
            "issue",
            number=number,
            title=issue.title,
            body=issue.body,
            state=issue.state,
            **reason,
            user=self._user(issue.author),
            labels=[{"name": label, "color": "ededed", "default": False} for label in issue.labels],
            html_url=f"{WEB}/{self.full_name}/issues/{number}",
            url=self._api(f"/issues/{number}"),
            created_at=issue.created_at,
            updated_at=issue.updated_at,
            closed_at=issue.closed_at,
        )

    def _status_json(self, status: Mapping[str, Any]) -> dict[str, Any]:
        return _component(
            "status",
            id=status["id"],
            state=status["state"],
            context=status["context"],
            description=status["description"],
            target_url=status["target_url"],
            created_at=status["created_at"],
            updated_at=status["created_at"],
            creator=self._user(status["creator"]),
            url=self._api(f"/statuses/{status['sha']}"),
        )

    def _deployment_json(self, deployment: Mapping[str, Any]) -> dict[str, Any]:
        return _component(
            "deployment",
            id=deployment["id"],
            sha=deployment["sha"],
            ref=deployment["ref"],
            task=deployment["task"],
            environment=deployment["environment"],
            description=deployment["description"],
            payload=deployment["payload"],
            creator=self._user(deployment["creator"]),
            created_at=deployment["created_at"],
            updated_at=deployment["created_at"],
            url=self._api(f"/deployments/{deployment['id']}"),
            statuses_url=self._api(f"/deployments/{deployment['id']}/statuses"),
            repository_url=self._api(""),
            transient_environment=deployment["transient_environment"],
            production_environment=deployment["production_environment"],
        )

    # -- state changes shared by seeding and handlers ----------------------------------------

    def _create_comment(self, issue_number: int, body: str, user: str) -> int:
        comment_id = next(self._ids)
        now = self._now()
        self._comments[comment_id] = {
            "id": comment_id,
            "issue": issue_number,
            "body": body,
            "user": user,
            "created_at": now,
            "updated_at": now,
        }
        return comment_id

    def _create_issue(self, title: str, body: str | None, labels: list[str], user: str, *, state: str = "open") -> int:
        number = next(self._numbers)
        while number in self._pulls:
            number = next(self._numbers)
        now = self._now()
        self._issues[number] = _Issue(
            number=number,
            title=title,
            body=body,
            author=user,
            labels=labels,
            state=state,
            state_reason=None,
            created_at=now,
            updated_at=now,
            closed_at=now if state == "closed" else None,
        )
        return number

    def _exists(self, number: int) -> bool:
        return number in self._pulls or number in self._issues


# -- routing -------------------------------------------------------------------------------------

HANDLERS: dict[tuple[str, str], Handler] = {}


def _route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[(method, template)] = handler
        return handler

    return register


@functools.cache
def _route_table() -> list[tuple[str, str, re.Pattern[str]]]:
    table = []
    for template, operations in spec_document()["paths"].items():
        for method in operations:
            if method != "parameters":
                table.append((method.upper(), template, _compile(template)))
    table += [(method, template, _compile(template)) for method, template in UNVALIDATED_EXTRAS]
    return table


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


def _match(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    for route_method, template, pattern in _route_table():
        found = pattern.match(path)
        if found and route_method == method:
            return template, found.groupdict()
    return None


def _not_found() -> tuple[int, Json, dict[str, str]]:
    return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}


def _unprocessable(message: str) -> tuple[int, Json, dict[str, str]]:
    return 422, {"message": message, "documentation_url": "https://docs.github.com/rest"}, {}


def _page(items: list[Any], call: Call) -> tuple[list[Any], dict[str, str]]:
    per_page = min(int(call.query.get("per_page", 30)), 100)
    page = max(int(call.query.get("page", 1)), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]

    def link(number: int) -> str:
        return f"<{call.link_base}?{urlencode({**call.query, 'per_page': per_page, 'page': number})}>"

    rels = []
    if page < last:
        rels += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
    if page > 1:
        rels += [f'{link(1)}; rel="first"', f'{link(page - 1)}; rel="prev"']
    return chunk, ({"Link": ", ".join(rels)} if rels else {})


# -- handlers: issue comments --------------------------------------------------------------------


@_route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def _list_comments(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    number = int(call.params["issue_number"])
    if not gh._exists(number):
        return _not_found()
    items = [gh._comment_json(c) for c in gh._comments.values() if c["issue"] == number]
    chunk, headers = _page(items, call)
    return 200, chunk, headers


@_route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def _create_comment(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    number = int(call.params["issue_number"])
    if not gh._exists(number):
        return _not_found()
    if len(call.body["body"]) > 65536:
        return _unprocessable("Validation Failed: body is too long (maximum is 65536 characters)")
    comment_id = gh._create_comment(number, call.body["body"], gh.actor)
    return 201, gh._comment_json(gh._comments[comment_id]), {"Location": gh._api(f"/issues/comments/{comment_id}")}


@_route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def _get_comment(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    comment = gh._comments.get(int(call.params["comment_id"]))
    return (200, gh._comment_json(comment), {}) if comment else _not_found()


@_route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def _update_comment(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    comment = gh._comments.get(int(call.params["comment_id"]))
    if comment is None:
        return _not_found()
    if len(call.body["body"]) > 65536:
        return _unprocessable("Validation Failed: body is too long (maximum is 65536 characters)")
    comment.update(body=call.body["body"], updated_at=gh._now())
    return 200, gh._comment_json(comment), {}


@_route("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def _delete_comment(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    if gh._comments.pop(int(call.params["comment_id"]), None) is None:
        return _not_found()
    return 204, None, {}


# -- handlers: statuses and check runs -----------------------------------------------------------


@_route("POST", "/repos/{owner}/{repo}/statuses/{sha}")
def _create_status(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    sha = call.params["sha"]
    if sha not in gh._commits:
        return _unprocessable(f"No commit found for SHA: {sha}")
    description = call.body.get("description")
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        gh.validation_errors.append(f"POST statuses/{sha}: description over {DESCRIPTION_LIMIT} characters")
        return _unprocessable("Validation Failed: description is too long (maximum is 140 characters)")
    status = {
        "id": next(gh._ids),
        "sha": sha,
        "state": call.body["state"],
        "context": call.body.get("context", "default"),
        "description": description,
        "target_url": call.body.get("target_url"),
        "created_at": gh._now(),
        "creator": gh.actor,
    }
    gh._statuses.append(status)
    return 201, gh._status_json(status), {"Location": gh._api(f"/statuses/{sha}")}


@_route("GET", "/repos/{owner}/{repo}/commits/{ref}/status")
def _combined_status(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    sha = call.params["ref"]
    if sha not in gh._commits:
        return _not_found()
    latest = list(gh.latest_statuses(sha).values())
    states = {s["state"] for s in latest}
    combined = (
        "failure" if states & {"failure", "error"} else "pending" if "pending" in states or not states else "success"
    )
    payload = _component(
        "combined-commit-status",
        state=combined,
        sha=sha,
        total_count=len(latest),
        statuses=[_merge(_component("simple-commit-status"), _status_fields(gh, s)) for s in latest],
        repository=_component("minimal-repository", full_name=gh.full_name, name=gh.repo, owner=gh._user(gh.owner)),
        commit_url=gh._api(f"/commits/{sha}"),
        url=gh._api(f"/commits/{sha}/status"),
    )
    return 200, payload, {}


def _status_fields(gh: GitHubStandIn, status: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": status["id"],
        "state": status["state"],
        "context": status["context"],
        "description": status["description"],
        "target_url": status["target_url"],
        "created_at": status["created_at"],
        "updated_at": status["created_at"],
        "url": gh._api(f"/statuses/{status['sha']}"),
    }


@_route("POST", "/repos/{owner}/{repo}/check-runs")
def _create_check_run(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    if call.body["head_sha"] not in gh._commits:
        return _unprocessable(f"No commit found for SHA: {call.body['head_sha']}")
    run_id = next(gh._ids)
    gh._check_runs[run_id] = {"id": run_id, "status": "queued", "conclusion": None, **call.body}
    return 201, _check_run_json(gh, gh._check_runs[run_id]), {}


@_route("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
def _get_check_run(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    run = gh._check_runs.get(int(call.params["check_run_id"]))
    return (200, _check_run_json(gh, run), {}) if run else _not_found()


@_route("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
def _update_check_run(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    run = gh._check_runs.get(int(call.params["check_run_id"]))
    if run is None:
        return _not_found()
    run.update(call.body)
    return 200, _check_run_json(gh, run), {}


def _check_run_json(gh: GitHubStandIn, run: Mapping[str, Any]) -> dict[str, Any]:
    output = run.get("output") or {}
    return _component(
        "check-run",
        id=run["id"],
        name=run["name"],
        head_sha=run["head_sha"],
        status=run.get("status", "queued"),
        conclusion=run.get("conclusion"),
        details_url=run.get("details_url"),
        external_id=run.get("external_id"),
        output={"title": output.get("title"), "summary": output.get("summary"), "text": output.get("text")},
        url=gh._api(f"/check-runs/{run['id']}"),
        html_url=f"{WEB}/{gh.full_name}/runs/{run['id']}",
    )


# -- handlers: pull requests ---------------------------------------------------------------------


@_route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}")
def _get_pull(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    pull = gh._pulls.get(int(call.params["pull_number"]))
    return (200, gh._pull_json(pull), {}) if pull else _not_found()


@_route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files")
def _pull_files(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    pull = gh._pulls.get(int(call.params["pull_number"]))
    if pull is None:
        return _not_found()
    items = [
        _component(
            "diff-entry",
            filename=name,
            status="modified",
            sha="0" * 40,
            blob_url=f"{WEB}/{gh.full_name}/blob/{pull.head_sha}/{name}",
            raw_url=f"{WEB}/{gh.full_name}/raw/{pull.head_sha}/{name}",
            contents_url=gh._api(f"/contents/{name}?ref={pull.head_sha}"),
        )
        for name in pull.files
    ]
    chunk, headers = _page(items, call)
    return 200, chunk, headers


@_route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
def _pull_reviews(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    pull = gh._pulls.get(int(call.params["pull_number"]))
    if pull is None:
        return _not_found()
    items = [
        _component(
            "pull-request-review",
            id=review["id"],
            user=gh._user(review["user"]),
            state=review["state"],
            commit_id=review["commit_id"],
            submitted_at=review["submitted_at"],
            body="",
            html_url=f"{WEB}/{gh.full_name}/pull/{pull.number}#pullrequestreview-{review['id']}",
            pull_request_url=gh._api(f"/pulls/{pull.number}"),
        )
        for review in pull.reviews
    ]
    chunk, headers = _page(items, call)
    return 200, chunk, headers


@_route("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls")
def _pulls_for_commit(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    sha = call.params["commit_sha"]
    if sha not in gh._commits:
        return 422, {"message": f"No commit found for SHA: {sha}"}, {}
    items = [
        gh._pull_json(pull, "pull-request-simple")
        for pull in gh._pulls.values()
        if sha in (pull.head_sha, pull.merge_commit_sha)
    ]
    chunk, headers = _page(items, call)
    return 200, chunk, headers


# -- handlers: issues ----------------------------------------------------------------------------


@_route("GET", "/repos/{owner}/{repo}/issues")
def _list_issues(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    state = call.query.get("state", "open")
    wanted = {label for label in call.query.get("labels", "").split(",") if label}
    numbers = sorted({*gh._issues, *gh._pulls}, reverse=call.query.get("direction", "desc") == "desc")
    items = []
    for number in numbers:
        issue = gh._issue_json(number)
        labels = {label["name"] for label in issue["labels"]}
        if state != "all" and issue["state"] != state:
            continue
        if wanted - labels:
            continue
        items.append(issue)
    chunk, headers = _page(items, call)
    return 200, chunk, headers


@_route("POST", "/repos/{owner}/{repo}/issues")
def _create_issue(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    labels = [label if isinstance(label, str) else label.get("name", "") for label in call.body.get("labels", [])]
    number = gh._create_issue(str(call.body["title"]), call.body.get("body"), labels, gh.actor)
    return 201, gh._issue_json(number), {"Location": gh._api(f"/issues/{number}")}


@_route("GET", "/repos/{owner}/{repo}/issues/{issue_number}")
def _get_issue(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    number = int(call.params["issue_number"])
    return (200, gh._issue_json(number), {}) if gh._exists(number) else _not_found()


@_route("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}")
def _update_issue(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    issue = gh._issues.get(int(call.params["issue_number"]))
    if issue is None:
        return _not_found()
    body = call.body
    if "title" in body and body["title"] is not None:
        issue.title = str(body["title"])
    if "body" in body:
        issue.body = body["body"]
    if "labels" in body:
        issue.labels = [label if isinstance(label, str) else label.get("name", "") for label in body["labels"]]
    if "state" in body and body["state"] != issue.state:
        issue.state = body["state"]
        issue.closed_at = gh._now() if issue.state == "closed" else None
        issue.state_reason = body.get("state_reason") or ("completed" if issue.state == "closed" else "reopened")
    issue.updated_at = gh._now()
    return 200, gh._issue_json(issue.number), {}


# -- handlers: people ----------------------------------------------------------------------------

# GitHub's `permission` field predates the finer roles: maintain reads as write, triage as read.
_LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


@_route("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission")
def _permission(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    login = call.params["username"]
    role = gh._permissions.get(login)
    if role is None:
        return 404, {"message": f"{login} is not a user", "documentation_url": "https://docs.github.com/rest"}, {}
    payload = _component(
        "repository-collaborator-permission",
        permission=_LEGACY_PERMISSION.get(role, "none"),
        role_name=role,
        user=_component("nullable-collaborator", **gh._user(login), role_name=role),
    )
    return 200, payload, {}


@_route("GET", "/orgs/{org}/teams/{team_slug}/members")
def _team_members(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    members = gh._teams.get((call.params["org"], call.params["team_slug"]))
    if members is None:
        return _not_found()
    chunk, headers = _page([gh._user(login) for login in members], call)
    return 200, chunk, headers


# -- handlers: deployments -----------------------------------------------------------------------


@_route("GET", "/repos/{owner}/{repo}/deployments")
def _list_deployments(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    items = [
        gh._deployment_json(d)
        for d in reversed(gh._deployments.values())
        if call.query.get("environment") in (None, d["environment"]) and call.query.get("sha") in (None, d["sha"])
    ]
    chunk, headers = _page(items, call)
    return 200, chunk, headers


@_route("POST", "/repos/{owner}/{repo}/deployments")
def _create_deployment(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    body = call.body
    ref = body["ref"]
    if ref not in gh._commits:
        return _unprocessable(f"No ref found for: {ref}")
    required = body.get("required_contexts")
    if required is None or required:
        # GitHub checks every (or the listed) status context on the ref and answers 409 on a failure.
        latest = gh.latest_statuses(ref)
        contexts = latest.keys() if required is None else required
        if any(latest.get(name, {}).get("state") != "success" for name in contexts):
            return 409, {"message": "Conflict: Commit status checks failed for " + ref}, {}
    deployment_id = next(gh._ids)
    environment = body.get("environment", "production")
    gh._deployments[deployment_id] = {
        "id": deployment_id,
        "sha": ref,
        "ref": ref,
        "task": body.get("task", "deploy"),
        "environment": environment,
        "description": body.get("description", ""),
        "payload": body.get("payload", {}),
        "creator": gh.actor,
        "created_at": gh._now(),
        "transient_environment": body.get("transient_environment", False),
        "production_environment": body.get("production_environment", environment == "production"),
        "statuses": [],
    }
    return 201, gh._deployment_json(gh._deployments[deployment_id]), {}


@_route("POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses")
def _create_deployment_status(gh: GitHubStandIn, call: Call) -> tuple[int, Json, dict[str, str]]:
    deployment = gh._deployments.get(int(call.params["deployment_id"]))
    if deployment is None:
        return _not_found()
    body = call.body
    description = body.get("description", "")
    if len(description) > DESCRIPTION_LIMIT:
        gh.validation_errors.append(f"deployment status: description over {DESCRIPTION_LIMIT} characters")
        return _unprocessable("Validation Failed: description is too long (maximum is 140 characters)")
    status = {"id": next(gh._ids), "created_at": gh._now(), **body}
    deployment["statuses"].append(status)
    payload = _component(
        "deployment-status",
        id=status["id"],
        state=body["state"],
        description=description,
        environment=body.get("environment", deployment["environment"]),
        environment_url=body.get("environment_url", ""),
        log_url=body.get("log_url", ""),
        target_url=body.get("target_url", ""),
        creator=gh._user(gh.actor),
        created_at=status["created_at"],
        updated_at=status["created_at"],
        deployment_url=gh._api(f"/deployments/{deployment['id']}"),
        repository_url=gh._api(""),
        url=gh._api(f"/deployments/{deployment['id']}/statuses/{status['id']}"),
    )
    return 201, payload, {"Location": payload["url"]}


# -- helpers -------------------------------------------------------------------------------------


def _json_response(status: int, payload: Json, headers: Mapping[str, str] | None = None) -> Response:
    text = "" if payload is None else json.dumps(payload)
    response = Response(text, status=status, mimetype="application/json" if text else None)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _decode(raw: bytes) -> tuple[Json, bool]:
    if not raw:
        return None, True
    try:
        return json.loads(raw), True
    except ValueError:
        return None, False


def _unknown_fields(method: str, template: str, body: Json) -> list[str]:
    """Body fields the description does not list: GitHub ignores or rejects them; either way a bug."""
    schema = _body_schema(method, template)
    if schema is None or not isinstance(body, dict) or "properties" not in schema:
        return []
    known = set(schema["properties"])
    return [f"request body field {name!r} is not in the API description" for name in body if name not in known]


def _describe(error: BaseException) -> str:
    # The schema errors say what is wrong; the exception text repeats the whole value, so cut it.
    parts = [f"{type(error).__name__}: {str(error)[:200]}"]
    cause = error.__cause__
    while cause is not None:
        details = getattr(cause, "schema_errors", None)
        if details:
            parts += [f"at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in details]
        else:
            parts.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__
    return "; ".join(parts)


@pytest.fixture
def github_standin() -> Iterator[GitHubStandIn]:
    """A running stand-in; the test fails at teardown if any call broke GitHub's API description."""
    standin = GitHubStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()
    standin.assert_valid()

"""One JSON-over-HTTP client for the VCS hosts: redirects, retries, pagination, clear errors.

The only place the VCS layer does HTTP. What it guarantees to the providers:
- a 2xx is the only success; every other answer becomes a `VcsError` naming the method, the
  endpoint, the HTTP status and the host's own message (never the token);
- a GET that is redirected (a renamed or moved repository: GitHub answers 301 with a
  `Location`) is followed on the same host; a redirected write is an error naming the new
  location, so a status or comment is never silently lost on a stale `vcs.repo`;
- rate limits and outages are retried as the host documents (see `_retry.py`) within a total
  deadline; the clock and the sleep are injectable, so tests never wait for real;
- a body that is not what the endpoint always returns is a `VcsError` too (`parsed`), never a
  `KeyError` deep in a flow.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from orchestrator.vcs._retry import RetryPolicy, Wait, backoff, retry_wait
from orchestrator.vcs.base import VcsError

__all__ = ["Clock", "HostInfo", "JsonApi", "RetryPolicy", "Sleep", "next_page_url"]

Sleep = Callable[[float], None]
Clock = Callable[[], float]  # seconds since the epoch (rate-limit resets are epoch times)
log = logging.getLogger("orchestrator.vcs")
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5
_READS = ("GET", "HEAD")


@dataclass(frozen=True)
class HostInfo:
    name: str  # "GitHub" or "GitLab", for messages
    token_env: str  # the env var the token came from, for hints
    repo_setting: str = "vcs.repo"  # what to change when the repository moved


class JsonApi:
    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        token: str,
        host: HostInfo,
        policy: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._host = host
        self._policy = policy or RetryPolicy()
        self._sleep = sleep or time.sleep
        self._clock = clock or time.time
        self._moved_warned = False
        self._client = httpx.Client(headers=dict(headers), timeout=timeout, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> httpx.Response | None:
        """Send one call, following a read's redirects and retrying what is worth retrying.
        404 → None when `missing_ok`; any other non-2xx → VcsError."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        self._check_same_host(url)
        endpoint = self._endpoint(url)
        started = self._clock()
        attempt = secondary = hops = 0
        while True:
            attempt += 1
            try:
                response = self._client.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                dropped = Wait(backoff(attempt, self._policy), "transport", problem)
                self._pause(method, endpoint, dropped, attempt, started, problem=problem)
                continue
            status = response.status_code
            if status in _REDIRECTS:
                url = self._follow(method, endpoint, response)
                hops += 1
                if hops > _MAX_REDIRECTS:
                    raise self._error(method, endpoint, response, attempt, hint="the host redirects in a loop")
                params = None  # the Location carries the query already
                attempt -= 1  # a redirect is not a failed try
                continue
            if status == 404 and missing_ok:
                return None
            if 200 <= status < 300:
                return response
            wait = retry_wait(
                status,
                response.headers,
                response.text,
                attempt=attempt,
                secondary_seen=secondary,
                now=self._clock(),
                policy=self._policy,
            )
            if wait is None:
                raise self._error(method, endpoint, response, attempt)
            secondary += wait.kind == "secondary_rate_limit"
            self._pause(method, endpoint, wait, attempt, started, response=response)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request` returning the decoded JSON body (None for an empty body or a missing_ok 404)."""
        response = self.request(method, path, **kwargs)
        if response is None or not response.content:
            return None
        return self.decode(method, response)

    def paginate(
        self, path: str, params: Mapping[str, str | int] | None = None, *, per_page_key: str = "per_page"
    ) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: <...>; rel="next"` to the last page."""
        query: dict[str, str | int] = {per_page_key: 100, **(params or {})}
        url: str | None = path
        first = True
        while url is not None:
            response = self.request("GET", url, params=query if first else None)
            assert response is not None
            first = False
            items = self.decode("GET", response)
            if not isinstance(items, list):
                endpoint = self._endpoint(str(response.url))
                raise VcsError(
                    f"{self._host.name} API GET {endpoint} returned {type(items).__name__}, expected a list",
                    method="GET",
                    endpoint=endpoint,
                )
            yield from items
            url = next_page_url(response.headers.get("link"))

    @contextmanager
    def parsed(self, method: str, path: str) -> Iterator[None]:
        """Reading fields of an answer: a missing or mistyped field is a VcsError naming the call."""
        try:
            yield
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            endpoint = self._endpoint(path if "://" in path else f"{self.base_url}{path}")
            missing = f"no field {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
            raise VcsError(
                f"{self._host.name} API {method} {endpoint} answered in an unexpected shape ({missing})",
                method=method,
                endpoint=endpoint,
                hint=f"check vcs.api_url: it must point at the {self._host.name} REST API",
            ) from None

    # -- redirects and waits -----------------------------------------------------------------

    def _follow(self, method: str, endpoint: str, response: httpx.Response) -> str:
        """The URL a read is redirected to; a redirected write is an error naming where it went."""
        location = response.headers.get("location")
        if not location:
            raise self._error(method, endpoint, response, 1, hint="a redirect without a Location header")
        target = str(response.url.join(location))
        where = self._endpoint(target) if self._same_host(target) else target
        if method.upper() not in _READS:
            raise VcsError(
                self._scrub(
                    f"{self._host.name} API {method} {endpoint} was redirected (HTTP {response.status_code}) to "
                    f"{where}: the repository was renamed or moved, and a write is not repeated elsewhere"
                ),
                status=response.status_code,
                method=method,
                endpoint=endpoint,
                hint=f"set {self._host.repo_setting} in orchestrator.yaml to the repository's current name",
            )
        self._check_same_host(target)
        if response.status_code in (301, 308) and not self._moved_warned:
            self._moved_warned = True
            log.warning(
                "%s API: %s moved permanently to %s; update %s",
                self._host.name,
                endpoint,
                where,
                self._host.repo_setting,
            )
        return target

    def _pause(
        self,
        method: str,
        endpoint: str,
        wait: Wait,
        attempt: int,
        started: float,
        *,
        response: httpx.Response | None = None,
        problem: str | None = None,
    ) -> None:
        """Sleep before the next try, or raise when tries or the deadline are spent."""
        spent = self._clock() - started
        hint = None
        if wait.kind in ("rate_limit", "secondary_rate_limit"):
            hint = f"{self._host.name} is rate limiting this token; run again once the limit has lifted"
        if attempt >= self._policy.max_attempts:
            raise self._final(method, endpoint, attempt, response, problem, hint=hint)
        if spent + wait.seconds > self._policy.deadline:
            note = (
                f"; not retried: {wait.why}, {wait.seconds:.0f} s from now, beyond the "
                f"{self._policy.deadline:.0f}-s deadline of one call"
            )
            raise self._final(method, endpoint, attempt, response, problem, note=note, hint=hint)
        self._sleep(wait.seconds)

    def _final(
        self,
        method: str,
        endpoint: str,
        attempt: int,
        response: httpx.Response | None,
        problem: str | None,
        *,
        note: str = "",
        hint: str | None = None,
    ) -> VcsError:
        if response is not None:
            return self._error(method, endpoint, response, attempt, note=note, hint=hint)
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        return VcsError(
            self._scrub(f"{self._host.name} API {method} {endpoint} failed{tries}: {problem}{note}"),
            method=method,
            endpoint=endpoint,
            hint=f"check that {self.base_url} is reachable from here",
        )

    # -- messages --------------------------------------------------------------------------

    def decode(self, method: str, response: httpx.Response) -> Any:
        """The JSON body of an answer; a body that is not JSON is a VcsError naming the call."""
        try:
            return response.json()
        except ValueError:
            endpoint = self._endpoint(str(response.url))
            raise VcsError(
                f"{self._host.name} API {method} {endpoint} answered HTTP {response.status_code} with a body "
                f"that is not JSON ({_snippet(response.text)})",
                status=response.status_code,
                method=method,
                endpoint=endpoint,
                hint=f"check vcs.api_url: it must point at the {self._host.name} REST API, not a web page or proxy",
            ) from None

    def _error(
        self,
        method: str,
        endpoint: str,
        response: httpx.Response,
        attempt: int,
        *,
        hint: str | None = None,
        note: str = "",
    ) -> VcsError:
        status = response.status_code
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        message = self._scrub(
            f"{self._host.name} API {method} {endpoint} failed{tries}: HTTP {status}: {_host_message(response)}{note}"
        )
        return VcsError(message, status=status, method=method, endpoint=endpoint, hint=hint or self._hint(status))

    def _hint(self, status: int) -> str | None:
        if status == 401:
            return f"the token in ${self._host.token_env} is missing, expired or revoked"
        if status == 403:
            return f"the token in ${self._host.token_env} lacks a permission this call needs, or a rate limit held"
        if status == 404:
            return f"check {self._host.repo_setting} in orchestrator.yaml and that the token can see that repository"
        if status == 422:
            return "the host rejected the request's content; this is likely a bug in the orchestrator"
        if status >= 500 or status == 429:
            return f"{self._host.name} is unavailable or rate limiting; run again later"
        return None

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _endpoint(self, url: str) -> str:
        path = urlsplit(url).path
        base_path = urlsplit(self.base_url).path
        return path[len(base_path) :] if base_path and path.startswith(base_path) else path

    def _same_host(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc

    def _check_same_host(self, url: str) -> None:
        # The token must only ever go to the configured API host, whatever a Link or Location says.
        if not self._same_host(url):
            raise VcsError(
                f"{self._host.name} API pointed to another host ({urlsplit(url).netloc}); refusing to send the token",
                endpoint=self._endpoint(url),
            )


def next_page_url(link_header: str | None) -> str | None:
    if not link_header:
        return None
    match = _LINK_NEXT.search(link_header)
    return match.group(1) if match else None


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return (flat[:120] + "…") if len(flat) > 120 else (flat or "empty")


def _host_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return _snippet(text) if text else response.reason_phrase
    if not isinstance(data, dict):
        return str(data)[:300]
    message = data.get("message") or data.get("error") or response.reason_phrase
    details = data.get("errors")
    text = message if isinstance(message, str) else str(message)
    if details:
        text += f" ({str(details)[:300]})"
    return text

"""One JSON-over-HTTP client for the VCS hosts: retries with backoff, pagination, clear errors.

The only place the VCS layer does HTTP. Retries cover what a host's outage or rate limit
looks like (5xx, 429, GitHub's 403 secondary/primary rate limits, dropped connections);
everything else is a `VcsError` at once, naming the endpoint and the host's message.
The token is sent in a header only and scrubbed from every message we build.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from orchestrator.vcs.base import VcsError

Sleep = Callable[[float], None]
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # total tries of one request, first one included
    base_delay: float = 1.0  # seconds before the 2nd try; doubles for each further try
    max_delay: float = 60.0  # never wait longer than this, whatever the host asks


@dataclass(frozen=True)
class HostInfo:
    name: str  # "GitHub" or "GitLab", for messages
    token_env: str  # the env var the token came from, for hints


class JsonApi:
    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        token: str,
        host: HostInfo,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._host = host
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._client = httpx.Client(headers=dict(headers), timeout=timeout, transport=transport)

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
        """Send one call, retrying what is worth retrying. 404 → None when `missing_ok`."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        self._check_same_host(url)
        endpoint = self._endpoint(url)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._client.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                if attempt >= self._policy.max_attempts:
                    raise VcsError(
                        self._scrub(
                            f"{self._host.name} API {method} {endpoint} failed after {attempt} attempts: "
                            f"{type(exc).__name__}: {exc}"
                        ),
                        method=method,
                        endpoint=endpoint,
                        hint=f"check that {self.base_url} is reachable from here",
                    ) from None
                self._sleep(self._backoff(attempt))
                continue
            if response.status_code == 404 and missing_ok:
                return None
            if response.status_code < 400:
                return response
            delay = self._retry_delay(response, attempt)
            if delay is None or attempt >= self._policy.max_attempts:
                raise self._error(method, endpoint, response, attempt)
            self._sleep(delay)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request` returning the decoded JSON body (None for an empty body)."""
        response = self.request(method, path, **kwargs)
        if response is None or not response.content:
            return None
        return response.json()

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
            items = response.json()
            if not isinstance(items, list):
                raise VcsError(
                    f"{self._host.name} API GET {self._endpoint(str(response.url))} returned "
                    f"{type(items).__name__}, expected a list",
                    method="GET",
                    endpoint=self._endpoint(str(response.url)),
                )
            yield from items
            url = next_page_url(response.headers.get("link"))

    # -- retry decisions -------------------------------------------------------------------

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        status = response.status_code
        headers = response.headers
        if status == 403 and not _is_rate_limited(response):
            return None  # a permission problem: retrying cannot fix it
        if status not in (403, 429) and status < 500:
            return None
        retry_after = _parse_retry_after(headers.get("retry-after"))
        if retry_after is not None:
            return min(retry_after, self._policy.max_delay)
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                wait = float(headers["x-ratelimit-reset"]) - time.time() + 1.0
            except ValueError:
                wait = self._backoff(attempt)
            return min(max(wait, 0.0), self._policy.max_delay)
        if status == 403:
            # GitHub: a secondary rate limit without headers means "wait at least a minute".
            return self._policy.max_delay
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        return float(min(self._policy.base_delay * (2 ** (attempt - 1)), self._policy.max_delay))

    # -- messages --------------------------------------------------------------------------

    def _error(self, method: str, endpoint: str, response: httpx.Response, attempt: int) -> VcsError:
        status = response.status_code
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        message = self._scrub(
            f"{self._host.name} API {method} {endpoint} failed{tries}: HTTP {status}: {_host_message(response)}"
        )
        return VcsError(message, status=status, method=method, endpoint=endpoint, hint=self._hint(status))

    def _hint(self, status: int) -> str | None:
        if status == 401:
            return f"the token in ${self._host.token_env} is missing, expired or revoked"
        if status == 403:
            return f"the token in ${self._host.token_env} lacks a permission this call needs, or a rate limit held"
        if status == 404:
            return "check vcs.repo in orchestrator.yaml and that the token can see that repository"
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

    def _check_same_host(self, url: str) -> None:
        # The token must only ever go to the configured API host, even if a Link header says otherwise.
        if urlsplit(url).netloc != urlsplit(self.base_url).netloc:
            raise VcsError(
                f"{self._host.name} API pointed to another host ({urlsplit(url).netloc}); refusing to send the token",
                endpoint=self._endpoint(url),
            )


def next_page_url(link_header: str | None) -> str | None:
    if not link_header:
        return None
    match = _LINK_NEXT.search(link_header)
    return match.group(1) if match else None


def _is_rate_limited(response: httpx.Response) -> bool:
    headers = response.headers
    if "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0":
        return True
    return "rate limit" in response.text.lower()


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _host_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] if text else response.reason_phrase
    if not isinstance(data, dict):
        return str(data)[:300]
    message = data.get("message") or data.get("error") or response.reason_phrase
    details = data.get("errors")
    text = message if isinstance(message, str) else str(message)
    if details:
        text += f" ({str(details)[:300]})"
    return text

"""When to try a VCS API call again, and after how long: pure decisions on status and headers.

GitHub documents what a client must do when it is rate limited
(docs.github.com, "Best practices for using the REST API", "Handle rate limit errors"):
- `retry-after` present: wait that many seconds;
- `x-ratelimit-remaining: 0`: wait until `x-ratelimit-reset` (UTC epoch seconds);
- otherwise (a secondary limit without headers): wait at least a minute, then exponentially
  longer while it keeps failing, and give up after a number of tries.
GitLab answers 429 with `Retry-After` and `RateLimit-Reset`, which the same rules cover.
A wait the host asks for is never shortened (retrying early only prolongs the limit); when it
would end past the call's deadline, the call fails at once with a message saying when the
limit lifts, instead of sleeping and failing anyway.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Kind = Literal["rate_limit", "secondary_rate_limit", "unavailable", "transport"]
_SECONDARY_WORDS = ("secondary rate limit", "abuse detection", "abuse-rate-limits")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6  # total tries of one request, first one included
    base_delay: float = 1.0  # our own backoff (5xx, dropped connections): 1, 2, 4 ... seconds
    max_delay: float = 60.0  # cap on our own backoff; waits the host asks for are never capped
    secondary_delay: float = 60.0  # a secondary limit without headers: 60, 120, 240 ... seconds
    deadline: float = 600.0  # seconds one call may spend in total; a longer wait fails at once


@dataclass(frozen=True)
class Wait:
    seconds: float
    kind: Kind
    why: str  # for the error message when the wait does not fit the deadline


def retry_wait(
    status: int,
    headers: Mapping[str, str],
    text: str,
    *,
    attempt: int,
    secondary_seen: int,
    now: float,
    policy: RetryPolicy,
) -> Wait | None:
    """How long to wait before trying again after `status`, or None when retrying cannot help.

    `headers` must be case-insensitive (httpx's are); `attempt` counts tries so far (1 = first);
    `secondary_seen` counts the secondary-limit answers before this one in the same call.
    """
    if status not in (403, 429) and status < 500:
        return None
    retry_after = parse_retry_after(headers.get("retry-after"), now=now)
    exhausted = headers.get("x-ratelimit-remaining") == "0" or headers.get("ratelimit-remaining") == "0"
    secondary = any(word in text.lower() for word in _SECONDARY_WORDS)
    if status == 403 and retry_after is None and not exhausted and not secondary and "rate limit" not in text.lower():
        return None  # a permission problem: retrying cannot fix it
    if retry_after is not None:
        kind: Kind = "secondary_rate_limit" if secondary else "rate_limit" if status in (403, 429) else "unavailable"
        return Wait(retry_after, kind, f"the host asked to retry after {retry_after:.0f} s (Retry-After)")
    reset = _reset_epoch(headers)
    if exhausted and reset is not None:
        when = datetime.fromtimestamp(reset, UTC).strftime("%H:%M:%S UTC")
        return Wait(max(reset - now + 1.0, 0.0), "rate_limit", f"the token's rate limit resets at {when}")
    if status in (403, 429):
        seconds = policy.secondary_delay * (2**secondary_seen)
        return Wait(seconds, "secondary_rate_limit", f"a secondary rate limit; waiting {seconds:.0f} s before retry")
    return Wait(backoff(attempt, policy), "unavailable", f"HTTP {status}")


def backoff(attempt: int, policy: RetryPolicy) -> float:
    """Our own exponential backoff after the `attempt`-th try failed."""
    return float(min(policy.base_delay * (2 ** (attempt - 1)), policy.max_delay))


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


def _reset_epoch(headers: Mapping[str, str]) -> float | None:
    # GitHub: x-ratelimit-reset (epoch seconds); GitLab: RateLimit-Reset (epoch seconds as well).
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        raw = headers.get(name)
        if raw is not None:
            try:
                return float(raw)
            except ValueError:
                return None
    return None

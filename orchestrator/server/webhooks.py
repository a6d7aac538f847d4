"""The webhook endpoints: size limit, signature, JSON (`payload.py`), de-duplication, then the queue.

Order matters: the body is read up to the limit only; the signature is checked on the raw
bytes before anything parses them; the job rows (and the delivery id) are committed before
the 202 goes back, so an acknowledged delivery is never lost.

A delivery that is not JSON (GitHub's `application/x-www-form-urlencoded` content type) gets
415 naming the setting to change. GitHub signs the body: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`.
GitLab sends the configured secret token as is: `X-Gitlab-Token`. Both compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from orchestrator.errors import UserError
from orchestrator.server.events import BadPayload, Decision, github_decision, gitlab_decision
from orchestrator.server.metrics import ServerMetrics
from orchestrator.server.payload import Malformed, parse_payload
from orchestrator.store.job_model import Enqueued
from orchestrator.store.jobs import JobQueue

log = logging.getLogger("orchestrator.server")
MAX_BODY_BYTES = 5 * 1024 * 1024
SECRET_ENV = "ORCHESTRATOR_WEBHOOK_SECRET"


def github_signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace"))


def github_signature(secret: bytes, body: bytes) -> str:
    """The header value GitHub would send (for tests, the benchmark and redelivery tools)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def gitlab_token_valid(secret: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(secret, header.encode("utf-8", "replace"))


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refusing (without reading on) as soon as it would pass `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Receiver:
    """What the endpoints need: the secret, the queue, where to announce new jobs."""

    queue: JobQueue
    secret: bytes | None
    metrics: ServerMetrics
    wake_workers: Callable[[int], None]
    expected_repo: str | None = None
    max_body: int = MAX_BODY_BYTES

    async def github(self, request: Request) -> JSONResponse:
        return await self._receive(request, "github")

    async def gitlab(self, request: Request) -> JSONResponse:
        return await self._receive(request, "gitlab")

    async def _receive(self, request: Request, source: str) -> JSONResponse:
        if self.secret is None:
            return self._answer(source, "unconfigured", 503, error=f"no webhook secret is configured: set {SECRET_ENV} "
                                "on the server and the same secret on the webhook")
        try:
            body = await read_body(request, self.max_body)
        except BodyTooLarge:
            return self._answer(source, "too_large", 413, error=f"body over {self.max_body} bytes")
        except ClientDisconnect:  # the sender went away, or its body came too slowly (protocol.py)
            return self._answer(source, "disconnected", 400, error="the connection closed before the body arrived")
        if not self._authentic(source, request.headers, body):
            return self._answer(source, "unauthorized", 401, error=self._auth_error(source, request.headers))
        media = _media_type(request.headers.get("content-type"))
        if media is not None and media != "application/json" and not media.endswith("+json"):
            return self._answer(source, "unsupported_media", 415, error=f"the delivery is {media}, not JSON: set "
                                f"the webhook's content type to application/json ({_CONTENT_TYPE_SETTING[source]})")
        try:
            payload = parse_payload(body)
        except Malformed as exc:
            return self._answer(source, "malformed", 400, reason_label=exc.reason, error=exc.message)
        event, delivery = _event_and_delivery(source, request.headers)
        try:
            decision = self._decide(source, event, payload)
        except BadPayload as exc:
            return self._answer(source, "malformed", 400, reason_label=exc.reason, error=str(exc))
        if not decision.acted:
            return self._answer(source, "ignored", 202, status="ignored", reason=decision.reason, event=event)
        try:
            done = await run_in_threadpool(self._enqueue, decision, source, delivery, event)
        except UserError as exc:
            log.error("queueing a %s delivery failed: %s", source, exc.message)
            return self._answer(source, "error", 503, error="the job queue is unavailable; redeliver later")
        if done.duplicate:
            return self._answer(source, "duplicate", 202, status="duplicate", jobs=list(done.job_ids),
                                reason=f"delivery {delivery} was received before; nothing queued again")
        for job in decision.jobs:
            self.metrics.jobs_queued.labels(job.kind).inc()
        self.wake_workers(len(done.job_ids))
        return self._answer(source, "queued", 202, status="queued", jobs=list(done.job_ids),
                            superseded=list(done.superseded), reason=decision.reason, event=event)

    def _authentic(self, source: str, headers: Mapping[str, str], body: bytes) -> bool:
        assert self.secret is not None
        if source == "github":
            return github_signature_valid(self.secret, body, headers.get("x-hub-signature-256"))
        return gitlab_token_valid(self.secret, headers.get("x-gitlab-token"))

    @staticmethod
    def _auth_error(source: str, headers: Mapping[str, str]) -> str:
        header = "X-Hub-Signature-256" if source == "github" else "X-Gitlab-Token"
        if not headers.get(header.lower()):
            return f"missing {header}: configure the webhook's secret"
        return f"{header} does not match: the webhook's secret differs from {SECRET_ENV}, or the body was altered"

    def _decide(self, source: str, event: str, payload: dict[str, Any]) -> Decision:
        if source == "github":
            return github_decision(event, payload, expected_repo=self.expected_repo)
        return gitlab_decision(event, payload, expected_repo=self.expected_repo)

    def _enqueue(self, decision: Decision, source: str, delivery: str | None, event: str) -> Enqueued:
        return self.queue.enqueue(decision.jobs, source=source, delivery=delivery, event=event)

    def _answer(self, source: str, outcome: str, code: int, *, reason_label: str = "", **body: Any) -> JSONResponse:
        """The response, counted by source, outcome and (for a malformed delivery) the reason."""
        self.metrics.deliveries.labels(source, outcome, reason_label).inc()
        return JSONResponse(body, status_code=code)


_CONTENT_TYPE_SETTING = {
    "github": "GitHub: the repository's Settings > Webhooks > the webhook > Content type",
    "gitlab": "GitLab sends JSON only: check what sits between GitLab and this server",
}


def _media_type(header: str | None) -> str | None:
    """`application/json` of `application/json; charset=utf-8`; None when the sender named none."""
    media = (header or "").split(";", 1)[0].strip().lower()
    return media or None


def _event_and_delivery(source: str, headers: Mapping[str, str]) -> tuple[str, str | None]:
    if source == "github":
        event = headers.get("x-github-event", "")
        delivery = headers.get("x-github-delivery")
    else:
        event = headers.get("x-gitlab-event", "")
        # Idempotency-Key stays the same when GitLab retries a delivery; the event UUID names the event.
        delivery = headers.get("idempotency-key") or headers.get("x-gitlab-event-uuid")
    return event, None if not delivery else f"{source}:{delivery.strip()[:255]}"

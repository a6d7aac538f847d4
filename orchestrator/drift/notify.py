"""The drift webhook: a Slack-compatible message per environment with new or resolved findings.

The URL is a secret (it carries the token): it is read from the variable the environment
names and never appears in a result, a log or an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.config.resolved import RepoConfig
from orchestrator.drift.findings import changed
from orchestrator.drift.model import Finding
from orchestrator.redact import Redactor
from orchestrator.slack import slack_plain

Poster = Callable[[str, dict[str, Any]], int]  # (url, json payload) -> HTTP status


@dataclass(frozen=True)
class Notification:
    environment: str
    sent: bool
    new: int = 0
    resolved: int = 0
    error: str | None = None  # never holds the webhook URL
    skipped: str | None = None  # why nothing was sent although there was news (no URL set)

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "sent": self.sent, "new": self.new,
                "resolved": self.resolved, "error": self.error, "skipped": self.skipped}


def notify(
    config: RepoConfig,
    environments: Sequence[str],
    states: Sequence[Finding],
    environ: Mapping[str, str] | None,
    post: Poster,
) -> tuple[Notification, ...]:
    """A Slack-compatible message per environment with new or resolved findings."""
    variables = os.environ if environ is None else environ
    sent = []
    for name in environments:
        env = config.environment(name)
        news = changed(f for f in states if f.environment == name)
        if not env.notify_webhook_url_env or not news or "drift" not in env.notify.events:
            continue
        url = variables.get(env.notify_webhook_url_env, "").strip()
        new = sum(1 for f in news if f.state == "new")
        resolved = len(news) - new
        if not url:
            # The webhook is optional: a run without its URL (a laptop, a fork) is not a failure.
            sent.append(Notification(name, False, new, resolved,
                                     skipped=f"${env.notify_webhook_url_env} is not set (notify.webhook_url_env "
                                             f"in {env.source})"))
            continue
        sent.append(_send(name, url, webhook_payload(name, news), post, new, resolved))
    return tuple(sent)


def _send(env: str, url: str, payload: dict[str, Any], post: Poster, new: int, resolved: int) -> Notification:
    try:
        status = post(url, payload)
    except Exception as exc:  # the message may hold the URL: redact it, say only what kind of failure
        reason = Redactor([url]).text(f"{type(exc).__name__}: {exc}").replace(url, "[webhook URL]")
        return Notification(env, False, new, resolved, error=f"POST failed: {reason}")
    if not 200 <= status < 300:
        return Notification(env, False, new, resolved, error=f"the webhook answered HTTP {status}")
    return Notification(env, True, new, resolved)


def webhook_payload(env: str, news: Sequence[Finding]) -> dict[str, Any]:
    new = [f for f in news if f.state == "new"]
    resolved = [f for f in news if f.state == "resolved"]
    lines = [f"*Drift in {env}*: {len(new)} new, {len(resolved)} resolved"]
    lines += [_line("new", f) for f in new[:20]]
    lines += [_line("resolved", f) for f in resolved[:20]]
    more = len(new[20:]) + len(resolved[20:])
    if more:
        lines.append(f"…and {more} more")
    return {"text": "\n".join(lines)}


_REDACTOR = Redactor()


def _line(state: str, finding: Finding) -> str:
    # Stack, type and name come from programs and the cloud: credential-looking text is masked,
    # and nothing in them may become a Slack link or mention (`<!channel>`), start a line, or open or
    # close a code span (a backtick).
    def shown(text: str) -> str:
        return slack_plain(_REDACTOR.text(text)).replace("\r", " ").replace("\n", " ").replace("`", "'")

    return (f"• {state} {finding.kind}: {shown(finding.stack or finding.environment)} {shown(finding.type)} "
            f"`{shown(finding.name)}`")


def http_post(url: str, payload: dict[str, Any]) -> int:
    import httpx

    response = httpx.post(url, json=payload, timeout=10.0)
    return response.status_code

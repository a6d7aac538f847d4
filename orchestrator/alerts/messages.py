"""How an alert reads: Slack-compatible text (`{"text": ...}`) or a generic JSON event. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.alerts.events import Alert
from orchestrator.slack import slack_plain

TITLES = {"deploy_failed": "Deploy failed", "stack_locked": "Stack locked", "gate_waiting": "Waiting for a gate",
          "rollback": "Rollback performed"}


def run_link(run_id: str, environ: Mapping[str, str]) -> str | None:
    """Where people can see the run: the dashboard, else the CI run that ran it."""
    dashboard = dashboard_link(run_id, environ)
    if dashboard:
        return dashboard
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_RUN_ID"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        return f"{server}/{environ.get('GITHUB_REPOSITORY', '')}/actions/runs/{environ['GITHUB_RUN_ID']}"
    return environ.get("CI_PIPELINE_URL") or None


def dashboard_link(run_id: str, environ: Mapping[str, str]) -> str | None:
    """The run's dashboard page: $ORCHESTRATOR_DASHBOARD_URL, else the server's own address
    ($ORCHESTRATOR_PUBLIC_URL, which `orchestrator serve` reads too). A run that holds a lock
    is another process's run: the CI run checking the lock is not its link."""
    for name in ("ORCHESTRATOR_DASHBOARD_URL", "ORCHESTRATOR_PUBLIC_URL"):
        base = environ.get(name, "").strip().rstrip("/")
        if base:
            return f"{base}/runs/{run_id}"
    return None


def payload(alert: Alert, *, fmt: str, link: str | None) -> dict[str, Any]:
    if fmt == "json":
        return {"event": alert.kind, "environment": alert.environment, "summary": alert.summary,
                "run": {"id": alert.run_id, "url": link}, "commit": alert.commit or None,
                "stacks": list(alert.stacks), "details": list(alert.details), "key": alert.key}
    return {"text": slack_text(alert, link)}


def slack_text(alert: Alert, link: str | None) -> str:
    run = f"<{link}|run {slack_plain(alert.run_id)}>" if link else f"run `{slack_plain(alert.run_id)}`"
    title = TITLES.get(alert.kind, alert.kind)
    lines = [f"*{title}* in {slack_plain(alert.environment)}: {slack_plain(alert.summary)}",
             f"{run}" + (f" · commit `{alert.commit[:12]}`" if alert.commit else "")
             + f" · stacks: {', '.join(slack_plain(s) for s in alert.stacks) or 'none'}"]
    lines += [f"• {slack_plain(line)}" for line in alert.details]
    return "\n".join(lines)

"""Pieces of the drift flow that need no cloud: webhook failures, --until, --due, ack lookup."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli.drift import parse_until
from orchestrator.config.resolved import DriftSettings, Environment, RepoConfig, Settings
from orchestrator.drift.model import Finding
from orchestrator.drift.notify import notify
from orchestrator.drift.schedule import due_environments
from orchestrator.errors import UserError

URL = "https://hooks.slack.com/services/T0/B0/verysecrettoken123"
NOW = datetime(2100, 3, 1, 12, 0, tzinfo=UTC)


def config(**env: Any) -> RepoConfig:
    environment = Environment(name="dev", source="environments/dev.yaml", branch_rules=("develop",), **env)
    return RepoConfig(root=Path("/nowhere"), source="test", settings=Settings(), environments={"dev": environment},
                      projects={})


def finding(state: str) -> Finding:
    return Finding(key=f"dev:unmanaged:arn:aws:s3:::b-{state}", environment="dev", kind="unmanaged",
                   type="aws:s3/bucket:Bucket", name=f"b-{state}", state=state)  # type: ignore[arg-type]


def test_webhook_failure_never_shows_the_url() -> None:
    def post(url: str, payload: dict[str, Any]) -> int:
        raise ConnectionError(f"cannot connect to {url}")

    cfg = config(notify_webhook_url_env="HOOK")
    (sent,) = notify(cfg, ["dev"], [finding("new"), finding("resolved")], {"HOOK": URL}, post)
    assert not sent.sent and sent.error and "ConnectionError" in sent.error
    assert URL not in sent.error and "verysecrettoken123" not in sent.error
    (answered,) = notify(cfg, ["dev"], [finding("new")], {"HOOK": URL}, lambda url, payload: 500)
    assert answered.error == "the webhook answered HTTP 500"


def test_webhook_only_for_news_and_skipped_without_its_variable() -> None:
    posted: list[dict[str, Any]] = []

    def post(url: str, payload: dict[str, Any]) -> int:
        posted.append(payload)
        return 200

    cfg = config(notify_webhook_url_env="HOOK")
    assert notify(cfg, ["dev"], [finding("ongoing"), finding("acknowledged")], {"HOOK": URL}, post) == ()
    (skipped,) = notify(cfg, ["dev"], [finding("new")], {}, post)
    assert not skipped.sent and skipped.error is None and skipped.skipped and "$HOOK" in skipped.skipped
    (sent,) = notify(cfg, ["dev"], [finding("new"), finding("resolved")], {"HOOK": URL}, post)
    assert sent.sent and (sent.new, sent.resolved) == (1, 1)
    assert posted == [{"text": "*Drift in dev*: 1 new, 1 resolved\n"
                               "• new unmanaged: dev aws:s3/bucket:Bucket `b-new`\n"
                               "• resolved unmanaged: dev aws:s3/bucket:Bucket `b-resolved`"}]


def test_until_covers_the_whole_day_and_must_be_later() -> None:
    assert parse_until("2100-03-02", NOW) == datetime(2100, 3, 3, tzinfo=UTC)
    assert parse_until("2100-03-01T18:00", NOW) == datetime(2100, 3, 1, 18, tzinfo=UTC)
    assert parse_until("2100-03-01T18:00+02:00", NOW) == datetime(2100, 3, 1, 16, tzinfo=UTC)
    for bad in ("2100-02-28", "tomorrow"):
        with pytest.raises(UserError):
            parse_until(bad, NOW)


def test_due_follows_the_cron_schedule() -> None:
    cfg = config(drift=DriftSettings(schedule="0 */6 * * *"))
    assert due_environments(cfg, ["dev"], {}, NOW) == (["dev"], {})
    last = datetime(2100, 3, 1, 7, 0, tzinfo=UTC)
    assert due_environments(cfg, ["dev"], {"dev": last}, datetime(2100, 3, 1, 11, 59, tzinfo=UTC)) == (
        [], {"dev": "2100-03-01T12:00:00+00:00"}
    )
    assert due_environments(cfg, ["dev"], {"dev": last}, NOW) == (["dev"], {}), "12:00 fell due"

"""Who acts: in CI the CI's user, whatever the command line says (gates trust this name)."""

from __future__ import annotations

import pytest

from orchestrator.cli.options import actor_name
from orchestrator.errors import UserError


def test_in_github_actions_the_actor_is_the_workflow_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_ACTOR", "alice")
    assert actor_name(None) == "alice"
    assert actor_name("alice") == "alice"
    with pytest.raises(UserError, match="differs from the CI's user alice"):
        actor_name("platform-lead")


def test_outside_ci_the_given_actor_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_ACTOR", "GITLAB_CI", "GITLAB_USER_LOGIN"):
        monkeypatch.delenv(name, raising=False)
    assert actor_name("platform-lead") == "platform-lead"
    assert actor_name(None)  # the login name


def test_without_a_login_name_the_actor_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container whose uid has no passwd entry: the audit log says `unknown`, no traceback."""
    import getpass

    def no_passwd_entry() -> str:
        raise KeyError("getpwuid(): uid not found: 1234")

    for name in ("GITHUB_ACTIONS", "GITHUB_ACTOR", "GITLAB_CI", "GITLAB_USER_LOGIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(getpass, "getuser", no_passwd_entry)
    assert actor_name(None) == "unknown"
    assert actor_name("oncall") == "oncall"

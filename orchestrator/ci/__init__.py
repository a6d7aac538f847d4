"""Adapters for the events CI systems hand us (GitHub Actions, GitLab CI)."""

from orchestrator.ci.events import CiEvent, IssueCommentEvent, PullRequestEvent, PushEvent

__all__ = ["CiEvent", "IssueCommentEvent", "PullRequestEvent", "PushEvent"]

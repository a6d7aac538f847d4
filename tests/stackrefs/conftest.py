"""Real Git repositories and the in-process CLI, as in tests/foundation."""

from tests.foundation.conftest import isolated_git, make_repo, plan_json, run_cli

__all__ = ["isolated_git", "make_repo", "plan_json", "run_cli"]

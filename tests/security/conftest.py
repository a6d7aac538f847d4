"""The foundation fixtures (real Git repositories in tmp_path, the CLI in-process) for the
security tests."""

from tests.foundation.conftest import isolated_git, make_repo, run_cli  # noqa: F401

"""`orchestrator insights` on a store filled by the real deploy and drift flows (tests/dashboard/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from orchestrator.cli.root import main
from orchestrator.store import open_store
from tests.support.dashboard_demo import fill_history, make_demo_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
        root = make_demo_repo(tmp_path_factory.mktemp("insights-cli") / "infra")
        store = open_store(None, root)
        try:
            fill_history(root, store)
        finally:
            store.close()
        yield root


def _run(repo: Path, *args: str) -> tuple[int, str]:
    """Through the console entry point (its error boundary turns a UserError into exit 1)."""
    result = CliRunner().invoke(_entry, ["insights", "--repo", str(repo), *args])
    return result.exit_code, result.output


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _entry(ctx: click.Context) -> None:
    main(list(ctx.args))


def test_the_table_shows_each_environment_in_promotion_order(repo: Path) -> None:
    code, out = _run(repo)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("Delivery over the last 30d (all environments)")
    rows = [line.split()[0] for line in lines if line.split() and line.split()[0] in ("all", "dev", "qa", "uat")]
    assert rows == ["all", "dev", "qa", "uat"]
    assert next(line for line in lines if line.startswith("Drift:")).startswith("Drift: 2 open, 2 found, 0 resolved")


def test_json_for_tools_follows_the_filters(repo: Path) -> None:
    code, out = _run(repo, "--env", "qa", "--project", "app", "--since", "7d", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["scope"] == {"environment": "qa", "project": "app"}
    assert data["delivery"]["deployments"] == 1
    assert data["delivery"]["lead_time"]["count"] == 1
    assert data["window"]["days"] == 7


def test_a_bad_since_is_a_user_error_naming_the_option(repo: Path) -> None:
    code, out = _run(repo, "--since", "a while")
    assert code == 1
    assert "--since: 'a while' is not a time span" in out

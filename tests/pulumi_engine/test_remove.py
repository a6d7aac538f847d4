"""The pulumi engine's side of review stacks, against the scripted stand-in CLI: whether the
backend holds a stack (`stack select`), and `pulumi stack rm` refused while the stack holds
resources (nothing is removed, a clear error), done once it was destroyed."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.engines.base import StackRemover
from orchestrator.engines.pulumi import PulumiEngine
from orchestrator.errors import UserError
from orchestrator.models import StackSpec
from tests.support.pulumi_standin import Standin, events


def spec(directory: Path, tmp_path: Path) -> StackSpec:
    return StackSpec(project="webapp", environment="dev", stack_name="pr-7", directory=directory,
                     backend=f"file://{tmp_path / 'state'}", engine="pulumi", config={"aws:region": "us-east-1"})


def test_exists_and_remove_follow_the_cli(standin: Standin, project_dir: Path, tmp_path: Path) -> None:
    standin.script(events={"up": events("aws_webserver_replace")})
    engine, review = PulumiEngine(), spec(project_dir, tmp_path)
    assert isinstance(engine, StackRemover)
    assert engine.exists(review) is False
    engine.remove(review)  # a stack that is not there is removed already

    assert engine.update(review).status == "succeeded"
    assert engine.exists(review) is True
    with pytest.raises(UserError, match="still has resources; removal rejected") as refused:
        engine.remove(review)
    assert "destroy the stack first" in (refused.value.hint or "")
    assert engine.exists(review) is True

    assert engine.destroy(review, preview_only=False).status == "succeeded"
    engine.remove(review)
    assert engine.exists(review) is False
    removals = [args for args in standin.commands() if args[1:3] == ["stack", "rm"]]
    assert removals[-1][-2:] == ["--yes", "pr-7"]

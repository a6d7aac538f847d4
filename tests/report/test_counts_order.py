"""Change counts read the same wherever they are shown: the PR comment's table and legend, the
commit statuses, the terminal (`deploy`, `stack`, `history`) and the dashboard: one order
(create, update, delete, replace), one symbol per step, one legend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.cli.stack import _print_result
from orchestrator.cli.store import _print_history
from orchestrator.engines.base import COUNTS_HEADER, COUNTS_LEGEND, format_counts
from orchestrator.flows.publish import status_of
from orchestrator.report.comment import render_comment
from orchestrator.server.dashboard import format_counts as dashboard_counts
from orchestrator.store.api import StackRunRecord
from tests.report.factory import change, model, outcome, result

# One of each step, in different numbers, so an order mix-up cannot pass.
CHANGES = [
    change("app", "qa", "aws:s3/bucket:Bucket", "new", "create"),
    *(change("app", "qa", "aws:sqs/queue:Queue", f"edited-{i}", "update") for i in range(2)),
    *(change("app", "qa", "aws:sns/topic:Topic", f"gone-{i}", "delete") for i in range(3)),
    *(change("app", "qa", "aws:iam/role:Role", f"renamed-{i}", "replace") for i in range(4)),
]
SHOWN = "+1 ~2 -3 ±4"


def test_one_order_and_symbols() -> None:
    stack = result("app", "qa", CHANGES, same=5)
    assert format_counts(stack.counts) == SHOWN
    assert COUNTS_HEADER == "+ ~ - ±"
    assert status_of(stack) == ("success", SHOWN), "the commit status"
    assert dashboard_counts(stack.counts.to_json()) == SHOWN, "the dashboard's cells"


def test_the_comment_table_and_legend_follow_it() -> None:
    markdown = render_comment(model([outcome(result("app", "qa", CHANGES))], environments=("qa",))).markdown
    lines = markdown.splitlines()
    header = next(line for line in lines if line.startswith("| | Project"))
    assert [cell.strip() for cell in header.split("|")][4:8] == COUNTS_HEADER.split()
    row = next(line for line in lines if "| app |" in line)
    assert [cell.strip() for cell in row.split("|")][4:8] == ["1", "2", "3", "4"]
    assert f"<sub>{COUNTS_LEGEND}</sub>" in lines


def test_stack_and_history_on_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    _print_result(result("app", "qa", CHANGES, same=5))
    assert f"{SHOWN} =5" in capsys.readouterr().out, "orchestrator stack"

    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    record = StackRunRecord(run_id="20261201-093000-0a1b2c3d", flow="deploy", stack="app/qa", project="app",
                            environment="qa", commit="3f2a9c1d8e7b6a5f", operation="update", status="succeeded",
                            counts=result("app", "qa", CHANGES).counts.to_json(), started_at=at, finished_at=at)
    _print_history([record])
    lines = capsys.readouterr().out.splitlines()
    header, row = lines[1], lines[2]
    column = header.index(COUNTS_HEADER)
    assert row[column:column + len(COUNTS_HEADER)] == "1 2 3 4", "orchestrator history: the counts under their column"
    assert lines[-1].strip() == f"({COUNTS_LEGEND})"

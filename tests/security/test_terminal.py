"""What the CLI writes to a terminal or a CI log: others' words cannot command the runner or the
terminal. In GitHub Actions a line starting with `::` is a workflow command (`::add-mask::`,
`::stop-commands::`); an escape sequence can retitle, recolour or rewrite a terminal."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable

import pytest

from orchestrator.ci.command_guard import CommandGuard, guard_workflow_commands, write_commands
from orchestrator.cli.terminal import install_cli_logging, printable
from orchestrator.engines.base import OpCounts, StackResult
from tests.foundation.conftest import CliResult, GitFixture
from tests.security.planted import GITHUB_TOKEN

ZWSP = "\u200b"


def _commands(text: str) -> list[str]:
    """The lines the Actions runner would take as workflow commands (it splits on \\r and \\n)."""
    return [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip().startswith("::")]


@pytest.mark.parametrize(
    "writes",
    [
        ["::add-mask::hunter2\n"],
        ["ok\n  ::stop-commands::tok\nafter\n"],
        ["progress\r::error::spoofed failure\n"],
        [":", ":warning::", "split across writes\n"],
        ["   ", "::set-env name=A::b\n"],
    ],
)
def test_a_line_that_would_command_the_runner_is_written_inert(writes: list[str]) -> None:
    target = io.StringIO()
    guard = CommandGuard(target)
    for text in writes:
        guard.write(text)
    guard.flush()
    written = target.getvalue()
    assert _commands(written) == []
    # Only the break is added: a person reads the same line.
    assert written.replace(ZWSP, "") == "".join(writes)


def test_text_in_the_middle_of_a_line_and_our_own_annotations_pass_unchanged() -> None:
    target = io.StringIO()
    guard = CommandGuard(target)
    guard.write("✔ app/dev succeeded url=http://x::8080 ")
    write_commands(guard, ["::error title=app/dev::Preview failed"])  # starts its own line
    guard.write("done\n")
    written = target.getvalue()
    assert _commands(written) == ["::error title=app/dev::Preview failed"]
    assert "✔ app/dev succeeded url=http://x::8080 \n" in written and ZWSP not in written
    plain = io.StringIO()
    write_commands(plain, ["::notice::x"])  # no guard outside Actions: written as it is
    assert plain.getvalue() == "::notice::x\n"


def test_outside_actions_the_streams_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    before = sys.stdout
    guard_workflow_commands({})
    assert sys.stdout is before


def test_a_wrapped_error_in_an_actions_log_commands_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """rich wraps a long error at 80 columns in a CI log: the program's `::add-mask::` lands at
    the start of a line."""
    from orchestrator.cli.stack import _print_result

    monkeypatch.setattr(sys, "stdout", sys.stdout)  # restored after the test, guard and all
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    guard_workflow_commands({"GITHUB_ACTIONS": "true"})
    error = "Exception: " + "x" * 60 + " ::add-mask::AKIA \x1b]0;pwned\x07\x1b[2Kdone"
    _print_result(StackResult(stack="app/dev", operation="update", status="failed", counts=OpCounts(),
                              error=error))
    sys.stdout.flush()
    out = capsys.readouterr().out
    assert "add-mask" in out and _commands(out) == []
    assert "\x1b]" not in out and "\x1b[2K" not in out and "\\x1b]0;pwned" in out


def test_a_repository_value_with_escape_sequences_is_spelled_out(
    make_repo: Callable[..., GitFixture], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({"environments/dev.yaml": 'branch: "develop\\e]0;pwned\\a\\e7"\n'})
    result = run_cli("environments", "--repo", repo.path)
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert "develop\\x1b]0;pwned\\x07" in result.out


def test_cli_warnings_are_redacted_and_printable(capsys: pytest.CaptureFixture[str]) -> None:
    install_cli_logging()
    install_cli_logging()  # once
    logging.getLogger("orchestrator.vcs._http").warning("retrying after %s: token %s\x1b[2J", "403", GITHUB_TOKEN)
    err = capsys.readouterr().err
    assert err.count("warning: retrying after 403") == 1
    assert GITHUB_TOKEN not in err and "\x1b" not in err


def test_printable_keeps_lines_and_tabs() -> None:
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("a\x1b[31mb\u202e") == "a\\x1b[31mb\\u202e"

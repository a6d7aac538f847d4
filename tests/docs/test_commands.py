"""Every `orchestrator ...` command line in the shell examples of docs/*.md and README.md names
a command that exists, with options that command has: the docs describe what is built."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from orchestrator.cli import cli

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
_SHELL_BLOCK = re.compile(r"^```(?:sh|bash|shell|console)\n(.*?)^```", re.S | re.M)
_PROGRAM = re.compile(r"^(?:\$\s+)?(?:\S*/)?orchestrator(?=\s|$)")


def command_lines(page: Path) -> list[str]:
    found = []
    for block in _SHELL_BLOCK.findall(page.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if _PROGRAM.match(line):
                found.append(line.removeprefix("$").strip())
    return found


def problems_of(line: str) -> list[str]:
    """What is wrong with one `orchestrator ...` line: an unknown command or option."""
    words = shlex.split(line, comments=True)
    command: click.Command = cli
    ctx = click.Context(cli)
    path = ["orchestrator"]
    rest = words[1:]
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        try:
            sub = command.get_command(ctx, rest[0])
        except ImportError as exc:  # a lazily imported command whose module is missing
            return [f"`{' '.join(path)} {rest[0]}` cannot be loaded: {exc}"]
        if sub is None:
            return [f"`{' '.join(path)}` has no command {rest[0]!r}"]
        command, path, rest = sub, [*path, rest[0]], rest[1:]
    names = {opt for param in command.get_params(ctx) for opt in (*param.opts, *param.secondary_opts)}
    problems = []
    for word in rest:
        if word.startswith("-") and word != "-":
            flag = word.split("=", 1)[0]
            if flag not in names:
                problems.append(f"`{' '.join(path)}` has no option {flag}")
    return problems


def test_the_pages_have_command_examples() -> None:
    assert sum(len(command_lines(p)) for p in PAGES) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_documented_commands_exist(page: Path) -> None:
    problems = [f"{line}: {p}" for line in command_lines(page) for p in problems_of(line)]
    assert not problems, f"{page.relative_to(ROOT)} documents commands that do not exist:\n" + "\n".join(problems)


def test_the_checker_rejects_what_does_not_exist() -> None:
    assert problems_of("orchestrator plan --base main --format json") == []
    assert problems_of("orchestrator locks release app/prod --yes") == []
    assert problems_of("orchestrator teleport --now")
    assert problems_of("orchestrator plan --colour red")
    assert problems_of("orchestrator locks steal app/prod")

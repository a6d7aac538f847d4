"""Every `orchestrator ...` command line in the shell examples of docs/*.md and README.md names
a command that exists and parses as that command's `--help` says (options, their values, their
arguments); every inline `orchestrator ... --flag` in the prose names options the command has:
the docs describe what is built."""

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
_INLINE = re.compile(r"(?<!`)`(orchestrator [^`\n]*--[^`\n]*)`(?!`)")
_FENCED = re.compile(r"^```.*?^```", re.S | re.M)
_PLACEHOLDER = re.compile(r"<[^<>]+>")  # <finding key>, <n>: one value the reader chooses


def command_lines(page: Path) -> list[str]:
    found = []
    for block in _SHELL_BLOCK.findall(page.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if _PROGRAM.match(line):
                found.append(line.removeprefix("$").strip())
    return found


def inline_commands(page: Path) -> list[str]:
    """`orchestrator ... --flag` written inline in the prose (outside fenced blocks)."""
    prose = _FENCED.sub("", page.read_text(encoding="utf-8"))
    return [m.group(1) for m in _INLINE.finditer(prose) if "|" not in m.group(1) and "..." not in m.group(1)]


def parse_problems(line: str) -> list[str]:
    """What click says of a whole command line: a bad choice, a missing value or argument, an
    extra argument. Placeholders (<n>, <finding key>) stand for a value of the right kind."""
    words = shlex.split(_PLACEHOLDER.sub("1", line), comments=True)
    command: click.Command = cli
    path, rest = ["orchestrator"], words[1:]
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(cli), rest[0])
        if sub is None:
            return [f"`{' '.join(path)}` has no command {rest[0]!r}"]
        command, path, rest = sub, [*path, rest[0]], rest[1:]
    if isinstance(command, click.Group) or any(w in ("-h", "--help", "--version") for w in rest):
        return []
    try:
        command.make_context(" ".join(path), rest)
    except click.ClickException as exc:
        return [f"`{' '.join(path)}`: {exc.format_message()}"]
    return []


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


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_documented_command_lines_parse(page: Path) -> None:
    problems = [f"{line}: {p}" for line in command_lines(page) for p in parse_problems(line)]
    assert not problems, f"{page.relative_to(ROOT)} shows command lines that do not parse:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_inline_commands_have_their_options(page: Path) -> None:
    problems = [f"{line}: {p}" for line in inline_commands(page) for p in problems_of(line)]
    assert not problems, f"{page.relative_to(ROOT)} names options that do not exist:\n" + "\n".join(problems)


def test_the_parser_rejects_what_click_would() -> None:
    assert parse_problems("orchestrator drift ack <finding key> --reason 'harmless' --until 2026-12-31") == []
    assert parse_problems("orchestrator preview --base main --pr <n> --vcs files --out x") == []
    assert parse_problems("orchestrator preview --base main --vcs bitbucket")
    assert parse_problems("orchestrator rollback --to abc")  # --env is required
    assert parse_problems("orchestrator stack update --project app --env dev extra")
    assert inline_commands(ROOT / "docs" / "flows.md"), "the prose names commands with options"


def test_the_checker_rejects_what_does_not_exist() -> None:
    assert problems_of("orchestrator plan --base main --format json") == []
    assert problems_of("orchestrator locks release app/prod --yes") == []
    assert problems_of("orchestrator teleport --now")
    assert problems_of("orchestrator plan --colour red")
    assert problems_of("orchestrator locks steal app/prod")

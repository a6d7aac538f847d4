"""The runnable shell blocks of a page, and a bash script that runs them as a reader would.

A block is runnable when the line before its fence is an HTML comment (invisible on GitHub):

    <!-- runnable; creates: comments/comment.md, .gitignore -->
    ```sh
    orchestrator init --ci github
    orchestrator drift --env dev        # exits 2: drift found
    ```

Every line is one command (a trailing backslash continues it), run in one bash session so
`cd` and `export` carry over, in page order. A command must exit 0, or the code its trailing
comment names (`# exits 2`). After the block, every path listed after `creates:` must exist
(relative to the directory the block ended in).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

_BLOCK = re.compile(
    r"^<!-- runnable(?:;\s*creates:\s*(?P<creates>[^>]*?))?\s*-->\n```(?:sh|bash|shell)\n(?P<body>.*?)^```",
    re.S | re.M,
)
_EXITS = re.compile(r"#.*\bexits (?P<code>\d+)\b")


@dataclass(frozen=True)
class Command:
    text: str
    line: int  # in the page
    exits: int


@dataclass(frozen=True)
class Block:
    line: int
    commands: tuple[Command, ...]
    creates: tuple[str, ...]


def runnable_blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in _BLOCK.finditer(text):
        first = text.count("\n", 0, match.start("body")) + 1
        creates = tuple(p.strip() for p in (match.group("creates") or "").split(",") if p.strip())
        blocks.append(Block(line=first - 1, commands=tuple(_commands(match.group("body"), first)), creates=creates))
    return blocks


def _commands(body: str, first: int) -> list[Command]:
    commands: list[Command] = []
    pending: list[str] = []
    start = first
    for offset, raw in enumerate(body.splitlines()):
        if not pending:
            start = first + offset
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        text = " ".join([*pending, raw]).strip()
        pending = []
        if not text or text.startswith("#"):
            continue
        found = _EXITS.search(text)
        commands.append(Command(text=text, line=start, exits=int(found.group("code")) if found else 0))
    return commands


def script(page_name: str, blocks: list[Block]) -> str:
    """One bash script: each command, then a check of its exit code; each block, then its files.
    A failure prints the page line and stops."""
    out = ["set -u", "__fail() { echo \"RUNNABLE-FAILED $*\" >&2; exit 97; }"]
    for block in blocks:
        for command in block.commands:
            where = f"{page_name}:{command.line}"
            out.append(f"echo {shlex.quote(f'$ {command.text}  ({where})')} >&2")
            out.append(command.text)
            out.append(
                f"__rc=$?; [ \"$__rc\" = {command.exits} ] || "
                f"__fail {shlex.quote(where)} \"exited $__rc, the page says {command.exits}:\" "
                f"{shlex.quote(command.text)}"
            )
        for path in block.creates:
            where = f"{page_name}:{block.line}"
            out.append(f"[ -e {shlex.quote(path)} ] || __fail {shlex.quote(where)} \"no {path} in $PWD\"")
    return "\n".join(out) + "\n"

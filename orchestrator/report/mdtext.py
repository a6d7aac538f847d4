"""Putting untrusted text into Markdown (GitHub/GitLab flavoured) without letting it break out.

Resource names, property values, error messages and diagnostics come from programs in the
pull request, so they are untrusted: a `|` would split a table cell, a backtick run would
close a code block, `</details>` or other HTML would close our collapsible sections, and
`@someone`, `@org/team` or `@everyone` would make the bot notify people. Each helper here is
for one context.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

# Inline Markdown (paragraphs, list items, table cells): backslash-escape Markdown
# punctuation, entity-escape HTML, and keep everything on one line.
_INLINE = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "~": "\\~",
        "|": "\\|",
        "#": "\\#",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "\r": " ",
        "\n": " ",
    }
)
_BACKTICKS = re.compile(r"`+")
# An `@` that GitHub or GitLab would read as a mention: not inside a word (mail addresses are
# not mentions) and followed by a name character. A zero-width space after it keeps the text
# readable and the mention dead (hosts do not mention inside code, so code spans keep theirs).
_MENTION = re.compile(r"(?<![\w`])@(?=[\w-])")
ZERO_WIDTH_SPACE = "\u200b"


def quiet_mentions(text: str) -> str:
    """`text` with every `@user`, `@org/team` and `@everyone` made a non-mention."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, text) if "@" in text else text


def inline(text: str) -> str:
    """Text safe inside a Markdown paragraph, list item or table cell."""
    return quiet_mentions(text.translate(_INLINE))


def template_value(value: Any, redact: Callable[[str], str]) -> Any:
    """A Markdown template's `{{ }}` value: redacted and escaped, unless a filter made it safe."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return inline(redact(str(value)))


def in_html(text: str) -> str:
    """Text safe inside an HTML element such as `<summary>` (Markdown is not rendered there)."""
    return quiet_mentions(html.escape(text, quote=True).replace("\n", " ").replace("\r", " "))


def code_span(text: str) -> str:
    """An inline code span holding `text` literally, whatever backticks it contains."""
    text = text.replace("\n", " ").replace("\r", " ")
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    """A fenced code block holding `text` literally: the fence is longer than any backtick run inside."""
    longest = 0
    if "```" in text:
        longest = max(len(run) for run in _BACKTICKS.findall(text))
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{language}\n{body}{fence}"

"""Escaping untrusted text for Markdown contexts."""

from __future__ import annotations

from orchestrator.report import mdtext


def test_inline_escapes_markdown_and_html_and_stays_on_one_line() -> None:
    escaped = mdtext.inline("a|b `c` *d* <details>\n</details> [x](y) & #1")
    assert "|" not in escaped.replace("\\|", "")
    assert "<" not in escaped and ">" not in escaped
    assert "\n" not in escaped
    assert "\\`c\\`" in escaped
    assert "&amp;" in escaped


def test_in_html_escapes_tags_and_quotes() -> None:
    assert mdtext.in_html('<b onclick="x">&') == "&lt;b onclick=&quot;x&quot;&gt;&amp;"


def test_code_span_uses_a_longer_fence_than_any_backtick_run() -> None:
    assert mdtext.code_span("plain") == "`plain`"
    assert mdtext.code_span("a `b` c") == "``a `b` c``"
    assert mdtext.code_span("`edge`") == "`` `edge` ``"


def test_code_block_fence_outgrows_the_content() -> None:
    assert mdtext.code_block("x") == "```\nx\n```"
    block = mdtext.code_block("before\n````\nafter", "diff")
    assert block.startswith("`````diff\n")
    assert block.endswith("\n`````")

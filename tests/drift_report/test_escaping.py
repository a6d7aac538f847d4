"""Hostile values (from the cloud, from programs in the repository) stay in their context,
and credential-looking values never reach a report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from orchestrator.redact import Redactor
from orchestrator.report.drift import render_html, render_json, render_markdown
from tests.drift_report.scenarios import AWS_KEY, HOSTILE, full_report, hostile_report

OUR_MD_HTML = re.compile(r"^(<details><summary>[^<>]*</summary>|</details>|<sub>|</sub>)$")
OUR_HTML_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "strong", "code",
    "div", "span", "nav", "a", "main", "section", "table", "thead", "tbody", "tr", "th", "td", "pre",
    "details", "summary", "br",
}  # fmt: skip


def test_markdown_hostile_values_cannot_break_tables_or_details() -> None:
    text = render_markdown(hostile_report())
    tokens = MarkdownIt("commonmark").enable("table").parse(text)

    rows = []
    count = 0
    for token in tokens:
        if token.type == "tr_open":
            count = 0
        elif token.type in ("td_open", "th_open"):
            count += 1
        elif token.type == "tr_close":
            rows.append(count)
    # The stacks table (header + two stacks, seven cells each, the hostile name included), then the
    # Git drift table (header + the stack whose name, branch and changed path are hostile, five cells).
    assert rows == [7, 7, 7, 5, 5]

    html = [t.content for t in tokens if t.type == "html_block"]
    html += [c.content for t in tokens if t.type == "inline" for c in (t.children or []) if c.type == "html_inline"]
    for fragment in html:
        for line in fragment.strip().splitlines():
            assert OUR_MD_HTML.match(line.strip()), f"foreign HTML reached the Markdown: {line!r}"
    joined = "\n".join(html)
    assert joined.count("<details>") == joined.count("</details>") == 1

    # The hostile text is still there, shown literally (escaped or inside code).
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "evil" in rendered and 'href="http://evil"' not in rendered


def test_markdown_headings_are_ours() -> None:
    text = render_markdown(hostile_report(), only_changes=False)
    tokens = MarkdownIt("commonmark").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["❌ Drift report: dev", "dev", "🆕 New (3)"]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def test_html_hostile_values_are_text() -> None:
    page = render_html(hostile_report())
    parser = _Tags()
    parser.feed(page)
    assert set(parser.tags) <= OUR_HTML_TAGS, set(parser.tags) - OUR_HTML_TAGS
    assert "script" not in parser.tags
    assert parser.comments == []  # `<!--` from a value would hide the rest of the page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<details") == page.count("</details>") == 2


def test_credentials_never_reach_any_report() -> None:
    for text in (
        render_markdown(hostile_report()),
        render_markdown(hostile_report(), only_changes=False),
        render_html(hostile_report()),
        render_json(hostile_report()),
    ):
        assert AWS_KEY not in text
        assert "hunter2" not in text
        assert "[secret]" in text


def test_known_secrets_are_redacted_when_the_caller_knows_them() -> None:
    redactor = Redactor(["team-a"])  # pretend the tag value is a secure config value
    for text in (
        render_markdown(full_report(), redactor=redactor),
        render_html(full_report(), redactor=redactor),
        render_json(full_report(), redactor=redactor),
    ):
        assert "team-a" not in text
        assert "[secret]" in text


def test_json_keeps_hostile_values_as_data() -> None:
    data = json.loads(render_json(hostile_report()))
    names = {f["name"] for f in data["findings"]}
    assert HOSTILE in names  # JSON needs no escaping beyond its own

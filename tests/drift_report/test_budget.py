"""The Markdown fits MAX_MARKDOWN_CHARS (tracking issues, step summaries) and says what it cut."""

from __future__ import annotations

import time

from markdown_it import MarkdownIt

from orchestrator.drift.model import DriftReport, Finding, StackDrift
from orchestrator.engines.base import PropertyDiff
from orchestrator.report.drift import MAX_MARKDOWN_CHARS, render_html, render_markdown
from tests.drift_report.scenarios import BUCKET, T1, full_report, stack_finding, unmanaged


def big_report(
    *, findings_per_stack: int, stacks: int, value_len: int, failed: int = 0, unmanaged_count: int = 200
) -> DriftReport:
    found: list[Finding] = []
    stack_rows: list[StackDrift] = []
    for s in range(stacks):
        project = f"p{s:03d}"
        for i in range(findings_per_stack):
            found.append(
                stack_finding(
                    "dev",
                    project,
                    "drifted",
                    BUCKET,
                    f"bucket-{i}",
                    "new" if i % 3 else "resolved",
                    diffs=tuple(
                        PropertyDiff(f"tags.k{j}", "update", "a" * value_len, "b" * value_len) for j in range(30)
                    ),
                )
            )
        stack_rows.append(StackDrift(f"{project}/dev", project, "dev", "drifted", 10, findings_per_stack))
    for s in range(failed):
        stack_rows.append(StackDrift(f"f{s:04d}/dev", f"f{s:04d}", "dev", "error", error="E" * 5000))
    for i in range(unmanaged_count):
        found.append(unmanaged("dev", BUCKET, f"hand-{i}", f"arn:aws:s3:::hand-{i}", "new"))
    return DriftReport(
        generated_at=T1,
        run_id="big",
        environments=("dev",),
        stacks=tuple(stack_rows),
        findings=tuple(found),
    )


def test_small_report_is_not_cut() -> None:
    text = render_markdown(full_report(), only_changes=False)
    assert "shortened" not in text


def test_long_values_are_cut_first() -> None:
    report = big_report(findings_per_stack=2, stacks=3, value_len=3000, unmanaged_count=0)
    text = render_markdown(report)
    assert len(text) <= MAX_MARKDOWN_CHARS
    assert "This report was shortened to fit 65,000 characters: long values and property lists are cut" in text
    assert "...(+2802 chars)" in text  # a value (JSON-quoted) cut to 200 characters says what is missing
    assert "... (10 more properties)" in text


def test_thousands_of_findings_fit_and_the_cut_is_counted() -> None:
    report = big_report(findings_per_stack=20, stacks=150, value_len=50)
    started = time.monotonic()
    text = render_markdown(report, only_changes=False)
    elapsed = time.monotonic() - started
    assert len(text) <= MAX_MARKDOWN_CHARS
    assert "property diffs are left out" in text
    listed = text.count("\n- ✏️ ") + text.count("\n- 👻 ")
    total = len(report.findings)
    assert f"{total - listed:,} findings are not listed" in text
    assert "and 1,800 more (see the JSON or HTML report)" in text or "more (see the JSON or HTML report)" in text
    assert elapsed < 10, f"rendering took {elapsed:.1f}s"
    # Still well-formed: every details block is closed.
    tokens = MarkdownIt("commonmark").parse(text)
    html = "".join(t.content for t in tokens if t.type == "html_block")
    assert html.count("<details>") == html.count("</details>")


def test_many_failed_stacks_are_cut_too() -> None:
    report = big_report(findings_per_stack=1, stacks=5, value_len=10, failed=2000)
    text = render_markdown(report)
    assert len(text) <= MAX_MARKDOWN_CHARS
    assert "This report was shortened" in text or "The report is cut here" in text
    assert text.count("```") % 2 == 0  # no fence left open


def test_the_html_is_never_cut() -> None:
    report = big_report(findings_per_stack=20, stacks=20, value_len=50)
    page = render_html(report)
    assert page.count('<details class="finding') == 400

"""Reports under `.orchestrator/reports` do not pile up: each report keeps its newest runs."""

from __future__ import annotations

from pathlib import Path

from orchestrator.flows.publish import report_file, write_report
from orchestrator.report.retention import KEEP_RUNS, prune_runs


def _run_id(n: int) -> str:
    return f"202612{n // 100 + 1:02d}-{n % 100:02d}0000-{n:08x}"


def test_a_long_lived_checkout_keeps_the_newest_runs_of_each_report(tmp_path: Path) -> None:
    for n in range(KEEP_RUNS + 5):
        write_report(report_file(tmp_path, "deploy", 7, "abc", None, _run_id(n)), f"run {n}", append=False)
    write_report(report_file(tmp_path, "deploy", 8, "abc", None, _run_id(99)), "other pr", append=False)
    reports = tmp_path / ".orchestrator" / "reports"
    kept = sorted(p.name for p in reports.glob("deploy-pr7-*.md"))
    assert len(kept) == KEEP_RUNS and kept[0] == f"deploy-pr7-{_run_id(5)}.md"
    assert (reports / "deploy-pr7.md").read_text() == f"run {KEEP_RUNS + 4}"  # the latest copy stays
    assert (reports / f"deploy-pr8-{_run_id(99)}.md").exists()  # another report's runs are its own


def test_files_not_named_like_a_run_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes-about-2026.md").write_text("mine")
    (tmp_path / f"drift-report-{_run_id(1)}.json").write_text("{}")
    (tmp_path / f"drift-report-{_run_id(2)}.json").write_text("{}")
    (tmp_path / f"drift-report-{_run_id(2)}.html").write_text("")
    removed = prune_runs(tmp_path, keep=1)
    assert [p.name for p in removed] == [f"drift-report-{_run_id(1)}.json"]
    assert (tmp_path / "notes-about-2026.md").exists() and (tmp_path / f"drift-report-{_run_id(2)}.html").exists()


def test_a_report_written_elsewhere_is_not_pruned(tmp_path: Path) -> None:
    summary_dir = tmp_path / "out"
    for n in range(KEEP_RUNS + 2):
        write_report(summary_dir / f"deploy-pr7-{_run_id(n)}.md", "x", append=False)
    assert len(list(summary_dir.glob("deploy-pr7-*-*.md"))) == KEEP_RUNS + 2

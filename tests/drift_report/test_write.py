"""write_reports: the chosen formats, written whole into the output directory."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from orchestrator.errors import UserError
from orchestrator.report.drift import normalize_formats, render_markdown, write_reports
from tests.drift_report.scenarios import full_report


def test_writes_each_format_atomically(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "drift"  # created on demand
    written = write_reports(full_report(), out, ["md", "json", "html"])
    assert written == {  # the run's own files: named after its run id
        "md": out / "drift-report-run-42.md",
        "json": out / "drift-report-run-42.json",
        "html": out / "drift-report-run-42.html",
    }
    assert written["md"].read_text(encoding="utf-8") == render_markdown(full_report())
    assert json.loads(written["json"].read_text(encoding="utf-8"))["run_id"] == "run-42"
    assert written["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    for fmt, path in written.items():  # and the latest run's copy, under a stable name
        assert (out / f"drift-report.{fmt}").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert len(list(out.iterdir())) == 6


def test_two_runs_never_overwrite_each_other_and_latest_follows(tmp_path: Path) -> None:
    write_reports(full_report(), tmp_path, ["md"])
    later = replace(full_report(only_changes=False), run_id="run-43")
    write_reports(later, tmp_path, ["md"])
    assert "Ongoing (2)" not in (tmp_path / "drift-report-run-42.md").read_text(encoding="utf-8")
    assert "### 🔁 Ongoing (2)" in (tmp_path / "drift-report-run-43.md").read_text(encoding="utf-8")
    assert "### 🔁 Ongoing (2)" in (tmp_path / "drift-report.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [  # no temporary files left
        "drift-report-run-42.md", "drift-report-run-43.md", "drift-report.md"]


def test_formats_accept_a_comma_list_and_aliases() -> None:
    assert normalize_formats(["md,json", "HTML", "markdown"]) == ["md", "json", "html"]
    assert normalize_formats([]) == []


def test_an_unknown_format_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        write_reports(full_report(), tmp_path, ["md,pdf"])
    assert "'pdf'" in caught.value.message
    assert "md, json, html" in (caught.value.hint or "")
    assert list(tmp_path.iterdir()) == []  # checked before anything is written

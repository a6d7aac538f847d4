"""The drift report as JSON (tools), and the report files written in the formats asked for."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestrator.drift.model import DriftReport
from orchestrator.errors import UserError
from orchestrator.redact import Redactor
from orchestrator.report.drift.html import render_html
from orchestrator.report.drift.markdown import render_markdown
from orchestrator.report.drift.views import REPORT_FILES, environments_of, sorted_findings, state_counts

JSON_FORMAT_VERSION = 1
_FORMAT_ALIASES: dict[str, str] = {"md": "md", "markdown": "md", "json": "json", "html": "html"}


def render_json(report: DriftReport, *, redactor: Redactor | None = None) -> str:
    """`DriftReport.to_json()` with findings in a stable order, redacted, indented."""
    data = report.to_json()
    data["format_version"] = JSON_FORMAT_VERSION
    data["only_changes"] = report.only_changes
    data["findings"] = [f.to_json() for f in sorted_findings(report.findings)]
    data["environment_summaries"] = [_environment_json(report, env) for env in environments_of(report)]
    return json.dumps((redactor or Redactor()).value(data), indent=2, ensure_ascii=False, default=str) + "\n"


def write_reports(
    report: DriftReport,
    out_dir: Path,
    formats: Sequence[str],
    *,
    redactor: Redactor | None = None,
) -> dict[str, Path]:
    """Write `drift-report-<run id>.<md|json|html>` into `out_dir` atomically, so two runs never
    overwrite each other, and `drift-report.<fmt>` as the latest run's copy; returns format → the
    run's own file."""
    from orchestrator.fsutil import atomic_write

    wanted = normalize_formats(formats)
    renderers = {
        "md": lambda: render_markdown(report, redactor=redactor),
        "json": lambda: render_json(report, redactor=redactor),
        "html": lambda: render_html(report, redactor=redactor),
    }
    written: dict[str, Path] = {}
    for fmt in wanted:
        latest = out_dir / REPORT_FILES[fmt]
        text = renderers[fmt]()
        path = latest.with_name(f"{latest.stem}-{report.run_id}{latest.suffix}") if _safe(report.run_id) else latest
        atomic_write(path, text)
        if path != latest:
            atomic_write(latest, text)
        written[fmt] = path
    return written


def normalize_formats(formats: Sequence[str]) -> list[str]:
    """`["md", "json"]` or `["md,json"]` → canonical names, de-duplicated, in order."""
    out: list[str] = []
    for item in formats:
        for raw in item.split(","):
            name = raw.strip().lower()
            if not name:
                continue
            fmt = _FORMAT_ALIASES.get(name)
            if fmt is None:
                raise UserError(
                    f"unknown drift report format {raw.strip()!r}",
                    f"use one or more of: {', '.join(REPORT_FILES)} (e.g. --format md,json,html)",
                )
            if fmt not in out:
                out.append(fmt)
    return out


def _environment_json(report: DriftReport, env: str) -> dict[str, Any]:
    findings = [f for f in report.findings if f.environment == env]
    stacks = [s for s in report.stacks if s.environment == env]
    return {
        "environment": env,
        "stacks": len(stacks),
        "stacks_drifted": sum(s.status == "drifted" for s in stacks),
        "stacks_failed": sum(s.status == "error" for s in stacks),
        "ignored": sum(s.ignored for s in stacks),
        "stacks_behind": sum(d.environment == env for d in report.git_drift),
        **state_counts(findings),
    }


def _safe(run_id: str | None) -> bool:
    """A run id fit for a file name (the store's are: `20261130-150528-24ae221e`)."""
    return bool(run_id) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", run_id or "") is not None

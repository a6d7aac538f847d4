"""The drift report renderings, compared with the files under tests/drift_report/golden/,
plus checks of what they must say (so a golden file accepted by mistake is still caught)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.report.drift import render_html, render_json, render_markdown
from tests.drift_report.scenarios import clean_report, full_report
from tests.support.golden_files import golden

assert_golden = golden(Path(__file__).parent / "golden")


def test_markdown_of_changes_matches_golden() -> None:
    assert_golden("full.changes.md", render_markdown(full_report()))


def test_markdown_of_everything_matches_golden() -> None:
    assert_golden("full.all.md", render_markdown(full_report(), only_changes=False))


def test_markdown_follows_the_reports_own_setting() -> None:
    assert render_markdown(full_report(only_changes=False)) == render_markdown(full_report(), only_changes=False)


def test_clean_markdown_matches_golden() -> None:
    text = render_markdown(clean_report())
    assert "**No drift.**" in text
    assert_golden("clean.md", text)


def test_json_matches_golden() -> None:
    assert_golden("full.json", render_json(full_report()))


def test_html_matches_golden() -> None:
    assert_golden("full.html", render_html(full_report()))


def test_changes_only_lists_new_and_resolved_and_counts_the_rest() -> None:
    text = render_markdown(full_report())
    assert "### 🆕 New (4)" in text
    assert "### ✅ Resolved (2)" in text
    assert "Ongoing (" not in text and "Acknowledged (" not in text
    assert "data-versioning" not in text  # ongoing: counted, not listed
    assert "old-ci-role" not in text
    assert "_2 ongoing, 2 acknowledged findings are not listed (no change since the last run)._" in text
    # This run's failures are always shown, whatever their state.
    assert "**storage/prod**: the drift check failed (this is not drift)" in text
    assert "the scan of `eu-west-1` failed" in text


def test_everything_groups_by_state_in_order() -> None:
    text = render_markdown(full_report(), only_changes=False)
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == ["### 🆕 New (4)", "### 🔁 Ongoing (2)", "### 🙈 Acknowledged (2)", "### ✅ Resolved (2)"]
    assert "acknowledged by alice: “backup team is migrating”, until 2026-04-01" in text
    assert '~ versioningConfiguration.status: "Enabled" => "Suspended"' in text
    assert "~ visibilityTimeoutSeconds: 30 => 45" in text  # Pulumi's floats shown as the ints written


def test_markdown_shows_every_kind_ignored_counts_and_unmanaged() -> None:
    text = render_markdown(full_report(), only_changes=False)
    for kind in ("**drifted**", "**deleted**", "**unmanaged**", "**read failed**"):
        assert kind in text
    assert "3 differences ignored by `drift.ignore` rules" in text
    assert "| ✅ | network/dev | clean | 4 | 0 | 1 | 0.5s |" in text
    assert "40 resources scanned in `us-east-1`, 3 excluded by rules, 2 owned by no stack." in text
    assert "`arn:aws:s3:::made-by-hand`" in text


def test_json_has_stable_keys_for_every_finding() -> None:
    data = json.loads(render_json(full_report()))
    assert data["format_version"] == 1
    assert data["summary"] == {"new": 4, "ongoing": 2, "resolved": 2, "acknowledged": 2}
    assert data["ignored"] == 3
    kinds = {f["kind"] for f in data["findings"]}
    assert kinds == {"drifted", "deleted", "unmanaged", "error"}
    for finding in data["findings"]:
        assert {"environment", "stack", "urn", "type", "kind", "state", "diffs"} <= finding.keys()
    drifted = next(f for f in data["findings"] if f["name"] == "data")
    assert drifted["diffs"][0] == {"path": "tags.Owner", "kind": "update", "old": "team-a", "new": "someone-else"}
    assert [s["environment"] for s in data["unmanaged_scans"]] == ["dev", "prod"]
    assert data["unmanaged_scans"][1]["error"].startswith("listing resources at")
    dev = data["environment_summaries"][0]
    assert dev == {
        "environment": "dev",
        "stacks": 3,
        "stacks_drifted": 2,
        "stacks_failed": 0,
        "ignored": 3,
        "stacks_behind": 1,
        "new": 4,
        "ongoing": 2,
        "acknowledged": 2,
        "resolved": 2,
    }
    [behind] = data["git_drift"]
    assert (behind["stack"], behind["commits_behind"], behind["rolled_back"]) == ("network/dev", 3, True)
    # Stable order: the same report gives byte-identical JSON whatever the findings' order.
    shuffled = full_report()
    reordered = type(shuffled)(**{**shuffled.__dict__, "findings": tuple(reversed(shuffled.findings))})
    assert render_json(reordered) == render_json(full_report())


def test_html_marks_states_and_holds_every_finding() -> None:
    page = render_html(full_report())
    assert page.startswith("<!DOCTYPE html>")
    for state in ("new", "ongoing", "resolved", "acknowledged"):
        assert f'class="badge state-{state}"' in page
    assert page.count('<details class="finding') == 6  # stack findings; unmanaged ones are table rows
    assert page.count('<tr class="unmanaged') == 4
    assert '<tr class="stack status-error" data-stack="storage/prod"' in page
    assert 'data-summary="ignored"><span class="n">3</span>' in page
    # Standalone: nothing fetched, no script.
    for needle in ("<script", "<link", "src=", "@import", "url("):
        assert needle not in page


def test_stacks_behind_their_branch_are_reported_beside_cloud_drift() -> None:
    """Git drift: applied commit, branch head and the commits in between, per stack."""
    text = render_markdown(full_report())
    assert "**1 stack is behind its branch** (Git drift" in text
    assert "| network/dev | `5a56daa22a92` (rolled back) | develop `9f8e7d6c5b4a` | 3 |" in text
    page = render_html(full_report())
    assert 'data-stack="network/dev" data-applied="5a56daa22a92' in page
    assert "Behind the branch (Git drift)" in page
    clean = render_markdown(clean_report())
    assert "Git drift" not in clean and "Git drift" not in render_html(clean_report())

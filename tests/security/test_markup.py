"""Text a pull request or a repository controls (project, resource and property names, values,
error messages, policy messages, the author in a reason) stays text in every Markdown and HTML
renderer: it adds no element (`</details>`, `<img>`, links), no `javascript:` URL, no live
`@mention`, and no HTML comment that would hide the rest."""

from __future__ import annotations

import pytest

from orchestrator.report.mdtext import ZERO_WIDTH_SPACE, inline, quiet_mentions
from tests.security.markup import BENIGN, PAYLOADS, RENDERERS, problems


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_payload_stays_text(renderer: str, payload: str) -> None:
    html, render = RENDERERS[renderer]
    rendered = render(payload)
    assert problems(rendered, render(BENIGN), html=html) == []
    # Not vacuous: the payload is shown (escaped), not dropped.
    assert "evil.example" in rendered or "evil.example" not in payload


def test_the_untrusted_comment_escapes_project_names() -> None:
    """The reported case: an outsider's project name closed the bot's markup."""
    _, render = RENDERERS["untrusted comment"]
    rendered = render("</details><img src=x> @everyone")
    assert "</details>" not in rendered and "<img" not in rendered
    assert f"@{ZERO_WIDTH_SPACE}everyone" in rendered


@pytest.mark.parametrize(
    ("text", "quiet"),
    [
        ("@everyone", f"@{ZERO_WIDTH_SPACE}everyone"),
        ("ping @acme/admins now", f"ping @{ZERO_WIDTH_SPACE}acme/admins now"),
        ("(@octocat)", f"(@{ZERO_WIDTH_SPACE}octocat)"),
        ("ops@example.com", "ops@example.com"),  # a mail address is no mention
        ("a @ b", "a @ b"),
    ],
)
def test_mentions_are_neutralised(text: str, quiet: str) -> None:
    assert quiet_mentions(text) == quiet
    assert inline(text) == quiet.replace("_", "\\_")

"""Text a pull request or a repository controls (project, resource and property names, values,
error messages, policy messages, the author in a reason) stays text in every Markdown and HTML
renderer: it adds no element (`</details>`, `<img>`, links), no `javascript:` URL, no live
`@mention`, and no HTML comment that would hide the rest."""

from __future__ import annotations

import pytest

from orchestrator.drift.model import Finding
from orchestrator.drift.notify import webhook_payload
from orchestrator.report.mdtext import ZERO_WIDTH_SPACE, inline, quiet_mentions
from tests.security.markup import BENIGN, PAYLOADS, RENDERERS, problems
from tests.security.planted import AWS_KEY_ID, GITHUB_TOKEN, leaks_in


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


@pytest.mark.parametrize("payload", [*PAYLOADS, "<!channel>", "x` <!here> `", "<http://evil.example|click>",
                                     "<@U024BE7LH>", f"bucket-{AWS_KEY_ID}", GITHUB_TOKEN])
def test_the_drift_notification_is_plain_text_in_slack(payload: str) -> None:
    """The drift webhook's Slack message names resources from programs and the cloud: none of it
    becomes a Slack link or mention (`<!channel>`, `<@U…>`, `<url|text>`), closes the code span
    around the name, or shows a credential."""
    finding = Finding(key=f"dev:unmanaged:{payload}", environment="dev", kind="unmanaged", type=f"aws:{payload}",
                      name=payload, stack=f"app-{payload}/dev", state="new")
    text = webhook_payload("dev", [finding])["text"]
    assert "<" not in text and ">" not in text  # every Slack control sequence starts with `<`
    assert leaks_in({"slack": text}) == []
    header, line = text.split("\n")  # one line per finding: a newline in a name starts none
    assert header == "*Drift in dev*: 1 new, 0 resolved"
    assert line.count("`") == 2 and line.endswith("`"), line  # the code span holds the whole name

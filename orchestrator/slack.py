"""Text shown as itself in a Slack message (the drift webhook and the alerts speak Slack's format).

Bottom layer: imports nothing from the package.
"""

from __future__ import annotations


def slack_plain(text: str) -> str:
    """`text` shown as itself in a Slack message: Slack reads `<...>` as links and mentions
    (`<!channel>`, `<@U123>`) and `&` as an entity, so those are escaped as its docs say."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

"""Values as the reports print them: one property value on one line, a cut that says what it
cut, a duration. Shared by the PR comment, the drift report and the dashboard.

`show_value` runs for every property of every stack of a comment: it dispatches on the exact
type (cheaper than isinstance chains) and reuses one JSON encoder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orchestrator.engines.base import SECRET, UNKNOWN
from orchestrator.engines.pulumi_diffs import ARCHIVE_SIG, ASSET_SIG, SIG_KEY

_JSON = json.JSONEncoder(ensure_ascii=False, default=str, separators=(", ", ": "))
_json_string: Callable[[str], str] = json.encoder.encode_basestring


def show_value(value: Any) -> str:
    """One property value on one line: strings JSON-quoted, markers bare, floats without `.0`."""
    kind = type(value)
    if kind is str:
        return value if value in (SECRET, UNKNOWN) else _json_string(value)
    if kind is float and value.is_integer():
        return str(int(value))  # Pulumi hands numbers over as floats: 80.0 is the 80 the user wrote
    if kind is int or kind is float:
        return str(value)
    if kind is dict and value.get(SIG_KEY) in (ASSET_SIG, ARCHIVE_SIG):
        return show_asset(value)
    return _JSON.encode(_whole_numbers(value))


_ASSET_SOURCES = ("path", "uri", "text", "assets")  # what Pulumi's asset or archive is made of
MAX_ASSET_TEXT = 40


def show_asset(value: dict[str, Any]) -> str:
    """An asset or archive as the Pulumi CLI shows one, `asset(file:ac6f4d7) { www/index.html }`,
    not its serialized form (a signature key, a hash and a path)."""
    noun = "asset" if value.get(SIG_KEY) == ASSET_SIG else "archive"
    source = next((key for key in _ASSET_SOURCES if key in value), "")
    kind = {"path": "file", "uri": "remote"}.get(source, source)
    digest = str(value.get("hash") or "")[:7]
    label = f"{noun}({kind}:{digest})" if digest else f"{noun}({kind})"
    content = value.get(source)
    if source == "assets" and isinstance(content, dict):
        shown = ", ".join(sorted(str(k) for k in content))
    else:
        shown = one_line(str(content if content is not None else ""))
    if len(shown) > MAX_ASSET_TEXT:
        shown = shown[: MAX_ASSET_TEXT - 1] + "…"
    return f"{label} {{ {shown} }}" if shown else label  # None, booleans, lists, maps: as JSON


def _whole_numbers(value: Any) -> Any:
    """Integral floats inside lists and maps as ints, as at the top level."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_whole_numbers(v) for v in value]
    return value


def cut_value(text: str, limit: int, redact: Callable[[str], str]) -> str:
    """`text` within `limit` characters, with a marker saying how much was cut.

    Redacted before cutting: a cut through a secret or a token would leave half of it that
    no later redaction recognises.
    """
    if len(text) <= limit:
        return text
    text = redact(text)
    return f"{text[:limit]}...(+{len(text) - limit} chars)"


def one_line(text: str) -> str:
    """Line breaks shown as `\\r`/`\\n`: a type, name or path never breaks a diff line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s"

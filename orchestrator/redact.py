"""Redaction: known secret values and credential-looking strings become `[secret]`.

Every report (PR comment, statuses, JSON, logs) passes its text through a `Redactor`
before it leaves the process. Two kinds of match:

* exact values we know are secret (the plain values of `secure:` config, tokens the
  flow holds), replaced wherever they occur, also in their JSON-escaped form because
  values are printed JSON-quoted;
* credential-looking strings nobody told us about (AWS keys, GitHub/GitLab/Slack
  tokens, bearer tokens, private key blocks, passwords in URLs or after a `password` label).

This module sits at the bottom layer: it imports nothing from the package, so engines,
stores, reports and flows can all use it without an import cycle. `engines.base.redact_result`
applies it to a stack result.

Speed matters (a 300-stack comment is redacted in one go), so each pattern has cheap
literal "triggers" checked with `in` first; the regex only runs on text that has one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# What a secret becomes, in every report and in engine results (`engines.base` re-exports it).
SECRET = "[secret]"

# Secrets shorter than this are ignored: replacing every "abc" or "1" in a comment would
# shred resource names and numbers while protecting nothing (a 3-character secret is
# guessable anyway). Callers that care should not use such values as secrets.
MIN_SECRET_LENGTH = 4


@dataclass(frozen=True)
class _Rule:
    """One credential pattern; `keep` names the group printed before `[secret]`."""

    name: str
    pattern: re.Pattern[str]
    triggers: tuple[str | re.Pattern[str], ...]  # literal (`in`) or a regex starting with a literal
    keep: str | None = None
    suffix: str = ""

    def replace(self, text: str) -> str:
        return self.pattern.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        prefix = match.group(self.keep) if self.keep else ""
        return f"{prefix}{SECRET}{self.suffix}"


_PRIVATE_KEY_BEGIN = r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
_PRIVATE_KEY_END = r"-----END [A-Z0-9 ]*PRIVATE KEY-----"

_RULES: tuple[_Rule, ...] = (
    _Rule(
        "private key block",
        # A block cut short (no END line) is redacted to the end of its line.
        re.compile(rf"{_PRIVATE_KEY_BEGIN}(?:[\s\S]*?{_PRIVATE_KEY_END}|[^\n]*)"),
        ("PRIVATE KEY",),
    ),
    _Rule(
        "AWS secret access key",
        re.compile(
            r"(?P<label>(?i:aws_?)?(?i:secret_?access_?key|aws_?secret_?key)[\"']?\s*(?:[:=]|=>)\s*[\"']?)"
            r"[A-Za-z0-9/+=]{8,}"
        ),
        ("ecret", "ECRET"),  # secret, Secret, SECRET
        keep="label",
    ),
    _Rule(
        "AWS access key id",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
        (re.compile("A(?:KIA|SIA)"),),
    ),
    _Rule(
        "GitHub token",
        re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
        # One regex with a literal prefix scans like `in`; six `in` checks would scan six times.
        (re.compile("g(?:h[pousr]_|ithub_pat_)"),),
    ),
    _Rule("GitLab token", re.compile(r"(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_\-]{20,}"), ("glpat-",)),
    _Rule("Slack token", re.compile(r"(?<![A-Za-z0-9_])xox[abpr]-[A-Za-z0-9\-]{10,}"), ("xox",)),
    _Rule(
        "bearer token",
        re.compile(r"(?P<label>(?i:bearer)\s+)[A-Za-z0-9\-._~+/]{8,}=*"),
        ("earer", "EARER"),
        keep="label",
    ),
    _Rule(
        "labelled password",
        # `password=...`, `"masterPassword": "..."`, `DB_PASSWORD: ...`; not `passwordLength: 12`.
        re.compile(r"(?P<label>(?i:passw(?:or)?d)[\"']?\s*[:=]\s*[\"']?)(?!\[secret\])[^\s\"',;&]{4,}"),
        ("assw", "ASSW"),
        keep="label",
    ),
    _Rule(
        "password in URL",
        # Already masked (`***`, as database URLs are shown) is left as it is.
        re.compile(r"(?P<label>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@\"'`]+:)(?!\*\*\*@)[^\s/@\"'`]+@"),
        ("://",),
        keep="label",
        suffix="@",
    ),
)

# Flat, so `text` runs a plain loop of fast C searches and no generator per rule.
_TRIGGERS: tuple[tuple[str | re.Pattern[str], _Rule], ...] = tuple((t, rule) for rule in _RULES for t in rule.triggers)


class Redactor:
    """Replaces known secret values and credential-looking strings with `[secret]`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH or not secret.strip():
                continue
            variants.add(secret)
            # Values are printed JSON-quoted, so a secret holding a quote, backslash or
            # newline appears escaped; catch that spelling too.
            escaped = json.dumps(secret, ensure_ascii=False)[1:-1]
            variants.add(escaped)
            variants.add(json.dumps(secret)[1:-1])
        # Longest first, so a secret containing another secret is replaced whole.
        self._secrets: tuple[str, ...] = tuple(sorted(variants, key=lambda s: (-len(s), s)))

    @property
    def secret_count(self) -> int:
        return len(self._secrets)

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        """A redactor knowing these secrets as well as ours."""
        merged = Redactor(secrets)
        merged._secrets = tuple(sorted({*self._secrets, *merged._secrets}, key=lambda s: (-len(s), s)))
        return merged

    def text(self, text: str) -> str:
        if len(text) < MIN_SECRET_LENGTH:
            return text
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, SECRET)
        applied: set[str] = set()
        for trigger, rule in _TRIGGERS:
            if rule.name in applied:
                continue
            if trigger in text if isinstance(trigger, str) else trigger.search(text) is not None:
                applied.add(rule.name)
                text = rule.replace(text)
        return text

    def value(self, obj: Any) -> Any:
        """`obj` with every string in it (keys included) redacted; containers are copied."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {self.value(k): self.value(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.value(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.value(item) for item in obj)
        if isinstance(obj, (set, frozenset)):
            return type(obj)(self.value(item) for item in obj)
        return obj


class LogRedaction(logging.Filter):
    """A logging handler's filter: each record's message (its arguments filled in), traceback
    and stack pass the redactor before the handler formats them, so a log line never holds a
    credential-looking string (a config value an admin got wrong, an exception's text)."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: left for the handler to report, as logging does
            return True
        record.msg, record.args = self._redactor.text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redactor.text(record.stack_info)
        return True


def redact_log_handlers(*logger_names: str) -> None:
    """Put a `LogRedaction` on every handler of the root logger and of `logger_names` (once)."""
    for name in ("", *logger_names):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, LogRedaction) for f in handler.filters):
                handler.addFilter(LogRedaction())


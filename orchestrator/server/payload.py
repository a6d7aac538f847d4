"""A webhook body as JSON, or the reason it is not one we accept (→ 400, counted by reason).

Python's `json` takes things GitHub and GitLab never send and the rest of the server cannot
store or compare: `NaN` and `Infinity`, numbers past 64 bits, lone UTF-16 surrogates and NUL
characters in strings (PostgreSQL refuses both), and nesting deep enough to exhaust the
interpreter's stack. Real payloads nest about ten levels; `MAX_DEPTH` leaves ample room.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64
_MAX_INT = 2**63 - 1


class Malformed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def parse_payload(body: bytes) -> dict[str, Any]:
    """The JSON object in `body`; Malformed(reason, message) otherwise."""
    try:
        payload = json.loads(body, parse_constant=_no_constant)
    except Malformed:
        raise
    except RecursionError:
        raise Malformed("too_deep", f"the JSON nests deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Malformed("not_json", f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise Malformed("not_object", "the body is JSON but not an object")
    _check(payload)
    return payload


def _no_constant(name: str) -> Any:
    raise Malformed("bad_number", f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def _check(payload: dict[str, Any]) -> None:
    """Depth, numbers and strings of every value, without recursion."""
    pending: list[tuple[Any, int]] = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise Malformed("too_deep", f"the JSON nests deeper than {MAX_DEPTH} levels")
            for key, item in value.items():
                _check_string(key)
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise Malformed("too_deep", f"the JSON nests deeper than {MAX_DEPTH} levels")
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_string(value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int) and not -_MAX_INT - 1 <= value <= _MAX_INT:
            raise Malformed("bad_number", f"the number {str(value)[:30]}... does not fit in 64 bits")
        elif isinstance(value, float) and value in (float("inf"), float("-inf")):
            raise Malformed("bad_number", "a number is too large for a 64-bit float")


def _check_string(text: str) -> None:
    if "\x00" in text:
        raise Malformed("bad_string", "a string holds a NUL character (\\u0000)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Malformed("bad_string", "a string holds a lone UTF-16 surrogate (not valid Unicode)") from None

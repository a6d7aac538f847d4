"""GitHub's and GitLab's real webhook examples (and GitHub's schemas), for tests that feed events
to the orchestrator. GitLab publishes no webhook schema: `gitlab_example(name)` gives the payload
examples of GitLab's webhook documentation (fixtures/gitlab/webhooks/, see SOURCES.md there).

`webhook_examples(event)` gives the examples from `fixtures/github/webhook-examples.json` that
pass their own schema (SOURCES.md: one example each of pull_request, push and issue_comment does
not; those are skipped by identity below, and `known_invalid_examples_still_fail` proves they
still fail). `schema_errors(event, payload)` validates any payload, e.g. one you modified, against
`fixtures/github/webhook-schemas.json` (JSON Schema draft-07).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from typing import Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped]  # no types-jsonschema in the venv

from tests.support.fixtures import GITLAB
from tests.support.github_standin import FIXTURES

# (event, position in the examples file, content fingerprint) of the examples that fail their schema.
KNOWN_INVALID_EXAMPLES = {
    ("pull_request", 0, "fa2b5caa8493e5a0"),
    ("push", 0, "6bb2f45da6f253cd"),
    ("issue_comment", 0, "639ca19479fc12b6"),
}


@functools.cache
def _all_examples() -> dict[str, list[dict[str, Any]]]:
    entries = json.loads((FIXTURES / "webhook-examples.json").read_text(encoding="utf-8"))
    return {entry["name"]: entry["examples"] for entry in entries}


@functools.cache
def _definitions() -> dict[str, Any]:
    schemas = json.loads((FIXTURES / "webhook-schemas.json").read_text(encoding="utf-8"))
    definitions: dict[str, Any] = schemas["definitions"]
    return definitions


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def raw_example(event: str, index: int) -> dict[str, Any]:
    """One example as stored, valid or not (a deep copy: change it freely)."""
    return copy.deepcopy(_all_examples()[event][index])


def webhook_examples(event: str, action: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(position, deep copy) of each schema-valid example of `event` (and `action`, if given)."""
    return [
        (index, copy.deepcopy(example))
        for index, example in enumerate(_all_examples()[event])
        if (event, index, fingerprint(example)) not in KNOWN_INVALID_EXAMPLES
        and (action is None or example.get("action") == action)
    ]


def schema_errors(event: str, payload: dict[str, Any]) -> list[str]:
    """Messages of every way `payload` breaks the schema of `event` (and its action); [] when valid."""
    name = f"{event}${payload['action']}" if "action" in payload else f"{event}$event"
    if name not in _definitions():
        return [f"no schema named {name!r} in webhook-schemas.json"]
    validator = Draft7Validator({"definitions": _definitions(), "$ref": f"#/definitions/{name}"})
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(payload)]


def known_invalid_examples_still_fail() -> list[str]:
    """Problems with the skip list: entries that moved, changed, or now pass their schema."""
    problems = []
    for event, index, print_ in sorted(KNOWN_INVALID_EXAMPLES):
        example = _all_examples()[event][index]
        if fingerprint(example) != print_:
            problems.append(f"{event} example {index} changed (fingerprint {fingerprint(example)})")
        elif not schema_errors(event, example):
            problems.append(f"{event} example {index} now passes its schema: stop skipping it")
    return problems


def gitlab_example(name: str) -> dict[str, Any]:
    """A deep copy of GitLab's documented payload `name` (push, merge_request, note_merge_request, note_issue)."""
    payload: dict[str, Any] = json.loads((GITLAB / "webhooks" / f"{name}.json").read_text(encoding="utf-8"))
    return payload

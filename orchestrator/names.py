"""Names that become paths: Pulumi's own rules for project and stack names, and the check that
a path built from them stays inside the directory it was built under.

Pulumi (sdk/go/common/tokens, `ValidateProjectName` and `ParseStackName`): a project name is
1 to 100 characters, letters, digits, `_`, `.` and `-`, not starting with a digit or `-`; a
stack name is 1 to 100 letters, digits, `_`, `.` and `-`. Both end up as directory and file
names in a backend (`.pulumi/stacks/<project>/<stack>.json`), so we also refuse what Pulumi
would accept but a path would misread: `.`, `..` and any name holding `..`.

Bottom layer: imports nothing from the package but `errors`.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.errors import UserError

MAX_NAME_LENGTH = 100
_PROJECT_NAME = re.compile(r"[A-Za-z_.][A-Za-z0-9_.-]*")
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")

PROJECT_NAME_RULE = "letters, digits, '_', '.' and '-' (not first: a digit or '-'), at most 100, no '..'"
STACK_NAME_RULE = "letters, digits, '_', '.' and '-', at most 100, no '..'"


def project_name_problem(name: object) -> str | None:
    """Why `name` is not a valid Pulumi project name, or None."""
    return _problem(name, _PROJECT_NAME, "project", PROJECT_NAME_RULE)


def stack_name_problem(name: object) -> str | None:
    """Why `name` is not a valid Pulumi stack name, or None. A fully qualified name
    (`org/project/stack`, as Pulumi Cloud takes it) is checked part by part."""
    if isinstance(name, str) and name.count("/") == 2:
        problems = (_problem(part, _STACK_NAME, "stack", STACK_NAME_RULE) for part in name.split("/"))
        found = next((problem for problem in problems if problem), None)
        return None if found is None else f"in {name!r}: {found}"
    return _problem(name, _STACK_NAME, "stack", STACK_NAME_RULE)


def _problem(name: object, pattern: re.Pattern[str], kind: str, rule: str) -> str | None:
    if not isinstance(name, str) or not name:
        return f"a {kind} name must be a non-empty string"
    if len(name) > MAX_NAME_LENGTH:
        return f"{kind} name {name[:20]!r}... is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
    if pattern.fullmatch(name) is None or ".." in name or name == ".":
        return f"{kind} name {name!r} is not valid: use {rule}"
    return None


def inside(base: Path, *parts: str) -> Path:
    """`base / parts...`, refused unless it resolves inside `base` (symbolic links followed)."""
    root = base.resolve()
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents:
        raise UserError(
            f"refusing to write {path}: it is outside the backend directory {root}",
            "project and stack names must not hold '/', '\\\\' or '..'; check the project's Pulumi.yaml `name` "
            "and the environment's `stack_name`",
        )
    return path

"""Path and branch globs: `*` and `?` stay within a segment, `**` crosses them."""

from __future__ import annotations

import pytest

from orchestrator.globs import GlobError, match, validate_glob


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("release/*", "release/1.0", True),
        ("release/*", "release/1.0/hotfix", False),
        ("release/*", "release/", True),
        ("lib/**", "lib/a/b/c.py", True),
        ("lib/**", "libx/a.py", False),
        ("**/*.py", "a.py", True),
        ("**/*.py", "a/b/c.py", True),
        ("**/*.py", "a/b/c.pyc", False),
        ("stacks/*/Pulumi.yaml", "stacks/app/Pulumi.yaml", True),
        ("stacks/*/Pulumi.yaml", "stacks/a/b/Pulumi.yaml", False),
        ("lib/*.py", "lib/axpy", False),  # the dot is literal
        ("v?.x", "v1.x", True),
        ("v?.x", "v/.x", False),
        ("release/[0-9]*", "release/2024", True),
        ("release/[0-9]*", "release/x", False),
        ("env/[!p]*", "env/dev", True),
        ("env/[!p]*", "env/prod", False),
        ("a+b(c)", "a+b(c)", True),  # regex characters are literal
        ("main", "main", True),
        ("main", "mainline", False),
    ],
)
def test_match(glob: str, path: str, expected: bool) -> None:
    assert match(glob, path) is expected


@pytest.mark.parametrize("glob", ["release/[0-9", "", "a[[b]"])
def test_invalid_globs(glob: str) -> None:
    with pytest.raises(GlobError):
        validate_glob(glob)

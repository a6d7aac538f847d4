"""Which project a stack reference name points at, from what the source code fixes of it."""

from __future__ import annotations

import pytest

from orchestrator.stackrefs.names import Pattern, braces, printf, shown, target


@pytest.mark.parametrize(
    ("pattern", "resolution", "project"),
    [
        (("acme/network/dev",), "project", "network"),
        (("acme/network/", None), "project", "network"),
        ((None, "/network/", None), "project", "network"),
        (("network/", None), "project", "network"),  # org-less project/stack
        (("dev",), "own", None),  # a stack of the program's own project
        ((None,), "unknown", None),
        (("acme/", None, "/dev"), "unknown", None),  # the project part is computed
        (("acme/net", None, "/dev"), "unknown", None),
        (("acme//dev",), "unknown", None),
        (("a/b/c/d",), "unknown", None),  # not a stack name
    ],
)
def test_target(pattern: Pattern, resolution: str, project: str | None) -> None:
    found = target(pattern)
    assert (found.resolution, found.project) == (resolution, project)


def test_format_strings_keep_their_literal_parts() -> None:
    assert printf(("acme/%s/%d%%",)) == ("acme/", None, "/", None, "%")
    assert braces(("{{x}}/{0}/net/{stack}",)) == ("{x}/", None, "/net/", None)
    assert shown(("acme/network/", None)) == "acme/network/{…}"

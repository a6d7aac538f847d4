"""Path and branch globs: `*` and `?` stay within one path segment, `**` crosses them.

Written by hand because fnmatch lets `*` cross `/`, and the glob libraries implement
gitignore semantics (anchoring rules) rather than plain path globs.
"""

from __future__ import annotations

import re
from functools import lru_cache


class GlobError(ValueError):
    pass


def validate_glob(glob: str) -> None:
    if not glob:
        raise GlobError("empty glob")
    depth = 0
    for char in glob:
        if char == "[":
            if depth:
                raise GlobError(f"{glob!r}: nested '[' in a character class")
            depth = 1
        elif char == "]" and depth:
            depth = 0
    if depth:
        raise GlobError(f"{glob!r}: unclosed '[' (escape it as [[] to match a literal bracket)")


@lru_cache(maxsize=4096)
def compile_glob(glob: str) -> re.Pattern[str]:
    validate_glob(glob)
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = glob.index("]", i + 1)
            body = glob[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end + 1
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def match(glob: str, path: str) -> bool:
    return compile_glob(glob).match(path) is not None


def is_literal(glob: str) -> bool:
    return not any(c in glob for c in "*?[")

"""Every relative link in docs/*.md and README.md points to a file that exists (and, for a
`#fragment` into a Markdown page, to a heading of that page)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

# [text](target) and [text](target "title"); images too. Reference-style definitions: [id]: target
_INLINE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # https:, mailto:, ...


def _prose(text: str) -> str:
    """The page without code: a `[x](y)` inside a code block is an example, not a link."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def links(page: Path) -> list[str]:
    text = _prose(page.read_text(encoding="utf-8"))
    return [*_INLINE.findall(text), *_DEFINITION.findall(text)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces → `-`."""
    text = re.sub(r"`|\*\*|__", "", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        n = counts.get(base, 0)
        counts[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    found.update(re.findall(r'<a\s+(?:name|id)="([^"]+)"', page.read_text(encoding="utf-8")))
    return found


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in links(page):
        if _EXTERNAL.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        resolved = page if not path_part else (page.parent / unquote(path_part)).resolve()
        if not resolved.exists():
            problems.append(f"{target}: {resolved} does not exist")
            continue
        if fragment and resolved.suffix == ".md" and unquote(fragment) not in anchors(resolved):
            problems.append(f"{target}: no heading with anchor #{fragment} in {resolved.name}")
    return problems


def test_the_pages_exist() -> None:
    names = {p.name for p in PAGES}
    for page in ("getting-started.md", "configuration.md", "flows.md", "engines.md", "security.md",
                 "operations.md", "comparison.md"):
        assert page in names, f"docs/{page} is missing"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_to_existing_files(page: Path) -> None:
    problems = broken_links(page)
    assert not problems, f"broken links in {page.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_the_readme_links_every_page() -> None:
    targets = {t.partition("#")[0] for t in links(ROOT / "README.md")}
    missing = [p.name for p in PAGES if p.parent.name == "docs" and f"docs/{p.name}" not in targets]
    assert not missing, f"README.md's Documentation section does not link {missing}"


def test_the_checker_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# A heading\n\ntext\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](there.md) [ok too](there.md#a-heading) [self](#page) [web](https://example.com)\n"
        "[gone](missing.md) [bad anchor](there.md#nope)\n\n"
        "```\n[in code](not-checked.md)\n```\n`[span](also-not-checked.md)`\n\n[ref]: missing-too.md\n"
    )
    problems = broken_links(page)
    assert len(problems) == 3, problems
    assert any("missing.md" in p for p in problems)
    assert any("#nope" in p for p in problems)
    assert any("missing-too.md" in p for p in problems)

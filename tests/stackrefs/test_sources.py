"""The two places the dependency scan reads from agree on which files hold the word StackReference:
a commit (`git grep` with suffix pathspecs) and the working tree (a walk), at any depth."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orchestrator.config.tree import WorkTree
from orchestrator.git import GitRepo
from orchestrator.stackrefs import SUFFIXES
from tests.support.foundation_repo import GitFixture

WORD = "StackReference"
FILES = {
    "top.py": f"{WORD}('a/b/c')\n",
    "stacks/app/__main__.py": f"{WORD}('a/b/c')\n",
    "stacks/app/deep/er/still/component.ts": f"new {WORD}('a/b/c')\n",
    "stacks/app/Main.yaml": f"type: pulumi:pulumi:{WORD}\n",
    "stacks/app/main.go": "package main\n",  # right suffix, no word
    "stacks/app/README.md": f"{WORD} docs\n",  # the word, a suffix no language has
    "stacks/app/odd.py/notes.txt": f"{WORD}\n",  # a directory named like a program file
    "stacks/other.py": f"# {WORD}\n",  # directly under stacks/
    "stacksmore/x.py": f"{WORD}\n",  # a sibling whose name starts like stacks
}


@pytest.mark.parametrize("under", ["stacks", "."])
def test_a_commit_and_the_working_tree_find_the_same_files(
    make_repo: Callable[..., GitFixture], under: str
) -> None:
    repo = make_repo(FILES, base=False)
    git = GitRepo(repo.path)
    in_commit = git.tree(git.resolve("HEAD")).files_containing(under, WORD, SUFFIXES)
    in_work_tree = WorkTree(repo.path).files_containing(under, WORD, SUFFIXES)
    expected = {
        "stacks/app/__main__.py",
        "stacks/app/deep/er/still/component.ts",
        "stacks/app/Main.yaml",
        "stacks/other.py",
    }
    if under == ".":
        expected |= {"top.py", "stacksmore/x.py"}
    assert set(in_commit) == expected
    assert set(in_work_tree) == expected

"""What a plan loads, in a fresh process as CI runs it: the grammars of the languages its programs
are written in, and not GitPython (planning is git's own commands). Start-up is most of a plan's
time on a large repository (bench/plan_scale.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

from tests.support.foundation_repo import GitFixture

LOADED = (
    "import json, sys\n"
    "from orchestrator.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as done:\n"
    "    assert not done.code, done.code\n"
    "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules if m == 'git' or m.startswith('tree_sitter')})))\n"
)


def test_a_plan_loads_only_the_grammars_it_parses_and_not_gitpython(make_repo: Callable[..., GitFixture]) -> None:
    repo = make_repo()  # Python programs, one reading another through a StackReference
    base = repo.sha("HEAD")
    head = repo.commit({"stacks/network/__main__.py": "import pulumi\npulumi.export('vpc', 'vpc-2')\n"})
    done = subprocess.run(
        [sys.executable, "-c", LOADED, "plan", "--repo", str(repo.path), "--base", base, "--head", head,
         "--branch", "main", "--event", "push", "--format", "json"],
        capture_output=True, text=True, check=True, env={**os.environ},
    )
    plan_json, loaded = done.stdout.strip().rsplit("\n", 1)
    assert {s["project"] for s in json.loads(plan_json)["stacks"]} == {"network", "data", "app"}
    assert json.loads(loaded) == ["tree_sitter", "tree_sitter_python"]

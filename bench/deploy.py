"""Benchmark of the deploy flow's orchestration overhead (issue 6, item 9).

Generates a repository of N stacks (default 50): one project each, one dynamic-provider
resource per project, all in one environment on `main`, and a watched `lib/` every project
depends on. Deploys them once, then, in one run, measures a no-change deploy of all N stacks
(a commit that touches `lib/` only, so every stack is planned and none changes) through
`run_deploy` with the local engine, the SQLite store and the files VCS provider (report,
comment and statuses written), against the sum of the engine's own time for those stacks
(the engine factory is wrapped so every engine call is timed).

    .venv/bin/python bench/deploy.py [--stacks 50]

Prints the wall time at concurrency 1 (the clean comparison: engine calls never overlap),
the engine sum, the overhead and its target (< 10%), and the wall time at concurrency 2.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestrator.engines.base import Engine, StackResult  # noqa: E402
from orchestrator.models import StackSpec  # noqa: E402

TARGET_OVERHEAD = 0.10
BRANCH = "main"

PROGRAM = '''import sys
from pathlib import Path

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib import naming


class Marker(ResourceProvider):
    def create(self, props):
        return CreateResult("marker-" + props["name"], props)


class Flag(Resource):
    def __init__(self, name, props):
        super().__init__(Marker(), name, props)


flag = Flag(naming.name(pulumi.get_project(), "flag"), {{"name": pulumi.get_project(), "index": {index}}})
pulumi.export("flag", flag.id)
'''

ENVIRONMENT = """branch: main
engine: local
backend: file://.orchestrator/state
aws: {region: us-east-1, endpoint: sandbox}
config: {"aws:region": us-east-1}
"""

SETTINGS = """watch:
  - "lib/**"
"""

LIB = '''"""Shared naming, watched: a change here plans every project."""


def name(project: str, component: str) -> str:
    return f"{project}-{component}"
'''


@dataclass
class TimedEngines:
    """An engine factory whose engines record how long each call took (thread-safe)."""

    calls: list[tuple[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def factory(self, name: str) -> Engine:
        from orchestrator.flows.checkouts import default_engine_factory

        return _Timed(default_engine_factory(name), self)

    def record(self, stack: str, seconds: float) -> None:
        with self.lock:
            self.calls.append((stack, seconds))

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()

    @property
    def total(self) -> float:
        with self.lock:
            return sum(seconds for _, seconds in self.calls)


class _Timed:
    def __init__(self, inner: Engine, clock: TimedEngines) -> None:
        self.inner = inner
        self.clock = clock

    def _timed(self, stack: StackSpec, call: Any) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            self.clock.record(f"{stack.project}/{stack.environment}", time.perf_counter() - started)

    def preview(self, stack: StackSpec) -> StackResult:
        result: StackResult = self._timed(stack, lambda: self.inner.preview(stack))
        return result

    def update(self, stack: StackSpec) -> StackResult:
        result: StackResult = self._timed(stack, lambda: self.inner.update(stack))
        return result

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult:
        result: StackResult = self._timed(stack, lambda: self.inner.destroy(stack, preview_only=preview_only))
        return result

    def drift(self, stack: StackSpec) -> StackResult:
        result: StackResult = self._timed(stack, lambda: self.inner.drift(stack))
        return result

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        found: dict[str, Any] = self._timed(stack, lambda: self.inner.outputs(stack))
        return found


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args],
        check=True, capture_output=True, text=True,
    )
    return done.stdout.strip()


def generate(root: Path, stacks: int) -> None:
    (root / "environments").mkdir(parents=True)
    (root / "environments" / "bench.yaml").write_text(ENVIRONMENT)
    (root / "orchestrator.yaml").write_text(SETTINGS)
    (root / "lib").mkdir()
    (root / "lib" / "__init__.py").write_text("")
    (root / "lib" / "naming.py").write_text(LIB)
    (root / ".gitignore").write_text(".orchestrator/\n__pycache__/\n")
    for index in range(stacks):
        project = root / "stacks" / f"s{index:03d}"
        project.mkdir(parents=True)
        (project / "Pulumi.yaml").write_text(f"name: s{index:03d}\nruntime: python\n")
        (project / "__main__.py").write_text(PROGRAM.format(index=index))
    git(root, "init", "-q", "-b", BRANCH)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "generated stacks")


def touch_lib(root: Path, note: str) -> None:
    with (root / "lib" / "naming.py").open("a") as handle:
        handle.write(f"# {note}\n")
    git(root, "commit", "-q", "-am", note)


@dataclass(frozen=True)
class Measured:
    wall_s: float
    engine_s: float
    stacks: int
    changed: int


def deploy(root: Path, engines: TimedEngines, *, concurrency: int, out: Path) -> Measured:
    from orchestrator.flows.deploy import DeployRequest, run_deploy
    from orchestrator.store import open_store
    from orchestrator.vcs.files import FilesVcs

    engines.reset()
    started = time.perf_counter()
    store = open_store(None, root)
    try:
        request = DeployRequest(repo=root, branch=BRANCH, actor="bench", concurrency=concurrency)
        outcome = run_deploy(request, store, FilesVcs(out), engine_factory=engines.factory)
    finally:
        store.close()
    wall = time.perf_counter() - started
    failed = [sid for sid, r in outcome.results.items() if r.status != "succeeded"]
    if failed:
        raise SystemExit(f"deploy failed for {failed}: {outcome.results[failed[0]].error}")
    changed = sum(1 for r in outcome.results.values() if r.counts.changed)
    return Measured(wall, engines.total, len(outcome.results), changed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", type=int, default=50)
    args = parser.parse_args()

    from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox

    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", "bench-passphrase")
    os.environ.pop("ORCHESTRATOR_DATABASE_URL", None)
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp, InProcessSandbox() as sandbox:
        os.environ[ENDPOINT_ENV] = sandbox.endpoint
        root, out = Path(tmp) / "infra", Path(tmp) / "vcs"
        generate(root, args.stacks)
        engines = TimedEngines()

        first = deploy(root, engines, concurrency=2, out=out)
        print(f"first deploy of {first.stacks} stacks (creates, concurrency 2): {first.wall_s:.1f} s")

        touch_lib(root, "no-change deploy, concurrency 1")
        one = deploy(root, engines, concurrency=1, out=out)
        touch_lib(root, "no-change deploy, concurrency 2")
        two = deploy(root, engines, concurrency=2, out=out)

    assert one.changed == 0 and two.changed == 0, "a no-change deploy changed something"
    overhead = (one.wall_s - one.engine_s) / one.engine_s
    verdict = "OK" if overhead < TARGET_OVERHEAD else "OVER TARGET"
    print(f"no-change deploy of {one.stacks} stacks, concurrency 1:")
    print(f"  total (run_deploy wall time)  {one.wall_s:8.2f} s")
    print(f"  engine sum (timed calls)      {one.engine_s:8.2f} s   "
          f"({one.engine_s / one.stacks * 1000:.0f} ms a stack)")
    print(f"  orchestration overhead        {one.wall_s - one.engine_s:8.2f} s   "
          f"({(one.wall_s - one.engine_s) / one.stacks * 1000:.0f} ms a stack)")
    print(f"  overhead                      {overhead * 100:8.1f} %   "
          f"(target < {TARGET_OVERHEAD * 100:.0f}%: {verdict})")
    print(f"no-change deploy of {two.stacks} stacks, concurrency 2:")
    print(f"  total (wall)                  {two.wall_s:8.2f} s   (engine sum {two.engine_s:.2f} s, "
          f"speed-up {one.wall_s / two.wall_s:.2f}x over concurrency 1)")


if __name__ == "__main__":
    main()

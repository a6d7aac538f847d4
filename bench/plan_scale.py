"""How `orchestrator plan` scales with the size of the infrastructure repository.

For each size N (default 500, 1,000 and 2,000 projects) this generates a Git repository in a
temporary directory: N Pulumi projects of 10 files each (Pulumi.yaml, a program with a
StackReference to its predecessor in chains of 10, and 8 other small files), environments/
(dev on `develop`, qa and prod on `main`) and orchestrator.yaml; commits it (B); then commits a
change touching 300 files in 150 projects (H). With `--mix mixed` (the default) the projects
cycle through Python, TypeScript, Go, C#, Java and Pulumi YAML (bench/plan_languages.py), so every
chain crosses every grammar the dependency scan parses; `--mix python` is the all-Python
repository of earlier runs. In the same run it measures, best of --repeat:

  * `orchestrator plan --repo R --base B --head H --branch main --event push --format json`
  * `git diff --name-only B H` (the floor: any planner must at least read the change set)
  * `orchestrator --help` (start-up cost: no Pulumi import allowed)

and checks the targets: plan exceeds git diff by at most 0.5 s at 2,000 projects; plan time
grows no faster than linearly with N; `--help` under 0.3 s. The plan's CPU time (user + sys,
best of --repeat) is printed beside its wall time: on a machine shared with other jobs it is
the steadier figure. Run with `make bench`.

The orchestrator's bytecode is compiled first, as `pip install` does for an installed package: with
PYTHONDONTWRITEBYTECODE set (as on our build machines) an editable install never caches it,
and every plan would compile its ~100 modules from source (a third of a second), which no
installed copy pays.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plan_languages import EDITED, LANGUAGES, MIXES

CHAIN_LENGTH = 10
CHANGED_PROJECTS = 150
FILES_CHANGED_PER_PROJECT = 2  # the program and one component (plan_languages.EDITED): 300 files in all
DIFF_OVERHEAD_TARGET_S = 0.5
DIFF_OVERHEAD_AT = 2000
HELP_TARGET_S = 0.3
# Log-log slope of plan time against N; 1.0 is linear. A little slack for timer noise.
GROWTH_EXPONENT_LIMIT = 1.1

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    # No background auto-gc: the generator packs the repository itself, once, at the end.
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "gc.auto",
    "GIT_CONFIG_VALUE_0": "0",
}


# ---------------------------------------------------------------- the generated repository


def project_name(index: int) -> str:
    return f"svc{index:04d}"


def predecessor(index: int) -> int | None:
    """Projects form chains of CHAIN_LENGTH: each reads the outputs of the one before it."""
    return None if index % CHAIN_LENGTH == 0 else index - 1


def language_of(index: int, mix: str) -> str:
    languages = MIXES[mix]
    return languages[index % len(languages)]


def project_files(index: int, revision: int = 0, mix: str = "mixed") -> dict[str, str]:
    """The 10 files of one project. `revision` > 0 is the edited version of the changed files."""
    before = predecessor(index)
    upstream = project_name(before) if before is not None else None
    return LANGUAGES[language_of(index, mix)](project_name(index), upstream, revision)


def edited_files(index: int, mix: str) -> tuple[str, str]:
    return EDITED[language_of(index, mix)]


FILES_PER_PROJECT = 10
assert all(len(make("p", "q", 0)) == FILES_PER_PROJECT for make in LANGUAGES.values())

ENVIRONMENTS = {
    "dev": "branch: develop\norder: 1\nengine: local\nbackend: file://.orchestrator/state\n",
    "qa": "branch: main\norder: 2\nengine: local\nbackend: file://.orchestrator/state\n",
    "prod": (
        "branch: main\norder: 3\nengine: local\nbackend: file://.orchestrator/state\n"
        "requires: [qa]\nprotected: true\napprovals: 1\n"
    ),
}
REPO_FILES = {
    "orchestrator.yaml": 'stacks_dir: stacks\nenvironments_dir: environments\nwatch: ["lib/**"]\n',
    "lib/__init__.py": "",
    "lib/tags.py": 'def tags(project: str) -> dict[str, str]:\n    return {"Project": project}\n',
    "README.md": "# Generated infrastructure repository for bench/plan_scale.py\n",
}


def changed_project_indexes(projects: int) -> list[int]:
    """CHANGED_PROJECTS projects spread evenly over the repository."""
    count = min(CHANGED_PROJECTS, projects)
    return sorted({(i * projects) // count for i in range(count)})


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}:\n{completed.stderr}")
    return completed.stdout


@dataclass(frozen=True)
class GeneratedRepo:
    path: Path
    projects: int
    base: str
    head: str
    files: int
    changed_files: tuple[str, ...]
    changed_projects: tuple[str, ...]
    seconds: float
    mix: str = "mixed"


def generate(root: Path, projects: int, mix: str = "mixed") -> GeneratedRepo:
    """Build the repository at `root`: base commit with everything, head commit with the change."""
    started = time.perf_counter()
    root.mkdir(parents=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    write_files(root, REPO_FILES)
    write_files(root, {f"environments/{env}.yaml": text for env, text in ENVIRONMENTS.items()})
    for index in range(projects):
        write_files(root / "stacks" / project_name(index), project_files(index, mix=mix))
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", f"{projects} generated projects")
    base = git(root, "rev-parse", "HEAD").strip()

    changed: list[str] = []
    for index in changed_project_indexes(projects):
        files = project_files(index, revision=1, mix=mix)
        edited = {k: files[k] for k in edited_files(index, mix)}
        write_files(root / "stacks" / project_name(index), edited)
        changed.extend(f"stacks/{project_name(index)}/{k}" for k in edited)
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", f"edit {len(changed)} files")
    # Packed, as a clone (what CI plans on) always is: a fresh `git add` of 20,000 files leaves
    # loose objects, which make every reader of the commit (git grep, cat-file) several times
    # slower, and git's own auto-gc packs them at some sizes and not others.
    git(root, "repack", "-a", "-d", "-q")
    head = git(root, "rev-parse", "HEAD").strip()
    total = projects * FILES_PER_PROJECT + len(ENVIRONMENTS) + len(REPO_FILES)
    return GeneratedRepo(
        path=root,
        projects=projects,
        base=base,
        head=head,
        files=total,
        changed_files=tuple(sorted(changed)),
        changed_projects=tuple(project_name(i) for i in changed_project_indexes(projects)),
        seconds=time.perf_counter() - started,
        mix=mix,
    )


def verify(repo: GeneratedRepo) -> None:
    """The generated repository is what the benchmark claims, as Git itself sees it."""
    tracked = git(repo.path, "ls-files", "-z").split("\0")[:-1]
    if len(tracked) != repo.files:
        raise RuntimeError(f"expected {repo.files} tracked files, git has {len(tracked)}")
    diff = git(repo.path, "diff", "--name-only", repo.base, repo.head).split()
    if sorted(diff) != list(repo.changed_files):
        raise RuntimeError(f"git diff lists {len(diff)} files, expected {len(repo.changed_files)}")
    projects = {path.split("/")[1] for path in diff}
    if sorted(projects) != list(repo.changed_projects):
        raise RuntimeError(f"the change touches {len(projects)} projects, expected {len(repo.changed_projects)}")
    for index in range(1, min(repo.projects, CHAIN_LENGTH)):
        program = edited_files(index, repo.mix)[0]
        text = git(repo.path, "show", f"{repo.head}:stacks/{project_name(index)}/{program}")
        if f"organization/{project_name(index - 1)}/" not in text:
            raise RuntimeError(f"the StackReference chain is missing from {project_name(index)}/{program}")


def expected_plan_projects(repo: GeneratedRepo) -> set[str]:
    """Changed projects plus their dependents: the rest of each one's chain."""
    affected: set[str] = set()
    for name in repo.changed_projects:
        index = int(name.removeprefix("svc"))
        chain_end = (index // CHAIN_LENGTH + 1) * CHAIN_LENGTH
        affected.update(project_name(i) for i in range(index, min(chain_end, repo.projects)))
    return affected


# ---------------------------------------------------------------- measuring


def best_of(repeat: int, run: Callable[[], object]) -> float:
    return timed(repeat, run)[0]


def timed(repeat: int, run: Callable[[], object]) -> tuple[float, float]:
    """Best wall time and best CPU time (user + sys of the child processes) of `repeat` runs."""
    walls, cpus = timings(repeat, run)
    return min(walls), min(cpus)


def timings(repeat: int, run: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Wall and CPU time (user + sys of the child processes) of each of `repeat` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        run()
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def run_checked(argv: Sequence[str], cwd: Path | None = None) -> str:
    completed = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {completed.returncode}:\n{completed.stderr[-2000:]}")
    return completed.stdout


def orchestrator_command() -> str:
    """The console script installed beside this interpreter (the same venv)."""
    script = Path(sys.executable).parent / "orchestrator"
    if not script.exists():
        raise SystemExit(f"{script} not found: install the package first (make install)")
    return str(script)


def plan_argv(repo: GeneratedRepo) -> list[str]:
    return [
        orchestrator_command(),
        "plan",
        "--repo",
        str(repo.path),
        "--base",
        repo.base,
        "--head",
        repo.head,
        "--branch",
        "main",
        "--event",
        "push",
        "--format",
        "json",
    ]


def check_plan(repo: GeneratedRepo, output: str) -> int:
    """The plan must be right, or its time means nothing. Returns the number of stacks."""
    plan: dict[str, Any] = json.loads(output)
    problems = []
    if sorted(plan["changed_files"]) != list(repo.changed_files):
        problems.append(f"changed_files has {len(plan['changed_files'])} entries, expected 300")
    if plan["environments"] != ["qa", "prod"]:
        problems.append(f"environments {plan['environments']}, expected ['qa', 'prod']")
    planned = {(s["project"], s["environment"]) for s in plan["stacks"]}
    expected = {(p, e) for p in expected_plan_projects(repo) for e in ("qa", "prod")}
    if planned != expected:
        problems.append(f"{len(planned)} stacks planned, expected {len(expected)}")
    if problems:
        raise RuntimeError("wrong plan: " + "; ".join(problems))
    return len(planned)


@dataclass(frozen=True)
class Measurement:
    projects: int
    files: int
    stacks: int
    generate_s: float
    plan_s: float
    diff_s: float
    plan_cpu_s: float
    mix: str
    plan_median_s: float = 0.0  # reported beside the best, which the targets use
    load: float = 0.0  # the machine's 1-minute load average while measuring

    @property
    def overhead_s(self) -> float:
        return self.plan_s - self.diff_s

    @property
    def ratio(self) -> float:
        return self.plan_s / self.diff_s


def measure(repo: GeneratedRepo, repeat: int) -> Measurement:
    argv = plan_argv(repo)
    stacks = check_plan(repo, run_checked(argv))  # also warms the file cache for both commands
    diff_argv = ["git", "-C", str(repo.path), "diff", "--name-only", repo.base, repo.head]
    walls, cpus = timings(repeat, lambda: run_checked(argv))
    return Measurement(
        projects=repo.projects,
        files=repo.files,
        stacks=stacks,
        generate_s=repo.seconds,
        plan_s=min(walls),
        diff_s=best_of(repeat, lambda: run_checked(diff_argv)),
        plan_cpu_s=min(cpus),
        mix=repo.mix,
        plan_median_s=statistics.median(walls),
        load=os.getloadavg()[0],
    )


def growth_exponent(results: Sequence[Measurement]) -> float | None:
    """Log-log slope of plan time between the smallest and largest N (1.0 = linear)."""
    small, large = min(results, key=lambda m: m.projects), max(results, key=lambda m: m.projects)
    if large.projects == small.projects:
        return None
    return math.log(large.plan_s / small.plan_s) / math.log(large.projects / small.projects)


# ---------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(results: Sequence[Measurement], help_s: float) -> bool:
    header = (
        f"{'mix':>6} {'projects':>8} {'files':>7} {'stacks':>6} {'generate':>9} "
        f"{'plan':>8} {'plan med':>9} {'plan cpu':>9} {'git diff':>9} {'plan-diff':>10} {'ratio':>7} {'load':>5}"
    )
    print(header)
    print("-" * len(header))
    for m in results:
        print(
            f"{m.mix:>6} {m.projects:>8} {m.files:>7} {m.stacks:>6} {m.generate_s:>8.1f}s "
            f"{m.plan_s:>7.3f}s {m.plan_median_s:>8.3f}s {m.plan_cpu_s:>8.3f}s {m.diff_s:>8.3f}s "
            f"{m.overhead_s:>9.3f}s {m.ratio:>6.1f}x {m.load:>5.2f}"
        )
    print("plan: best of --repeat (the targets use it); plan med: their median; load: 1-minute load average")
    print()
    all_ok = True
    at_target = [m for m in results if m.projects == DIFF_OVERHEAD_AT]
    if at_target:
        ok = at_target[0].overhead_s <= DIFF_OVERHEAD_TARGET_S
        all_ok &= ok
        print(
            f"{verdict(ok)}  plan - git diff at {DIFF_OVERHEAD_AT} projects: "
            f"{at_target[0].overhead_s:.3f} s (target <= {DIFF_OVERHEAD_TARGET_S} s)"
        )
    else:
        print(f"SKIP  plan - git diff at {DIFF_OVERHEAD_AT} projects: size not run")
    exponent = growth_exponent(results)
    if exponent is not None:
        ok = exponent <= GROWTH_EXPONENT_LIMIT
        all_ok &= ok
        sizes = sorted(m.projects for m in results)
        print(
            f"{verdict(ok)}  growth of plan time from {sizes[0]} to {sizes[-1]} projects: "
            f"N^{exponent:.2f} (target: no faster than linear, exponent <= {GROWTH_EXPONENT_LIMIT})"
        )
    else:
        print("SKIP  growth: needs at least two sizes")
    ok = help_s < HELP_TARGET_S
    all_ok &= ok
    print(f"{verdict(ok)}  orchestrator --help: {help_s:.3f} s (target < {HELP_TARGET_S} s)")
    return all_ok


def parse_sizes(values: Sequence[str] | None) -> list[int]:
    if not values:
        return [500, 1000, 2000]
    sizes = sorted({int(part) for value in values for part in value.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise SystemExit("--projects takes positive integers, e.g. --projects 500,1000")
    return sizes


def compile_package() -> Path:
    """Compile the orchestrator package's bytecode into its __pycache__ folders (idempotent)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("orchestrator")
    if spec is None or spec.origin is None:
        raise SystemExit("the orchestrator package is not importable: install it first (make install)")
    package = Path(spec.origin).parent
    compileall.compile_dir(package, quiet=1)
    return package


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--projects",
        action="append",
        metavar="N[,N...]",
        help="repository sizes to run (repeatable or comma list; default 500,1000,2000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the best counts (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the generated repositories and print where")
    parser.add_argument("--generate-only", action="store_true", help="generate and verify, do not measure")
    parser.add_argument(
        "--mix",
        choices=sorted(MIXES),
        default="mixed",
        help="languages of the generated projects (default mixed: Python, TypeScript, Go, C#, Java, YAML)",
    )
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.projects)
    print(f"bytecode of {compile_package()} compiled, as an installed package has it", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="plan-scale-"))
    try:
        results = []
        for size in sizes:
            repo = generate(workdir / f"repo-{size}", size, args.mix)
            verify(repo)
            print(
                f"generated {size} {args.mix} projects, {repo.files} files, change of {len(repo.changed_files)} "
                f"files in {len(repo.changed_projects)} projects, in {repo.seconds:.1f} s",
                flush=True,
            )
            if not args.generate_only:
                results.append(measure(repo, args.repeat))
        if args.generate_only:
            return 0
        help_s = best_of(args.repeat, lambda: run_checked([orchestrator_command(), "--help"]))
        print()
        return 0 if print_table(results, help_s) else 1
    finally:
        if args.keep:
            print(f"repositories kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

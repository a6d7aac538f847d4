"""The parent side of a stack run: build the job, start the child, relay its progress,
and turn a crashed child into a failed result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.engines.local.environments import ProgramEnvironment, ProgramRuntime, runtime_options
from orchestrator.engines.local.job import JobResult, Operation
from orchestrator.errors import UserError
from orchestrator.models import StackSpec
from orchestrator.names import project_name_problem

ProgressCallback = Callable[[dict[str, Any]], None]

_PACKAGE_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class PulumiProject:
    """What `Pulumi.yaml` says: the project name (URNs and state paths use it) and the program."""

    name: str
    directory: Path
    program: Path
    runtime: ProgramRuntime = field(default_factory=ProgramRuntime)


def read_project(directory: Path) -> PulumiProject:
    from orchestrator.yamlfile import load_file

    path = directory / "Pulumi.yaml"
    if not path.exists():
        alt = directory / "Pulumi.yml"
        if not alt.exists():
            raise UserError(f"{directory}: no Pulumi.yaml", "every project directory needs a Pulumi.yaml")
        path = alt
    raw = load_file(path) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise UserError(f"{path}: `name` is missing", "give the project a name: `name: my-project`")
    problem = project_name_problem(raw["name"])
    if problem:
        raise UserError(f"{path}: name: {problem}", "rename the project in its Pulumi.yaml")
    runtime = raw.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise UserError(
            f"{path}: runtime {runtime_name!r} is not supported by the local engine (python only)",
            "use `engine: pulumi` for projects in other languages",
        )
    main = raw.get("main")
    program = directory / "__main__.py"
    if isinstance(main, str) and main:
        target = (directory / main).resolve()
        program = target / "__main__.py" if target.is_dir() else target
    if not program.exists():
        raise UserError(f"{path}: the program {program} does not exist")
    return PulumiProject(name=raw["name"], directory=directory.resolve(), program=program,
                         runtime=runtime_options(runtime, path))


def build_job(
    spec: StackSpec,
    project: PulumiProject,
    backend_dir: Path,
    *,
    operation: Operation,
    allow_pending: bool,
    parallel: int,
    result_path: Path,
) -> dict[str, Any]:
    return {
        "operation": operation,
        "project_dir": str(project.directory),
        "program": str(project.program),
        "project": project.name,
        "orchestrator_project": spec.project,
        "environment": spec.environment,
        "stack": spec.stack_name,
        "backend_dir": str(backend_dir),
        "env_config": dict(spec.config),
        "aws": {
            "region": spec.aws.region,
            "endpoint": spec.aws.endpoint,
            "role_arn": spec.aws.role_arn,
            "profile": spec.aws.profile,
        },
        "repo_root": str(spec.repo_root) if spec.repo_root else None,
        "allow_pending": allow_pending,
        "parallel": parallel,
        "result_path": str(result_path),
        "policy_packs": [
            {"path": p.path, "directory": str(p.directory), "config": p.config, "source": p.source}
            for p in spec.policy_packs
        ],
        "previewed": [
            {
                "project": p.project,
                "stack": p.stack,
                "values": p.values,
                "unknown": list(p.unknown),
                "secret": list(p.secret),
            }
            for p in spec.previewed
        ],
        "redirects": dict(spec.redirects),
    }


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


# Runs the child in a program's own virtualenv: the orchestrator's paths are appended after the
# environment's own site-packages (never before, as PYTHONPATH would), then the child module runs.
_BOOTSTRAP = (
    "import os, runpy, sys; sys.path.extend(p for p in sys.argv.pop(1).split(os.pathsep) if p not in sys.path); "
    "runpy.run_module('orchestrator.engines.local.child', run_name='__main__', alter_sys=True)"
)


def _command(job_path: Path, environment: ProgramEnvironment | None) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if environment is None or not environment.isolated:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        return [sys.executable, "-m", "orchestrator.engines.local.child", str(job_path)], env
    venv = environment.python.parent.parent
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join((str(venv / "bin"), env.get("PATH", "")))
    env.pop("PYTHONHOME", None)
    return [str(environment.python), "-c", _BOOTSTRAP, os.pathsep.join(environment.extra_paths), str(job_path)], env


def run_child(
    job: dict[str, Any],
    *,
    environment: ProgramEnvironment | None = None,
    progress: ProgressCallback | None = None,
    timeout_s: float | None = None,
    on_start: Callable[[int], None] | None = None,
) -> JobResult:
    """Run one job in a child process; its result, or a failed result if it crashed.

    The child's stderr (the program's prints and the SDK's logs) is not put in the result:
    it may hold secret values the program printed.
    """
    with tempfile.TemporaryDirectory(prefix="orchestrator-job-") as tmp:
        job_path = Path(tmp) / "job.json"
        result_path = Path(job["result_path"]) if job.get("result_path") else Path(tmp) / "result.json"
        job = {**job, "result_path": str(result_path)}
        job_path.write_text(json.dumps(job))
        command, env = _command(job_path, environment)
        stderr_path = Path(tmp) / "stderr.log"
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=job["project_dir"] if Path(job["project_dir"]).is_dir() else tmp,
            )
            if on_start is not None:
                on_start(proc.pid)
            timer = None
            if timeout_s is not None:
                timer = threading.Timer(timeout_s, proc.kill)
                timer.start()
            try:
                assert proc.stdout is not None
                for raw in proc.stdout:
                    if progress is None:
                        continue
                    try:
                        event = json.loads(raw)
                    except json.JSONDecodeError:
                        continue
                    progress(event)
                code = proc.wait()
            finally:
                if timer is not None:
                    timer.cancel()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        if result_path.exists():
            return JobResult.from_json(json.loads(result_path.read_text()))
        return JobResult.failed(
            job["operation"],
            f"the engine process for stack {job['orchestrator_project']}/{job['environment']} "
            f"{_describe_exit(code)} before reporting a result; state was written after every "
            "completed step, and an interrupted step is left as a pending operation",
        )

"""Benchmark of the local engine on a generated 200-resource program (issue 3, item 11).

Prints, from one run (each repeatable measurement is the best of --repeat runs): the bare
SDK run of the program under plain mocks (no state, no providers), the first `update`
against moto, a no-change `preview`, a no-change `update`, `drift`, the peak memory of a
stack run, and the ratios against the targets:
no-change preview <= 1.5x the bare SDK run; no-change update <= 1.2x the preview;
peak memory of a stack run < 300 MB.

    .venv/bin/python bench/engine.py [--resources 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROGRAM = '''
import uuid
import pulumi
import pulumi_aws as aws
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class Noop(ResourceProvider):
    def create(self, props):
        return CreateResult("noop-" + uuid.uuid4().hex[:8], props)


class Marker(Resource):
    def __init__(self, name, props):
        super().__init__(Noop(), name, props)


GROUPS = {groups}
for i in range(GROUPS):
    tags = {{"bench": "engine", "group": str(i)}}
    bucket = aws.s3.Bucket(f"bucket-{{i}}", force_destroy=True, tags=tags)
    queue = aws.sqs.Queue(f"queue-{{i}}", visibility_timeout_seconds=30, tags=tags)
    aws.sns.Topic(f"topic-{{i}}", tags=tags)
    aws.ssm.Parameter(f"param-{{i}}", type="String", value=queue.url, tags=tags)
    Marker(f"marker-{{i}}", {{"bucket": bucket.id, "n": i}})
pulumi.export("groups", GROUPS)
'''

BARE_RUNNER = '''
import asyncio, logging, os, runpy, sys, time
from pulumi.runtime import mocks as pm, settings as ps, config as pc
from pulumi.runtime.stack import run_in_stack

class Plain(pm.Mocks):
    def new_resource(self, args):
        return (args.name + "-id", dict(args.inputs))
    def call(self, args):
        return {{}}

monitor = pm.MockMonitor(Plain())
ps.configure(pm.MockSettings(monitor=monitor,
    monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
    engine=pm.MockEngine(logging.getLogger("pulumi")), project="bench", stack="dev",
    dry_run=True, organization="organization", callbacks=None))
ps.ROOT.set(None)
pc.set_all_config({{}}, [])
os.chdir({directory!r}); sys.path.insert(0, {directory!r})
loop = asyncio.new_event_loop(); asyncio.set_event_loop(loop)
loop.run_until_complete(run_in_stack(lambda: runpy.run_path({program!r}, run_name="__main__")))
os._exit(0)
'''


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, float] = {}


def _timed(label: str, fn: object, repeat: int = 1) -> tuple[float, object]:
    """The best of `repeat` runs: on a shared 2-core machine the minimum is the stable figure.
    The CPU time of the child processes (in CPU) does not depend on what else the machine runs."""
    times = []
    cpus = []
    result: object = None
    for _ in range(repeat):
        cpu_before = _child_cpu()
        started = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
        cpus.append(_child_cpu() - cpu_before)
    elapsed = min(times)
    CPU[label] = min(cpus)
    status = getattr(result, "status", "")
    counts = getattr(result, "counts", None)
    extra = f"  status={status}" if status else ""
    if counts is not None:
        extra += f"  +{counts.create} ~{counts.update} -{counts.delete} ={counts.same}"
    runs = "" if repeat == 1 else f"  (best of {', '.join(f'{t:.2f}' for t in times)})"
    print(f"{label:<34} {elapsed:7.2f} s  cpu {CPU[label]:5.2f} s{extra}{runs}")
    if status and status != "succeeded":
        print(f"  error: {getattr(result, 'error', '')}")
    return elapsed, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=200, help="resources to generate (multiple of 5)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each repeatable measurement")
    args = parser.parse_args()
    groups = max(1, args.resources // 5)

    from orchestrator.engines.local.engine import LocalEngine
    from orchestrator.models import AwsSettings, StackSpec
    from orchestrator.sandbox import InProcessSandbox

    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", "bench-passphrase")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    work = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    project = work / "bench"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
    (project / "__main__.py").write_text(PROGRAM.format(groups=groups))
    runner = work / "bare.py"
    runner.write_text(BARE_RUNNER.format(directory=str(project), program=str(project / "__main__.py")))
    print(f"program: {groups * 5} resources ({groups} each of Bucket, Queue, Topic, Parameter, dynamic), "
          f"{os.cpu_count()} cores")

    bare, _ = _timed("bare SDK run (plain mocks)", lambda: subprocess.run(
        [sys.executable, str(runner)], check=True, capture_output=True), args.repeat)

    with InProcessSandbox() as sandbox:
        spec = StackSpec(project="bench", environment="dev", stack_name="dev", directory=project,
                         backend=f"file://{work / 'state'}", aws=AwsSettings(endpoint=sandbox.endpoint))
        engine = LocalEngine()
        first, _ = _timed("first update (moto)", lambda: engine.update(spec))
        preview, _ = _timed("no-change preview", lambda: engine.preview(spec), args.repeat)
        update, _ = _timed("no-change update", lambda: engine.update(spec), args.repeat)
        drift, _ = _timed("drift", lambda: engine.drift(spec), args.repeat)

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{'peak memory of a stack run':<34} {peak_mb:7.1f} MB")
    print()
    bare_cpu, preview_cpu = CPU["bare SDK run (plain mocks)"], CPU["no-change preview"]
    update_cpu = CPU["no-change update"]
    checks = [
        ("no-change preview / bare SDK run", preview / bare, preview_cpu / bare_cpu, 1.5),
        ("no-change update / no-change preview", update / preview, update_cpu / preview_cpu, 1.2),
    ]
    ok = True
    for label, ratio, cpu_ratio, target in checks:
        passed = ratio <= target
        ok = ok and passed
        print(f"{label:<38} {ratio:5.2f}x wall, {cpu_ratio:5.2f}x cpu  (target <= {target}x)  "
              f"{'PASS' if passed else 'FAIL'}")
    mem_ok = peak_mb < 300
    ok = ok and mem_ok
    print(f"{'peak memory':<38} {peak_mb:5.0f} MB (target < 300 MB)  {'PASS' if mem_ok else 'FAIL'}")
    print(f"(first update {first:.1f} s, drift {drift:.1f} s; state and program in {work})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

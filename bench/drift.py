"""Benchmark of the drift flow (issue 7, item 10).

From one run, prints:
* the wall time of `run_drift` over 50 stacks of 10 resources each (4 SQS queues, 3 SSM
  parameters, 3 S3 buckets; real local engine, moto on loopback) at concurrency 1 and at
  concurrency 2, and their ratio;
* the time of the unmanaged-resource scan of the account, which holds those 500 resources
  plus 1,000 made directly with boto3 (400 queues, 400 parameters, 200 buckets), all
  of which it must report.

Each drift run also drifts nothing (a clean check) except the 1,000 unmanaged resources,
so the runs after the first report them as ongoing.

    .venv/bin/python bench/drift.py [--stacks 50] [--unmanaged 1000] [--deploy-concurrency 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENVIRONMENT = """\
branch: main
engine: local
backend: file://.orchestrator/state
aws: {region: us-east-1, endpoint: sandbox}
config: {"aws:region": us-east-1}
drift: {schedule: "0 * * * *"}
"""

PROGRAM = '''\
"""Bench service {index}: ten resources."""
import pulumi
import pulumi_aws as aws

project = pulumi.get_project()
env = pulumi.get_stack()
tags = {{"Project": project, "Environment": env, "ManagedBy": "pulumi"}}
for i in range(4):
    aws.sqs.Queue(f"{{env}}-{{project}}-q{{i}}", message_retention_seconds=3600, tags=tags)
for i in range(3):
    aws.ssm.Parameter(f"{{env}}-{{project}}-p{{i}}", name=f"/{{env}}/{{project}}/p{{i}}", type="String",
                      value=f"value-{{i}}", tags=tags)
for i in range(3):
    aws.s3.Bucket(f"{{env}}-{{project}}-b{{i}}", force_destroy=True, tags=tags)
'''


def git(repo: Path, *args: str) -> None:
    identity = ("-c", "user.name=bench", "-c", "user.email=bench@example.com")
    subprocess.run(["git", "-C", str(repo), *identity, *args], check=True, capture_output=True)


def make_repo(root: Path, stacks: int) -> Path:
    repo = root / "infra"
    (repo / "environments").mkdir(parents=True)
    (repo / "environments" / "bench.yaml").write_text(ENVIRONMENT)
    (repo / "orchestrator.yaml").write_text("stacks_dir: stacks\n")
    (repo / ".gitignore").write_text(".orchestrator/\n__pycache__/\n")
    for index in range(stacks):
        project = repo / "stacks" / f"svc{index:02d}"
        project.mkdir(parents=True)
        (project / "Pulumi.yaml").write_text(f"name: svc{index:02d}\nruntime: python\n")
        (project / "__main__.py").write_text(PROGRAM.format(index=index))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{stacks} services")
    return repo


def deploy(repo: Path, concurrency: int) -> float:
    from orchestrator.config.load import load_repository
    from orchestrator.engines.local.engine import LocalEngine

    config = load_repository(repo)
    engine = LocalEngine()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda p: engine.update(config.stack_spec(p, "bench")), sorted(config.projects)))
    failed = {r.stack: r.error for r in results if not r.ok}
    if failed:
        raise SystemExit(f"deploy failed: {failed}")
    return time.perf_counter() - start


def make_unmanaged(endpoint: str, count: int) -> None:
    """`count` resources no stack owns: 40% queues, 40% parameters, 20% buckets."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    sqs: Any = session.client("sqs", endpoint_url=endpoint)
    ssm: Any = session.client("ssm", endpoint_url=endpoint)
    s3: Any = session.client("s3", endpoint_url=endpoint)
    queues, parameters = count * 2 // 5, count * 2 // 5
    buckets = count - queues - parameters

    def make(i: int) -> None:
        if i < queues:
            sqs.create_queue(QueueName=f"hand-queue-{i:04d}")
        elif i < queues + parameters:
            ssm.put_parameter(Name=f"/hand/param-{i:04d}", Value="x", Type="String")
        else:
            s3.create_bucket(Bucket=f"hand-bucket-{i:04d}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(make, range(queues + parameters + buckets)))


def time_drift(repo: Path, store: Any, concurrency: int, now: datetime, stacks: int, unmanaged: int) -> tuple[
    float, float, float
]:
    """(wall, CPU of this process and children, scan duration) of one drift run."""
    from orchestrator.flows.drift import DriftRequest, run_drift

    request = DriftRequest(repo=repo, concurrency=concurrency, now=now, formats=("json",),
                           out_dir=repo / ".orchestrator" / "reports" / f"c{concurrency}")
    cpu = _cpu()
    start = time.perf_counter()
    outcome = run_drift(request, store, None)
    wall = time.perf_counter() - start
    cpu = _cpu() - cpu
    report = outcome.report
    errors = [s.error for s in report.stacks if s.status == "error"]
    if errors or len(report.stacks) != stacks:
        raise SystemExit(f"drift checks did not all succeed ({len(report.stacks)} stacks): {errors[:3]}")
    checked = sum(s.resources_checked for s in report.stacks)
    if checked != stacks * 10:
        raise SystemExit(f"expected {stacks * 10} resources checked, got {checked}")
    found = [f for f in report.findings if f.kind == "unmanaged" and f.state in ("new", "ongoing")]
    if len(found) != unmanaged or any(f.kind == "drifted" for f in report.findings):
        raise SystemExit(f"expected exactly {unmanaged} unmanaged findings and no drift, got {len(found)}")
    (scan,) = report.scans
    return wall, cpu, scan.duration_s


def time_scan_alone(repo: Path, endpoint: str) -> tuple[float, int, int]:
    """The unmanaged scan on its own: (seconds, resources listed, unmanaged found)."""
    from orchestrator.config.load import load_repository
    from orchestrator.drift.accounts import owned_ids
    from orchestrator.drift.unmanaged import scan_unmanaged

    config = load_repository(repo)
    env = config.environment("bench")
    owned = owned_ids(config, ["bench"])
    start = time.perf_counter()
    findings, scan = scan_unmanaged("bench", env.aws, endpoint, owned, env.drift.unmanaged)
    return time.perf_counter() - start, scan.scanned, len(findings)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stacks", type=int, default=50)
    parser.add_argument("--unmanaged", type=int, default=1000)
    parser.add_argument("--deploy-concurrency", type=int, default=2)
    args = parser.parse_args()

    from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox
    from orchestrator.store import open_store

    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", "bench-passphrase")
    os.environ.pop("ORCHESTRATOR_DATABASE_URL", None)
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp, InProcessSandbox() as sandbox:
        os.environ[ENDPOINT_ENV] = sandbox.endpoint
        repo = make_repo(Path(tmp), args.stacks)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{args.stacks} stacks x 10 resources, {args.unmanaged} unmanaged resources, {os.cpu_count()} cores, "
              f"load average {load}")
        deployed = deploy(repo, args.deploy_concurrency)
        print(f"  deployed in {deployed:.1f} s (concurrency {args.deploy_concurrency})")
        start = time.perf_counter()
        make_unmanaged(sandbox.endpoint, args.unmanaged)
        print(f"  {args.unmanaged} unmanaged resources made with boto3 in {time.perf_counter() - start:.1f} s")
        store = open_store(None, repo)
        now = datetime(2100, 1, 1, tzinfo=UTC)
        one = time_drift(repo, store, 1, now, args.stacks, args.unmanaged)
        two = time_drift(repo, store, 2, now + timedelta(hours=1), args.stacks, args.unmanaged)
        store.close()
        alone, listed, unmanaged = time_scan_alone(repo, sandbox.endpoint)
    for concurrency, (wall, cpu, scan) in ((1, one), (2, two)):
        print(f"drift check at concurrency {concurrency}: {wall:.2f} s wall ({wall / args.stacks:.2f} s per stack), "
              f"{cpu:.2f} s CPU ({cpu / wall:.2f} cores busy); unmanaged scan inside it {scan:.2f} s")
    print(f"ratio concurrency 2 / concurrency 1: {two[0] / one[0]:.2f}")
    print(f"unmanaged scan alone: {alone:.2f} s, {listed} resources listed, {unmanaged} unmanaged found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

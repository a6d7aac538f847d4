"""Benchmark of policy packs on the local engine (issue 17, item 8).

A generated 200-resource program (buckets, queues, topics, SSM parameters, tables) is deployed
to the embedded AWS once; then its no-change preview is timed without policy packs and with a
generated 10-policy pack (8 resource policies, 2 stack policies), alternating, each the best of
--repeat runs, in one run of this script. Target: with the pack <= 1.5x without.

    .venv/bin/python bench/policy.py [--resources 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROGRAM = '''
import pulumi
import pulumi_aws as aws

GROUPS = {groups}
for i in range(GROUPS):
    tags = {{"Organization": "acme", "Project": "bench", "Environment": "dev", "ManagedBy": "pulumi"}}
    bucket = aws.s3.Bucket(f"bucket-{{i}}", force_destroy=True, tags=tags)
    queue = aws.sqs.Queue(f"queue-{{i}}", visibility_timeout_seconds=30, tags=tags)
    aws.sns.Topic(f"topic-{{i}}", tags=tags)
    aws.ssm.Parameter(f"param-{{i}}", type="String", value=queue.url, tags=tags)
    aws.dynamodb.Table(f"table-{{i}}", billing_mode="PAY_PER_REQUEST", hash_key="pk",
                       attributes=[{{"name": "pk", "type": "S"}}], tags=tags)
pulumi.export("groups", GROUPS)
'''

# Ten policies a team might keep, each reading the inputs (or, for the stack policies, the
# outputs) it needs; none is violated by the program, so the preview succeeds either way.
PACK = '''
from pulumi_policy import (EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy)

TAGGED = {"aws:s3/bucket:Bucket", "aws:sqs/queue:Queue", "aws:sns/topic:Topic", "aws:ssm/parameter:Parameter",
          "aws:dynamodb/table:Table"}


def of_type(type_, check):
    def validate(args, report_violation):
        if args.resource_type == type_:
            problem = check(args.props)
            if problem:
                report_violation(problem)
    return validate


def tagged(key):
    def validate(args, report_violation):
        if args.resource_type in TAGGED and key not in (args.props.get("tags") or {}):
            report_violation(f"missing tag {key}")
    return validate


def count(type_, limit):
    def validate(args, report_violation):
        if sum(1 for r in args.resources if r.resource_type == type_) > limit:
            report_violation(f"more than {limit} of {type_}")
    return validate


POLICIES = [
    ResourceValidationPolicy(name=f"tag-{key.lower()}", description=f"{key} tag", validate=tagged(key))
    for key in ("Organization", "Project", "Environment", "ManagedBy")
] + [
    ResourceValidationPolicy(name="no-public-acl", description="private buckets",
                             validate=of_type("aws:s3/bucket:Bucket",
                                              lambda p: "public" if p.get("acl") == "public-read" else None)),
    ResourceValidationPolicy(name="queue-visibility", description="sane visibility timeouts",
                             validate=of_type("aws:sqs/queue:Queue",
                                              lambda p: "too long" if (p.get("visibilityTimeoutSeconds") or 0)
                                              > 43200 else None)),
    ResourceValidationPolicy(name="table-billing", description="on-demand tables",
                             validate=of_type("aws:dynamodb/table:Table",
                                              lambda p: "provisioned" if p.get("billingMode") == "PROVISIONED"
                                              else None)),
    ResourceValidationPolicy(name="parameter-type", description="typed parameters",
                             validate=of_type("aws:ssm/parameter:Parameter",
                                              lambda p: "untyped" if not p.get("type") else None)),
    StackValidationPolicy(name="bucket-count", description="bounded buckets",
                          validate=count("aws:s3/bucket:Bucket", 1000)),
    StackValidationPolicy(name="table-count", description="bounded tables",
                          validate=count("aws:dynamodb/table:Table", 1000)),
]

PolicyPack(name="bench-pack", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
'''


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    cpu_before, started = _child_cpu(), time.perf_counter()
    result = fn()
    return time.perf_counter() - started, _child_cpu() - cpu_before, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=200, help="resources to generate (multiple of 5)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each preview (the best counts)")
    args = parser.parse_args()
    groups = max(1, args.resources // 5)

    from dataclasses import replace

    from orchestrator.engines.local.engine import LocalEngine
    from orchestrator.models import AwsSettings, PolicyPackRef, StackSpec
    from orchestrator.sandbox import InProcessSandbox

    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", "bench-passphrase")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    work = Path(tempfile.mkdtemp(prefix="bench-policy-"))
    project, pack_dir = work / "bench", work / "bench-pack"
    project.mkdir()
    pack_dir.mkdir()
    (project / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
    (project / "__main__.py").write_text(PROGRAM.format(groups=groups))
    (pack_dir / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack_dir / "__main__.py").write_text(PACK)
    print(f"program: {groups * 5} resources ({groups} each of Bucket, Queue, Topic, Parameter, Table); "
          f"pack: 10 policies (8 resource, 2 stack); {os.cpu_count()} cores")

    with InProcessSandbox() as sandbox:
        plain = StackSpec(project="bench", environment="dev", stack_name="dev", directory=project,
                          backend=f"file://{work / 'state'}", aws=AwsSettings(endpoint=sandbox.endpoint))
        guarded = replace(plain, policy_packs=(PolicyPackRef(path="bench-pack", directory=pack_dir),))
        engine = LocalEngine()
        first = _run(lambda: engine.update(plain))
        print(f"{'first update (moto)':<30} {first[0]:7.2f} s  status={first[2].status}")
        runs: dict[str, list[tuple[float, float]]] = {"without packs": [], "with a 10-policy pack": []}
        for _ in range(args.repeat):  # alternating, so both see the same machine load
            for label, spec in (("without packs", plain), ("with a 10-policy pack", guarded)):
                wall, cpu, result = _run(lambda spec=spec: engine.preview(spec))
                if result.status != "succeeded" or result.policy_violations:
                    print(f"{label}: {result.status} {result.error} {result.policy_violations[:3]}")
                    return 1
                runs[label].append((wall, cpu))
    for label, found in runs.items():
        listed = ", ".join(f"{w:.2f}" for w, _ in found)
        print(f"{'no-change preview ' + label:<42} {min(w for w, _ in found):6.2f} s  "
              f"cpu {min(c for _, c in found):5.2f} s  (best of {listed})")
    bare = min(w for w, _ in runs["without packs"])
    packed = min(w for w, _ in runs["with a 10-policy pack"])
    cpu_ratio = min(c for _, c in runs["with a 10-policy pack"]) / min(c for _, c in runs["without packs"])
    ratio = packed / bare
    passed = ratio <= 1.5
    print()
    print(f"{'with the pack / without':<38} {ratio:5.2f}x wall, {cpu_ratio:5.2f}x cpu  (target <= 1.5x)  "
          f"{'PASS' if passed else 'FAIL'}")
    print(f"(state and program in {work})")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

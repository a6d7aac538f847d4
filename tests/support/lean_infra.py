"""A lean copy of the sample infrastructure for the deploy (merge) flow's tests.

Each test module builds a real Git repository on `main` holding a lean copy of the sample
infrastructure: the sample's `lib/`, `orchestrator.yaml` and qa/uat/prod environment files,
and three small projects wired like the sample's (network <- data <- app through
`pulumi.StackReference`), each one SQS queue tagged with `lib.tags`, so a stack runs in about
a second on moto instead of the sample's six. Stacks run on the real local engine against an
`InProcessSandbox` (moto on loopback, module-scoped; child processes find it through
ORCHESTRATOR_SANDBOX_ENDPOINT), runs are recorded in the repository's SQLite store.

The network program can be slowed down from outside: with SLOW_CREATE_S set in the deploy's
environment, its `gate` dynamic resource (present when a test adds SLOW_GATE) waits in create
for that long or until the file named by GATE_RELEASE_FILE exists, which is how the lock and
kill tests hold a deploy in the middle of an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.support.gitrepo import InfraRepo
from tests.support.sample import copy_sample

BRANCH = "main"
PASSPHRASE = "deploy-test-passphrase"
TRUSTED = "platform-lead"  # listed in the sample's orchestrator.yaml trust.users

_HEADER = '''import os
import sys
import time
from pathlib import Path

import pulumi
import pulumi_aws as aws

# lib/ lives at the repository root, two levels above this project directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib import naming, tags

project = pulumi.get_project()
env = pulumi.get_stack()
config = pulumi.Config()
'''

NETWORK = _HEADER + '''
events = aws.sqs.Queue(
    naming.resource_name(project, env, "events"),
    visibility_timeout_seconds=config.get_int("visibility_timeout_seconds") or 60,
    tags=tags.standard_tags(project, env, Component="events"),
)
pulumi.export("queue_arn", events.arn)
pulumi.export("queue_url", events.url)
'''

# Appended to NETWORK by tests that need an update to take a while (see module docstring).
SLOW_GATE = '''
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class _SlowProvider(ResourceProvider):
    def create(self, props):
        # Hold the update for SLOW_CREATE_S seconds, or until the file GATE_RELEASE_FILE exists.
        deadline = time.monotonic() + float(os.environ.get("SLOW_CREATE_S", "0"))
        release = os.environ.get("GATE_RELEASE_FILE")
        while time.monotonic() < deadline and not (release and os.path.exists(release)):
            time.sleep(0.05)
        return CreateResult(id_="gate-" + props["label"], outs=props)


class Gate(Resource):
    def __init__(self, name, label):
        super().__init__(_SlowProvider(), name, {"label": label})


Gate(naming.resource_name(project, env, "gate"), label="{label}")
'''

DATA = _HEADER + '''
network = pulumi.StackReference(f"organization/network/{env}")
records = aws.sqs.Queue(
    naming.resource_name(project, env, "records"),
    tags={**tags.standard_tags(project, env, Component="records"), "Upstream": network.require_output("queue_arn")},
)
pulumi.export("records_arn", records.arn)
'''

APP = _HEADER + '''
data = pulumi.StackReference(f"organization/data/{env}")
jobs = aws.sqs.Queue(
    naming.resource_name(project, env, "jobs"),
    tags={**tags.standard_tags(project, env, Component="jobs"), "Upstream": data.require_output("records_arn")},
)
pulumi.export("jobs_arn", jobs.arn)
'''

# An independent project: no StackReference, nothing depends on it.
AUDIT = _HEADER + '''
trail = aws.sqs.Queue(naming.resource_name(project, env, "trail"), tags=tags.standard_tags(project, env))
pulumi.export("trail_arn", trail.arn)
'''

PROGRAMS = {"network": NETWORK, "data": DATA, "app": APP, "audit": AUDIT}


def add_project(repo: InfraRepo, name: str, program: str | None = None) -> None:
    """A lean project in `stacks/<name>`: its own program, or the one of that name above."""
    repo.write(f"stacks/{name}/Pulumi.yaml", f"name: {name}\nruntime: python\ndescription: {name} (test)\n")
    repo.write(f"stacks/{name}/__main__.py", program if program is not None else PROGRAMS[name])


def make_infra_repo(
    root: Path,
    *,
    environments: tuple[str, ...] = ("qa", "uat", "prod"),
    projects: tuple[str, ...] = ("network", "data", "app"),
) -> InfraRepo:
    """The lean infrastructure committed on `main` (one root commit)."""
    copy_sample(root, environments=environments, stacks="none")
    repo = InfraRepo(root)
    for project in projects:
        add_project(repo, project)
    repo.git("init", "-q", "-b", BRANCH)
    repo.commit("the infrastructure")
    return repo


def results_by_stack(outcome_json: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["stack"]: r for r in outcome_json["results"]}

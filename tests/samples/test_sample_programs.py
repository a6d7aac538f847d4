"""The sample infrastructure (stacks/, environments/, lib/) run under the real Pulumi SDK.

Each program runs in its own child process under plain SDK mocks (run_under_mocks.py), with
the stack's config merged as the engines do it (environment `config` under
`Pulumi.<stack>.yaml`). Checks: the resources registered (type and logical name), that only
types the local engine supports appear, that StackReferences read the right stacks and their
outputs reach the dependent resources, and that per-environment config takes effect.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_under_mocks.py")

SUPPORTED_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:sqs/queue:Queue",
        "aws:sns/topic:Topic",
        "aws:dynamodb/table:Table",
        "aws:iam/role:Role",
        "aws:ssm/parameter:Parameter",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:Service",
        "kubernetes:apps/v1:Deployment",
    }
)

# DESIGN.md section 3: the keys an environment file may hold (and `policy`, docs/policy.md).
ENVIRONMENT_KEYS = frozenset(
    {
        "branch",
        "order",
        "engine",
        "backend",
        "stack_name",
        "aws",
        "config",
        "projects",
        "requires",
        "protected",
        "approvals",
        "drift",
        "notify",
        "policy",
    }
)
NESTED_KEYS = {
    "aws": frozenset({"region", "endpoint", "role_arn", "profile"}),
    "drift": frozenset({"schedule", "remediate", "ignore"}),
    "notify": frozenset({"webhook_url_env"}),
    "policy": frozenset({"packs"}),
}

# Plausible outputs of the referenced stacks, as the real stacks export them.
NETWORK_OUTPUTS = {
    "queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/{env}-network-events-ab12cd3",
    "queue_arn": "arn:aws:sqs:us-east-1:123456789012:{env}-network-events-ab12cd3",
    "queue_name": "{env}-network-events-ab12cd3",
    "setting_name": "/{env}/network/events-queue-url",
}
DATA_OUTPUTS = {
    "bucket_name": "{env}-data-uploads-9f8e7d6",
    "table_name": "{env}-data-records-5a4b3c2",
    "role_arn": "arn:aws:iam::123456789012:role/{env}-data-app-role-1c2d3e4",
    "queue_url": NETWORK_OUTPUTS["queue_url"],
}

EXPECTED_RESOURCES = {
    "network": {
        ("aws:sqs/queue:Queue", "{env}-network-events"),
        ("aws:ssm/parameter:Parameter", "{env}-network-events-url"),
    },
    "data": {
        ("aws:s3/bucket:Bucket", "{env}-data-uploads"),
        ("aws:s3/bucketVersioning:BucketVersioning", "{env}-data-uploads-versioning"),
        ("aws:dynamodb/table:Table", "{env}-data-records"),
        ("aws:iam/role:Role", "{env}-data-app-role"),
    },
    "app": {
        ("kubernetes:core/v1:Namespace", "{env}-app-namespace"),
        ("kubernetes:core/v1:ConfigMap", "{env}-app-settings"),
        ("kubernetes:apps/v1:Deployment", "{env}-app-web"),
        ("kubernetes:core/v1:Service", "{env}-app-web-service"),
    },
}
EXPECTED_EXPORTS = {
    "network": ["queue_arn", "queue_name", "queue_url", "setting_name"],
    "data": ["bucket_name", "queue_url", "role_arn", "table_name"],
    "app": ["namespace", "replicas", "service_name"],
}
PROJECTS = ("network", "data", "app")
ENVIRONMENTS = ("dev", "prod")  # the two ends: defaults, and production's overrides


def _fill(template: dict[str, str], env: str) -> dict[str, str]:
    return {k: v.format(env=env) for k, v in template.items()}


def _config_value(value: Any) -> str:
    """Pulumi config values are strings; structured values are JSON (as the CLI stores them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def stack_config(project: str, env: str) -> dict[str, str]:
    """Environment `config` merged under the project's `Pulumi.<env>.yaml` (the latter wins)."""
    merged: dict[str, Any] = dict(yaml.safe_load((REPO / "environments" / f"{env}.yaml").read_text())["config"])
    stack_file = REPO / "stacks" / project / f"Pulumi.{env}.yaml"
    if stack_file.exists():
        merged.update((yaml.safe_load(stack_file.read_text()) or {}).get("config") or {})
    return {key: _config_value(value) for key, value in merged.items()}


def run_program(project: str, env: str) -> dict[str, Any]:
    references = {
        f"organization/network/{env}": _fill(NETWORK_OUTPUTS, env),
        f"organization/data/{env}": _fill(DATA_OUTPUTS, env),
    }
    completed = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            str(REPO / "stacks" / project),
            env,
            json.dumps(stack_config(project, env)),
            json.dumps(references),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"{project}/{env} failed:\n{completed.stderr}"
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[tuple[str, str], dict[str, Any]]]:
    """Every (project, env) program run once; two at a time (the machine has two cores)."""
    pairs = [(p, e) for p in PROJECTS for e in ENVIRONMENTS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda pair: run_program(*pair), pairs))
    yield dict(zip(pairs, results, strict=True))


def _resources(run: dict[str, Any], typ: str) -> list[dict[str, Any]]:
    return [r for r in run["resources"] if r["type"] == typ]


def _one(run: dict[str, Any], typ: str) -> dict[str, Any]:
    [resource] = _resources(run, typ)
    return resource


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("project", PROJECTS)
def test_registers_the_expected_resources(runs: dict[tuple[str, str], dict[str, Any]], project: str, env: str) -> None:
    run = runs[(project, env)]
    registered = {(r["type"], r["name"]) for r in run["resources"]}
    assert registered == {(t, n.format(env=env)) for t, n in EXPECTED_RESOURCES[project]}
    assert len(run["resources"]) == len(registered), "a resource was registered twice"
    assert {t for t, _ in registered} <= SUPPORTED_TYPES
    assert run["exports"] == EXPECTED_EXPORTS[project]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_stack_references_read_the_same_environment(runs: dict[tuple[str, str], dict[str, Any]], env: str) -> None:
    assert runs[("network", env)]["stack_references"] == []
    assert runs[("data", env)]["stack_references"] == [f"organization/network/{env}"]
    assert runs[("app", env)]["stack_references"] == [f"organization/data/{env}"]


def test_referenced_outputs_reach_dependent_resources(runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    role = _one(runs[("data", "dev")], "aws:iam/role:Role")
    policy = json.loads(role["inputs"]["inlinePolicies"][0]["policy"])
    resources = [res for statement in policy["Statement"] for res in statement["Resource"]]
    assert NETWORK_OUTPUTS["queue_arn"].format(env="dev") in resources
    assert "arn:aws:ssm:*:*:parameter/dev/network/events-queue-url" in resources

    settings = _one(runs[("app", "prod")], "kubernetes:core/v1:ConfigMap")["inputs"]["data"]
    expected = _fill(DATA_OUTPUTS, "prod")
    assert settings["UPLOADS_BUCKET"] == expected["bucket_name"]
    assert settings["RECORDS_TABLE"] == expected["table_name"]
    assert settings["APP_ROLE_ARN"] == expected["role_arn"]
    assert settings["EVENTS_QUEUE_URL"] == expected["queue_url"]


def test_environment_config_and_stack_files_take_effect(runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    dev_queue = _one(runs[("network", "dev")], "aws:sqs/queue:Queue")["inputs"]
    prod_queue = _one(runs[("network", "prod")], "aws:sqs/queue:Queue")["inputs"]
    assert dev_queue["messageRetentionSeconds"] == 3600  # environments/dev.yaml
    assert dev_queue["visibilityTimeoutSeconds"] == 30  # stacks/network/Pulumi.dev.yaml
    assert prod_queue["messageRetentionSeconds"] == 1209600
    assert prod_queue["visibilityTimeoutSeconds"] == 60  # the program's default

    dev_table = _one(runs[("data", "dev")], "aws:dynamodb/table:Table")["inputs"]
    prod_table = _one(runs[("data", "prod")], "aws:dynamodb/table:Table")["inputs"]
    assert dev_table["pointInTimeRecovery"] == {"enabled": False}
    assert prod_table["pointInTimeRecovery"] == {"enabled": True}
    assert _one(runs[("data", "dev")], "aws:s3/bucket:Bucket")["inputs"]["forceDestroy"] is True
    assert _one(runs[("data", "prod")], "aws:s3/bucket:Bucket")["inputs"]["forceDestroy"] is False

    dev_web = _one(runs[("app", "dev")], "kubernetes:apps/v1:Deployment")["inputs"]
    prod_web = _one(runs[("app", "prod")], "kubernetes:apps/v1:Deployment")["inputs"]
    assert dev_web["spec"]["replicas"] == 1
    assert prod_web["spec"]["replicas"] == 3
    assert prod_web["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.27.3")


@pytest.mark.parametrize("project", PROJECTS)
def test_aws_resources_carry_the_standard_tags(runs: dict[tuple[str, str], dict[str, Any]], project: str) -> None:
    for resource in runs[(project, "prod")]["resources"]:
        if resource["type"].startswith("aws:") and resource["type"] != "aws:s3/bucketVersioning:BucketVersioning":
            tags = resource["inputs"]["tags"]
            assert tags["Project"] == project
            assert tags["Environment"] == "prod"
            assert tags["ManagedBy"] == "pulumi"
        if resource["type"].startswith("kubernetes:"):
            labels = resource["inputs"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/part-of"] == project


def test_stack_references_are_visible_to_the_dependency_scan() -> None:
    """The planner finds dependencies from StackReference strings whose project part is literal."""
    pattern = re.compile(r"StackReference\(\s*f?[\"']organization/([A-Za-z0-9_.-]+)/")
    found = {
        project: set(pattern.findall((REPO / "stacks" / project / "__main__.py").read_text())) for project in PROJECTS
    }
    assert found == {"network": set(), "data": {"network"}, "app": {"data"}}


@pytest.mark.parametrize("env", ["dev", "qa", "uat", "prod"])
def test_environment_files_use_only_documented_keys(env: str) -> None:
    document = yaml.safe_load((REPO / "environments" / f"{env}.yaml").read_text())
    assert set(document) <= ENVIRONMENT_KEYS
    for key, allowed in NESTED_KEYS.items():
        assert set(document.get(key) or {}) <= allowed, key
    assert document["engine"] == "local"
    assert document["backend"] == "file://.orchestrator/state"
    assert document["aws"] == {"region": "us-east-1", "endpoint": "sandbox"}


def test_environments_form_the_promotion_chain() -> None:
    docs = {e: yaml.safe_load((REPO / "environments" / f"{e}.yaml").read_text()) for e in ("dev", "qa", "uat", "prod")}
    assert docs["dev"]["branch"] == "develop"
    assert [docs[e]["branch"] for e in ("qa", "uat", "prod")] == ["main"] * 3
    assert [docs[e]["order"] for e in ("dev", "qa", "uat", "prod")] == [1, 2, 3, 4]
    assert docs["uat"]["requires"] == ["qa"]
    assert docs["prod"]["requires"] == ["uat"]
    assert docs["prod"]["protected"] is True and docs["prod"]["approvals"] == 1


def test_naming_helpers() -> None:
    sys.path.insert(0, str(REPO))
    try:
        from lib import naming, tags
    finally:
        sys.path.remove(str(REPO))
    assert naming.resource_name("Network", "dev", "events_queue") == "dev-network-events-queue"
    assert naming.parameter_path("prod", "network", "events-queue-url") == "/prod/network/events-queue-url"
    assert naming.namespace("app", "uat") == "app-uat"
    with pytest.raises(ValueError, match="longer than 55"):
        naming.resource_name("p" * 30, "dev", "c" * 30)
    with pytest.raises(ValueError, match="no letters or digits"):
        naming.resource_name("net", "dev", "--")
    assert tags.standard_tags("data", "qa", Component="x")["Stack"] == "data/qa"

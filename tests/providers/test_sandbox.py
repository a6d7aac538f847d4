"""The embedded AWS: a background moto process with pid and port files, and endpoint resolution."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator import sandbox
from orchestrator.cli.sandbox import sandbox as sandbox_group
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError
from orchestrator.errors import UserError
from orchestrator.models import AwsSettings
from tests.support.providers import provider


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    sandbox.stop(tmp_path)  # never leave a server behind, even when a test fails


def test_resolve_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(sandbox.ENDPOINT_ENV, raising=False)
    assert sandbox.resolve_endpoint(AwsSettings(endpoint=None), tmp_path) is None
    assert sandbox.resolve_endpoint(AwsSettings(endpoint="http://localhost:4566"), None) == "http://localhost:4566"
    with pytest.raises(UserError) as caught:
        sandbox.resolve_endpoint(AwsSettings(endpoint="sandbox"), tmp_path)
    assert caught.value.message == (
        "the embedded AWS sandbox is not running; start it with `orchestrator sandbox start`"
    )
    monkeypatch.setenv(sandbox.ENDPOINT_ENV, "http://127.0.0.1:1234")
    assert sandbox.resolve_endpoint(AwsSettings(endpoint="sandbox"), None) == "http://127.0.0.1:1234"


def test_background_sandbox_start_status_stop(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sandbox.ENDPOINT_ENV, raising=False)
    assert sandbox.status(repo) == sandbox.SandboxStatus(running=False, endpoint=None, pid=None)

    started = sandbox.start_background(repo)
    assert started.running and started.pid is not None and started.pid != os.getpid()
    assert started.endpoint is not None and started.endpoint.startswith("http://127.0.0.1:")
    assert (repo / ".orchestrator" / "sandbox.pid").read_text().strip() == str(started.pid)
    assert sandbox.start_background(repo) == started, "starting twice reuses the running sandbox"
    assert sandbox.resolve_endpoint(AwsSettings(endpoint="sandbox"), repo) == started.endpoint

    # It outlives this call and serves AWS: a provider creates a bucket there.
    ctx = ProviderContext("p", "dev", AwsSettings(endpoint=started.endpoint), repo / "m")
    bucket = provider("aws:s3/bucket:Bucket", ctx)
    id_, outputs = bucket.create("urn", bucket.check("urn", "bg", None, {}))
    assert bucket.read("urn", id_, {"bucket": id_}, outputs) is not None
    # The long-lived sandbox knows AWS-managed policies, which programs attach to roles.
    role = provider("aws:iam/role:Role", ctx)
    managed = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    role_inputs = role.check("urn", "r", None, {"assumeRolePolicy": "{}", "managedPolicyArns": managed})
    assert role.create("urn", role_inputs)[1]["managedPolicyArns"] == managed

    stopped = sandbox.stop(repo)
    assert stopped == sandbox.SandboxStatus(running=False, endpoint=None, pid=None)
    assert sandbox.status(repo).running is False
    assert not (repo / ".orchestrator" / "sandbox.pid").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(started.pid, 0)

    # The endpoint is down now: the provider says so plainly.
    with pytest.raises(ProviderError, match=r"the AWS endpoint http://127\.0\.0\.1:\d+ cannot be reached"):
        bucket.read("urn", id_, {"bucket": id_}, outputs)


def test_stale_pid_file_means_not_running(repo: Path) -> None:
    runtime = repo / ".orchestrator"
    runtime.mkdir()
    # A pid that exists but is not a sandbox (this test process), and one that has exited.
    (runtime / "sandbox.port").write_text("1\n")
    (runtime / "sandbox.pid").write_text(f"{os.getpid()}\n")
    assert sandbox.status(repo).running is False
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (runtime / "sandbox.pid").write_text(finished.stdout)
    assert sandbox.status(repo).running is False


def test_cli_status_json(repo: Path) -> None:
    result = CliRunner().invoke(sandbox_group, ["status", "--repo", str(repo), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"running": False, "endpoint": None, "pid": None}
    result = CliRunner().invoke(sandbox_group, ["start", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sandbox running at http://127.0.0.1:")
    shown = json.loads(CliRunner().invoke(sandbox_group, ["status", "--repo", str(repo), "--json"]).output)
    assert shown["running"] is True and shown["endpoint"].startswith("http://127.0.0.1:")
    result = CliRunner().invoke(sandbox_group, ["stop", "--repo", str(repo)])
    assert result.exit_code == 0 and result.output.strip() == "sandbox stopped"


def test_unreachable_endpoint_is_a_provider_error() -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctx = ProviderContext("p", "dev", AwsSettings(endpoint=f"http://127.0.0.1:{port}"), Path("/nonexistent"))
    with pytest.raises(ProviderError, match=r"cannot be reached.*orchestrator sandbox status"):
        provider("aws:s3/bucket:Bucket", ctx).create("urn", {"bucket": "never-made"})


def test_cli_finds_the_repository_top_from_a_subdirectory(repo: Path) -> None:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "stacks" / "app").mkdir(parents=True)
    result = CliRunner().invoke(sandbox_group, ["start", "--json", "--repo", str(repo / "stacks" / "app")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["running"] is True
    assert (repo / ".orchestrator" / "sandbox.pid").exists()
    assert sandbox.status(repo).running


def test_a_swagger_2_body_is_imported_as_aws_does(tmp_path: Path) -> None:
    """AWS imports Swagger 2.0 as well as OpenAPI 3 (moto alone refuses 2.0): a RestApi whose
    body is Swagger 2.0 gets its paths, methods and Lambda integration."""
    swagger = {
        "swagger": "2.0",
        "info": {"title": "hooks", "version": "1.0"},
        "paths": {"/events/{proxy+}": {"x-amazon-apigateway-any-method": {
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy", "httpMethod": "POST",
                "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                       "arn:aws:lambda:us-east-1:123456789012:function:hook/invocations"}}}},
    }
    with sandbox.InProcessSandbox() as running:
        ctx = ProviderContext(project="proj", stack="dev", manifests_dir=tmp_path,
                              aws=AwsSettings(region="us-east-1", endpoint=running.endpoint))
        api = provider("aws:apigateway/restApi:RestApi", ctx)
        inputs = api.check("urn", "hooks", None, {"body": json.dumps(swagger)})
        id_, outputs = api.create("urn", inputs)
        import boto3

        client = boto3.client("apigateway", region_name="us-east-1", endpoint_url=running.endpoint,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        paths = {r["path"]: r for r in client.get_resources(restApiId=id_)["items"]}
        assert set(paths) == {"/", "/events", "/events/{proxy+}"}
        assert "ANY" in paths["/events/{proxy+}"]["resourceMethods"]
        integration = client.get_integration(restApiId=id_, resourceId=paths["/events/{proxy+}"]["id"],
                                             httpMethod="ANY")
        assert integration["uri"].endswith("function:hook/invocations")
        api.delete("urn", id_, inputs, outputs)

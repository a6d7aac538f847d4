"""Pure parts: URNs, the checkpoint format, locks, diffs and ignoreChanges."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import SECRET, UNKNOWN, PropertyDiff
from orchestrator.engines.local.checkpoint import ordered, snapshot_from_json, snapshot_to_json
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.engines.local.locks import LocalStateLocked, StackLock
from orchestrator.engines.local.props import SECRET_SIG, SIG_KEY, UNKNOWN_MARKER
from orchestrator.engines.local.state import ResourceState, SecretsManager, Snapshot, backend_dir
from orchestrator.engines.local.steps import apply_ignore_changes, display_diffs, property_diffs
from orchestrator.engines.local.urn import default_provider_urn, parse_urn, resource_urn, stack_urn
from orchestrator.errors import UserError
from tests.engine.programs import write_project
from tests.support.engine_stack import PASSPHRASE, Stack
from tests.support.fixtures import PULUMI

FIXTURES = PULUMI / "checkpoint"


def _deployment(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    latest: dict[str, Any] = data.get("deployment") or data["checkpoint"]["latest"]
    return latest


def _expected_urn(res: dict[str, Any]) -> str:
    urn = parse_urn(res["urn"])
    if res["type"] == "pulumi:pulumi:Stack":
        return stack_urn(urn.stack, urn.project)
    return resource_urn(urn.stack, urn.project, res.get("parent"), res["type"], urn.name)


@pytest.mark.parametrize("name", ["stack_export_v3.218.json", "stack_export_show_secrets_v3.218.json"])
def test_urns_match_a_real_cli_export(name: str) -> None:
    resources = _deployment(FIXTURES / name)["resources"]
    assert resources
    for res in resources:
        assert _expected_urn(res) == res["urn"]
    providers = [r["urn"] for r in resources if r["type"] == "pulumi:providers:aws"]
    stack = parse_urn(providers[0]).stack
    project = parse_urn(providers[0]).project
    assert default_provider_urn(stack, project, "aws", "6.83.2") in providers


def test_urns_of_top_level_resources_in_old_checkpoints() -> None:
    # These DIY fixtures predate parent types in URNs; their top-level URNs still follow the rule.
    for name in ("diy_checkpoint_v3.json", "diy_checkpoint_v4_features.json"):
        top = [r for r in _deployment(FIXTURES / name)["resources"] if not r.get("parent")]
        assert top and all(_expected_urn(r) == r["urn"] for r in top)


def test_nested_urns_from_a_real_program(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    write_project(st.directory, "t", NESTED_PROGRAM)
    result = LocalEngine().preview(st.spec({"t:store": str(st.store)}))
    assert result.ok, result.error
    urns = {c.name: c.urn for c in result.changes}
    assert urns["outer"] == "urn:pulumi:dev::t::acme:index:Outer::outer"
    assert urns["inner"] == "urn:pulumi:dev::t::acme:index:Outer$acme:index:Inner::inner"
    assert urns["leaf"] == "urn:pulumi:dev::t::acme:index:Outer$acme:index:Inner$pulumi-python:dynamic:Resource::leaf"


NESTED_PROGRAM = '''
import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

class P(ResourceProvider):
    def create(self, props):
        return CreateResult("x", props)

class Leaf(Resource):
    def __init__(self, name, opts=None):
        super().__init__(P(), name, {"a": 1}, opts)

class Inner(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("acme:index:Inner", name, None, opts)
        Leaf("leaf", pulumi.ResourceOptions(parent=self))

class Outer(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:index:Outer", name)
        Inner("inner", pulumi.ResourceOptions(parent=self))

Outer("outer")
'''


def _secrets() -> SecretsManager:
    return SecretsManager(salt=None, passphrase=PASSPHRASE, stack_label="p/s")


def test_checkpoint_round_trip_of_a_real_export() -> None:
    data = json.loads((FIXTURES / "stack_export_show_secrets_v3.218.json").read_text())
    as_checkpoint = {"version": 3, "checkpoint": {"stack": "x", "latest": data["deployment"]}}
    secrets = _secrets()
    snapshot = snapshot_from_json(as_checkpoint, secrets, source="fixture")
    secret_inputs = {r.urn: r.secret_inputs for r in snapshot.resources if r.secret_inputs}
    assert secret_inputs, "plaintext secret envelopes are recognised"
    written = snapshot_to_json(snapshot, stack_name="organization/p/s", secrets=secrets)
    assert written["version"] == 3
    latest = written["checkpoint"]["latest"]
    assert set(latest) >= {"manifest", "secrets_providers", "resources"}
    assert latest["secrets_providers"]["type"] == "passphrase"
    assert latest["secrets_providers"]["state"]["salt"].startswith("v1:")
    assert [r["urn"] for r in latest["resources"]] == [r.urn for r in snapshot.resources]
    for raw in latest["resources"]:
        for key in secret_inputs.get(raw["urn"], ()):
            envelope = raw["inputs"][key]
            assert envelope[SIG_KEY] == SECRET_SIG and envelope["ciphertext"].startswith("v1:")
    again = snapshot_from_json(written, secrets, source="written")
    assert [(r.urn, r.inputs, r.outputs) for r in again.resources] == [
        (r.urn, r.inputs, r.outputs) for r in snapshot.resources
    ]
    # The keys we write are ones Pulumi's own checkpoints use.
    fixture_keys = {k for r in data["deployment"]["resources"] for k in r} | {
        k for r in _deployment(FIXTURES / "diy_checkpoint_v4_features.json")["resources"] for k in r}
    assert {k for r in latest["resources"] for k in r} <= fixture_keys | {"external", "delete"}


def test_order_puts_dependencies_first() -> None:
    a = ResourceState(urn="urn:pulumi:s::p::t:m:T::a", type="t:m:T", custom=True)
    b = ResourceState(urn="urn:pulumi:s::p::t:m:T::b", type="t:m:T", custom=True, dependencies=(a.urn,))
    c = ResourceState(urn="urn:pulumi:s::p::t:m:T::c", type="t:m:T", custom=True, parent=b.urn)
    assert [r.urn for r in ordered([c, b, a])] == [a.urn, b.urn, c.urn]


def test_secrets_manager_needs_a_passphrase() -> None:
    manager = SecretsManager(salt=None, passphrase=None, stack_label="p/dev")
    with pytest.raises(UserError, match="PULUMI_CONFIG_PASSPHRASE"):
        manager.encrypt_json("x")


def test_only_file_backends() -> None:
    assert backend_dir("file:///tmp/state") == Path("/tmp/state")
    with pytest.raises(UserError, match="file:// backends only"):
        backend_dir("s3://bucket/state")
    with pytest.raises(UserError, match="file:// backends only"):
        backend_dir("https://api.pulumi.com")


def test_lock_held_and_stale(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "p" / "dev.lock.json"
    with StackLock(path, operation="update"):
        with pytest.raises(LocalStateLocked) as raised:
            StackLock(path).acquire()
        assert raised.value.holder.pid == os.getpid()
        assert raised.value.holder.host == socket.gethostname()
    assert not path.exists()

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    path.write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(),
                                "started": "2020-01-01T00:00:00Z"}))
    lock = StackLock(path)
    lock.acquire()
    assert lock.took_over is not None and lock.took_over.pid == int(dead.stdout)
    lock.release()

    path.write_text(json.dumps({"pid": 1, "host": "another-host", "started": "2020-01-01T00:00:00Z"}))
    with pytest.raises(LocalStateLocked, match="another-host"):
        StackLock(path).acquire()


def test_ignore_changes_paths() -> None:
    old = {"tags": {"a": "1", "b": "2"}, "size": 1, "list": [1, 2]}
    new = {"tags": {"a": "9", "b": "3"}, "size": 2, "list": [1, 5]}
    assert apply_ignore_changes(old, new, ['tags["a"]']) == {"tags": {"a": "1", "b": "3"}, "size": 2, "list": [1, 5]}
    assert apply_ignore_changes(old, new, ["size", "list[1]"]) == {
        "tags": {"a": "9", "b": "3"}, "size": 1, "list": [1, 2]}
    assert apply_ignore_changes(old, new, ["*"]) == old
    assert apply_ignore_changes({}, {"x": 1}, ["x"]) == {}


def test_property_diffs_and_display() -> None:
    diffs = property_diffs({"tags": {"a": "1"}, "gone": 1, "pw": "old-secret"},
                           {"tags": {"a": "2", "b": "x"}, "pw": "new-secret", "arn": UNKNOWN_MARKER})
    assert diffs == (
        PropertyDiff("tags.a", "update", "1", "2"),
        PropertyDiff("tags.b", "add", None, "x"),
        PropertyDiff("gone", "delete", 1, None),
        PropertyDiff("pw", "update", "old-secret", "new-secret"),
        PropertyDiff("arn", "add", None, UNKNOWN_MARKER),
    )
    shown = display_diffs(diffs, {"pw"})
    assert shown[3] == PropertyDiff("pw", "update", SECRET, SECRET)
    assert shown[4].new == UNKNOWN


def test_stack_outputs_come_back_redacted(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    secrets = _secrets()
    stack = ResourceState(urn=stack_urn("dev", "t"), type="pulumi:pulumi:Stack", custom=False,
                          outputs={"plain": 1, "pw": "hidden-value"}, secret_outputs=frozenset({"pw"}))
    st.state_file.parent.mkdir(parents=True)
    st.state_file.write_text(json.dumps(snapshot_to_json(Snapshot(resources=(stack,)), stack_name="x",
                                                         secrets=secrets)))
    assert LocalEngine().outputs(st.spec({})) == {"plain": 1, "pw": SECRET}

"""Contract tests: real Pulumi engine event logs (tests/fixtures/pulumi/events/), parsed by the
SDK's own `EngineEvent.from_json` as the Automation API does, normalized into results."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.automation.events import EngineEvent

from orchestrator.engines.base import SECRET, UNKNOWN, OpCounts, PropertyDiff
from orchestrator.engines.pulumi_diffs import clean_value, parse_property_path, structural_diff
from orchestrator.engines.pulumi_events import EventCollector, NormalizedEvents, normalize_events
from tests.support.fixtures import PULUMI

EVENTS = PULUMI / "events"
PREVIEW_JSON = PULUMI / "preview-json"


def _events(name: str) -> list[EngineEvent]:
    lines = (EVENTS / f"{name}.eventlog.jsonl").read_text().splitlines()
    return [EngineEvent.from_json(json.loads(line)) for line in lines if line.strip()]


def _normalized(name: str, *, refresh: bool = False) -> NormalizedEvents:
    return normalize_events(_events(name), refresh=refresh)


def test_aws_webserver_replace_is_one_replace_of_the_instance_with_the_user_data_diff() -> None:
    result = _normalized("aws_webserver_replace")

    assert result.counts == OpCounts(replace=1, same=2)
    assert result.summary_seen
    [change] = result.changes  # create-replacement / delete-replaced are halves of the one replace
    assert change.op == "replace"
    assert change.type == "aws:ec2/instance:Instance"
    assert change.name == "web-server-www"
    assert change.urn == "urn:pulumi:dev::aws-ts-webserver::aws:ec2/instance:Instance::web-server-www"
    [diff] = change.diffs
    assert diff.path == "userData"
    assert diff.kind == "update"  # from diffKind "update-replace"
    assert 'echo "Hello, World!"' in diff.old
    assert 'echo "Hello, Pulumi!"' in diff.new
    assert result.diagnostics == ()


def test_replace_with_an_alias_reports_the_logical_step_and_the_input_values() -> None:
    result = _normalized("replace_keys_detailedDiff")

    assert result.counts == OpCounts(replace=1)
    [change] = result.changes
    assert (change.op, change.name, change.type) == ("replace", "n5", "pkgA:index:t7")
    # inputDiff=true: old inputs against new inputs
    assert change.diffs == (PropertyDiff("forcesReplacement", "update", 1000, 999),)


def test_refresh_preview_reports_the_drifted_resource_with_the_result_op_of_the_outputs_event() -> None:
    result = _normalized("refresh_preview_drift", refresh=True)

    assert result.counts == OpCounts(update=1)
    [change] = result.changes
    assert change.op == "update"  # the pre-event said "refresh"; the outputs event says "update"
    assert change.urn == "urn:pulumi:test::test::pkgA:m:typA::resB"
    # no detailedDiff (legacy diff): computed from the recorded against the live outputs
    assert change.diffs == (PropertyDiff("foo", "add", None, "bar"),)


def test_refresh_pre_event_alone_is_not_drift() -> None:
    events = [e for e in _events("refresh_preview_drift") if e.res_outputs_event is None]
    result = normalize_events(events, refresh=True)
    assert result.changes == ()


def test_error_diagnostic_keeps_severity_message_and_urn_without_colour_tags() -> None:
    result = _normalized("diagnostic_error")

    [diag] = result.diagnostics
    assert diag.severity == "error"
    assert diag.message == "oh no, check had an error"
    assert diag.urn == "urn:pulumi:test::test::pkgA:m:typA::resA"
    assert result.changes == ()
    assert result.counts == OpCounts()


def test_policy_violation_is_reported_with_pack_policy_and_enforcement() -> None:
    result = _normalized("policy_violation")

    [violation] = result.policy_violations
    assert violation.policy_pack == "analyzerA"
    assert violation.policy == "always-fails"
    assert violation.enforcement == "mandatory"
    assert violation.message == "a policy failed"
    assert violation.urn == "urn:pulumi:test::test::pkgA:m:typA::resA"


def test_failed_resource_operation_is_an_error_diagnostic_and_the_attempted_change() -> None:
    result = _normalized("resOpFailed")

    assert result.failed_urns == ("urn:pulumi:dev::test::pulumi-python:dynamic:Resource::test-x",)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert [d.urn for d in errors] == ["urn:pulumi:dev::test::pulumi-python:dynamic:Resource::test-x"]
    assert "update of test-x" in errors[0].message
    assert any("maybeCorrupt" in d.message for d in result.diagnostics if d.severity == "warning")
    [change] = result.changes
    assert change.op == "update"
    # no detailedDiff: computed from the inputs, the pickled dynamic provider (`__provider`) left out
    assert change.diffs == (PropertyDiff("quux", "update", "quux12", "quux13"),)
    assert result.counts == OpCounts(same=1)  # the summary's count, not ours


def test_every_fixture_parses_and_normalizes() -> None:
    for path in sorted(EVENTS.glob("*.eventlog.jsonl")):
        name = path.name.removesuffix(".eventlog.jsonl")
        result = _normalized(name, refresh="refresh" in name)
        assert result.summary_seen, name


def _metadata_event(kind: str, metadata: dict[str, Any]) -> EngineEvent:
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, kind: {"metadata": metadata}})


def _state(urn: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": "aws:ec2/securityGroup:SecurityGroup", "urn": urn, "id": "sg-1", "parent": "",
            "provider": "", "inputs": inputs, "outputs": outputs}


def test_nested_paths_secrets_and_unknowns_from_detailed_diff() -> None:
    urn = "urn:pulumi:dev::net::aws:ec2/securityGroup:SecurityGroup::web"
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": '"hunter2"'}
    old = _state(urn, {}, {"tags": {"env": "dev", "kubernetes.io/role": "a"},
                           "ingress": [{"cidr": "10.0.0.0/8"}], "password": secret, "name": "web", "desc": "x"})
    new = _state(urn, {"tags": {"env": "prod", "kubernetes.io/role": "b"},
                       "ingress": [{"cidr": "0.0.0.0/0"}], "password": secret,
                       "name": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "extra": True}, {})
    metadata = {
        "op": "update", "urn": urn, "type": "aws:ec2/securityGroup:SecurityGroup", "provider": "",
        "old": old, "new": new,
        "detailedDiff": {
            "tags.env": {"diffKind": "update"},
            'tags["kubernetes.io/role"]': {"diffKind": "update"},
            "ingress[0].cidr": {"diffKind": "update-replace"},
            "password": {"diffKind": "update"},
            "name": {"diffKind": "update"},
            "extra": {"diffKind": "add"},
            "desc": {"diffKind": "delete"},
        },
    }
    result = normalize_events([_metadata_event("resourcePreEvent", metadata)])
    diffs = {d.path: d for d in result.changes[0].diffs}
    assert diffs["tags.env"] == PropertyDiff("tags.env", "update", "dev", "prod")
    assert diffs['tags["kubernetes.io/role"]'].old == "a"
    assert diffs["ingress[0].cidr"] == PropertyDiff("ingress[0].cidr", "update", "10.0.0.0/8", "0.0.0.0/0")
    assert diffs["password"] == PropertyDiff("password", "update", SECRET, SECRET)
    assert diffs["name"].new == UNKNOWN
    assert diffs["extra"] == PropertyDiff("extra", "add", None, True)
    assert diffs["desc"] == PropertyDiff("desc", "delete", "x", None)
    assert "hunter2" not in json.dumps([d.to_json() for d in result.changes[0].diffs])


def test_outputs_event_supersedes_pre_event_and_forward_sees_every_event() -> None:
    seen: list[EngineEvent] = []
    collector = EventCollector(refresh=True, forward=seen.append)
    for event in _events("refresh_preview_drift"):
        collector(event)
    assert len(seen) == collector.events_seen == 5
    assert [c.op for c in collector.result().changes] == ["update"]


def test_property_paths() -> None:
    assert parse_property_path("tags.env") == ("tags", "env")
    assert parse_property_path("ingress[0].cidrBlocks[1]") == ("ingress", 0, "cidrBlocks", 1)
    assert parse_property_path('tags["a.b"].c') == ("tags", "a.b", "c")
    assert parse_property_path('["x y"]') == ("x y",)


def test_structural_diff_paths_and_secret_masking() -> None:
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "zzz"}
    diffs = structural_diff(
        {"tags": {"a": "1", "b c": "2"}, "list": [1, 2], "s": secret, "__defaults": ["x"]},
        {"tags": {"a": "9", "b c": "2"}, "list": [1, 3], "s": "plain-now", "__defaults": []},
    )
    assert diffs == [
        PropertyDiff("list[1]", "update", 2, 3),
        PropertyDiff("s", "update", SECRET, "plain-now"),
        PropertyDiff("tags.a", "update", "1", "9"),
    ]
    assert clean_value({"k": [secret]}) == {"k": [SECRET]}


def _preview_json_events(name: str) -> tuple[dict[str, Any], list[EngineEvent]]:
    """`pulumi preview --json` steps as engine events (same step metadata, other key names)."""
    digest = json.loads((PREVIEW_JSON / f"{name}.json").read_text())
    events = []
    for step in digest["steps"]:
        state = step.get("newState") or step.get("oldState") or {}
        detailed = step.get("detailedDiff") or {}
        metadata = {
            "op": step["op"],
            "urn": step["urn"],
            "type": state.get("type", ""),
            "provider": step.get("provider", ""),
            "old": step.get("oldState"),
            "new": step.get("newState"),
            "diffs": step.get("diffReasons"),
            "detailedDiff": {p: {"diffKind": d["kind"], "inputDiff": d["inputDiff"]} for p, d in detailed.items()},
        }
        events.append(_metadata_event("resourcePreEvent", metadata))
    return digest, events


@pytest.mark.parametrize("name", ["preview_json_update_replace", "preview_json_secrets"])
def test_preview_json_steps_match_the_change_summary(name: str) -> None:
    digest, events = _preview_json_events(name)
    result = normalize_events(events)
    summary = digest["changeSummary"]
    for op in ("create", "update", "replace", "delete"):
        assert sum(1 for c in result.changes if c.op == op) == summary.get(op, 0), op


def test_preview_json_tag_and_list_diffs_take_old_outputs_and_new_inputs() -> None:
    _, events = _preview_json_events("preview_json_update_replace")
    changes = {c.name: c for c in normalize_events(events).changes}
    bucket = {d.path: d for d in changes["test-bucket"].diffs}
    assert bucket["tags.Environment"] == PropertyDiff("tags.Environment", "update", "staging", "production")
    assert bucket["tags.CostCenter"] == PropertyDiff("tags.CostCenter", "add", None, "cc-100")
    assert bucket["tags.Team"] == PropertyDiff("tags.Team", "delete", "platform", None)
    sg = {d.path: d for d in changes["test-sg"].diffs}
    assert changes["test-sg"].op == "replace"
    assert sg["ingress[0]"].kind == "add" and isinstance(sg["ingress[0]"].new, dict)
    assert sg["ingress[1]"].kind == "delete" and sg["ingress[1]"].new is None


def test_preview_json_secret_values_stay_secret() -> None:
    _, events = _preview_json_events("preview_json_secrets")
    changes = {c.name: c for c in normalize_events(events).changes}
    value = {d.path: d for d in changes["db-password"].diffs}["value"]
    assert value.old == SECRET and value.new == SECRET

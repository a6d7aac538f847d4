"""Findings from engine results, ignore rules and states across runs: plain data, no cloud."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.drift.findings import (
    Acknowledgement,
    IgnoreRule,
    Scope,
    assign_states,
    changed,
    parse_ignore_rules,
    stack_findings,
    with_active_counts,
)
from orchestrator.drift.model import Finding
from orchestrator.engines.base import Diagnostic, OpCounts, PropertyDiff, ResourceChange, StackResult
from orchestrator.errors import UserError

BUCKET = "aws:s3/bucket:Bucket"
QUEUE = "aws:sqs/queue:Queue"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def urn(type_: str, name: str, project: str = "data", stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def result(*changes: ResourceChange, same: int = 0, status: str = "succeeded",
           diagnostics: tuple[Diagnostic, ...] = (), error: str | None = None) -> StackResult:
    counts = OpCounts(update=sum(c.op == "update" for c in changes), delete=sum(c.op == "delete" for c in changes),
                      same=same)
    return StackResult(stack="data/dev", operation="drift", status=status,  # type: ignore[arg-type]
                       counts=counts, changes=changes, diagnostics=diagnostics, error=error)


def test_ignore_rule_splits_at_the_last_colon() -> None:
    rule = IgnoreRule.parse("aws:s3/bucket:Bucket:tagsAll.LastScanned")
    assert (rule.type_glob, rule.path_glob) == (BUCKET, "tagsAll.LastScanned")
    assert rule.matches_property(BUCKET, "tagsAll.LastScanned")
    assert not rule.matches_property(BUCKET, "tags.LastScanned")
    assert not rule.matches_property(QUEUE, "tagsAll.LastScanned")
    assert IgnoreRule.parse("aws:*/*:*:tags*.LastScanned").matches_property(BUCKET, "tags.LastScanned")
    assert not rule.matches_resource(BUCKET)
    assert IgnoreRule.parse("aws:sqs/queue:Queue:*").matches_resource(QUEUE)


@pytest.mark.parametrize("text", ["no-colon", ":path", "type:", "aws:s3/bucket:Bucket:tags[x"])
def test_bad_ignore_rule_names_the_rule(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_ignore_rules([text], source="environments/dev.yaml: drift.ignore")
    assert text in caught.value.message and "environments/dev.yaml" in caught.value.message


def test_stack_findings_kinds_and_ignored_counts() -> None:
    bucket = ResourceChange(urn(BUCKET, "uploads"), BUCKET, "uploads", "update", (
        PropertyDiff("tags.Owner", "update", "team-a", "someone"),
        PropertyDiff("tagsAll.Owner", "update", "team-a", "someone"),
        PropertyDiff("tagsAll.LastScanned", "add", None, "2025-03-01"),
    ))
    noisy = ResourceChange(urn(BUCKET, "logs"), BUCKET, "logs", "update",
                           (PropertyDiff("tagsAll.LastScanned", "add", None, "x"),))
    gone = ResourceChange(urn(QUEUE, "jobs"), QUEUE, "jobs", "delete")
    rules = parse_ignore_rules(["aws:s3/bucket:Bucket:tagsAll.LastScanned"])
    found = stack_findings(result(bucket, noisy, gone, same=4), project="data", environment="dev", rules=rules)

    by_name = {f.name: f for f in found.findings}
    assert set(by_name) == {"uploads", "jobs"}, "a resource whose every diff is ignored is no finding"
    assert by_name["uploads"].kind == "drifted"
    assert [d.path for d in by_name["uploads"].diffs] == ["tags.Owner", "tagsAll.Owner"]
    assert by_name["jobs"].kind == "deleted" and by_name["jobs"].diffs == ()
    assert by_name["uploads"].key == f"dev:drifted:{urn(BUCKET, 'uploads')}"
    assert found.ignored == 2
    assert found.complete and found.unreadable == frozenset()
    assert found.drift.status == "drifted" and found.drift.resources_checked == 7 and found.drift.ignored == 2


def test_failed_reads_are_errors_not_drift() -> None:
    bad = urn(QUEUE, "events", project="network")
    diag = Diagnostic("error", "aws:sqs/queue:Queue events: cannot read: 500 InternalError", bad)
    found = stack_findings(result(same=2, status="failed", diagnostics=(diag,), error=diag.message),
                           project="network", environment="dev")
    assert [(f.kind, f.urn) for f in found.findings] == [("error", bad)]
    assert found.findings[0].message and "cannot read" in found.findings[0].message
    assert found.findings[0].type == QUEUE and found.findings[0].name == "events"
    assert found.unreadable == {bad} and found.complete, "the other resources were compared"
    assert found.drift.status == "error"


def test_a_stack_that_fails_as_a_whole_is_one_error_and_compares_nothing() -> None:
    found = stack_findings(result(status="locked", error="stack data/dev is locked"), project="data",
                           environment="dev")
    assert [(f.kind, f.key, f.message) for f in found.findings] == [
        ("error", "dev:error:stack:data/dev", "stack data/dev is locked")
    ]
    assert not found.complete


def drifted(name: str, *, stack: str = "data/dev", env: str = "dev") -> Finding:
    u = urn(BUCKET, name)
    return Finding(key=f"{env}:drifted:{u}", environment=env, kind="drifted", type=BUCKET, name=name, stack=stack,
                   urn=u, diffs=(PropertyDiff("tags.A", "update", "1", "2"),))


SCOPE = Scope(compared_stacks=frozenset({"data/dev"}), attempted_stacks=frozenset({"data/dev"}))


def test_states_new_ongoing_resolved() -> None:
    a, b = drifted("a"), drifted("b")
    first = assign_states([a, b], {}, {}, scope=SCOPE, now=T0)
    assert [(f.name, f.state, f.first_seen) for f in first] == [("a", "new", T0), ("b", "new", T0)]

    t1 = T0 + timedelta(hours=6)
    second = assign_states([a], {f.key: f for f in first}, {}, scope=SCOPE, now=t1)
    assert [(f.name, f.state, f.first_seen, f.last_seen) for f in second] == [
        ("a", "ongoing", T0, t1), ("b", "resolved", T0, T0)
    ]
    assert [f.name for f in changed(second)] == ["b"]

    t2 = t1 + timedelta(hours=6)
    third = assign_states([], {f.key: f for f in second}, {}, scope=SCOPE, now=t2)
    assert [(f.name, f.state) for f in third] == [("a", "resolved")], "b was reported resolved once, not again"

    back = assign_states([b], {f.key: f for f in third}, {}, scope=SCOPE, now=t2)
    assert [(f.name, f.state, f.first_seen) for f in back] == [("b", "new", t2)], "a return is new drift"


def test_out_of_scope_findings_do_not_resolve() -> None:
    a = drifted("a")
    stored = {f.key: f for f in assign_states([a], {}, {}, scope=SCOPE, now=T0)}
    for scope in (
        Scope(),  # the stack was not checked (a --project run)
        Scope(attempted_stacks=frozenset({"data/dev"})),  # it failed as a whole
        Scope(compared_stacks=frozenset({"data/dev"}), unreadable=frozenset({a.urn or ""})),  # its read failed
    ):
        assert assign_states([], stored, {}, scope=scope, now=T0 + timedelta(hours=1)) == ()


def test_unmanaged_and_error_scopes() -> None:
    lost = Finding(key="dev:unmanaged:arn:aws:s3:::hand", environment="dev", kind="unmanaged", type=BUCKET,
                   name="hand", resource_id="arn:aws:s3:::hand")
    err = Finding(key="dev:error:stack:data/dev", environment="dev", kind="error", type="pulumi:pulumi:Stack",
                  name="data/dev", stack="data/dev", message="boom")
    stored = {f.key: f for f in assign_states([lost, err], {}, {}, scope=SCOPE, now=T0)}
    later = T0 + timedelta(hours=1)
    assert assign_states([], stored, {}, scope=Scope(), now=later) == ()
    gone = assign_states([], stored, {}, now=later, scope=Scope(attempted_stacks=frozenset({"data/dev"}),
                                                                 scanned_environments=frozenset({"dev"})))
    assert {(f.kind, f.state) for f in gone} == {("unmanaged", "resolved"), ("error", "resolved")}


def test_acknowledged_until_it_runs_out() -> None:
    a = drifted("a")
    first = assign_states([a], {}, {}, scope=SCOPE, now=T0)
    ack = Acknowledgement(key=a.key, actor="alice", reason="hotfix, reverted Monday", at=T0,
                          until=T0 + timedelta(days=2))
    t1 = T0 + timedelta(days=1)
    acked = assign_states([a], {f.key: f for f in first}, {a.key: ack}, scope=SCOPE, now=t1)
    assert [(f.state, f.acknowledged_by, f.acknowledged_reason) for f in acked] == [
        ("acknowledged", "alice", "hotfix, reverted Monday")
    ]
    assert changed(acked) == ()
    t2 = T0 + timedelta(days=3)
    expired = assign_states([a], {f.key: f for f in acked}, {a.key: ack}, scope=SCOPE, now=t2)
    assert [(f.state, f.first_seen, f.acknowledged_by) for f in expired] == [("new", T0, None)]
    after = assign_states([a], {f.key: f for f in expired}, {a.key: ack}, scope=SCOPE, now=t2 + timedelta(hours=1))
    assert after[0].state == "ongoing"


def test_active_counts_leave_out_acknowledged() -> None:
    found = stack_findings(result(ResourceChange(urn(BUCKET, "a"), BUCKET, "a", "update",
                                                 (PropertyDiff("x", "update", 1, 2),))),
                           project="data", environment="dev")
    a = found.findings[0]
    ack = {a.key: Acknowledgement(key=a.key, actor="bob", reason="known", at=T0)}
    states = assign_states([a], {}, ack, scope=SCOPE, now=T0)
    (summary,) = with_active_counts([found.drift], states)
    assert (summary.status, summary.findings) == ("clean", 0)

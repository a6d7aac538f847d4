"""The drift tables (`DriftStore`) on SQLite and on a real PostgreSQL server.

Every test takes the parametrised `store` / `store_url` fixtures of tests/store/conftest.py,
so it runs once on a SQLite file and once in a fresh schema of a real PostgreSQL cluster.
The state transitions are driven the way orchestrator/flows/drift.py drives them:
`assign_states(current, findings(environments=touched), acknowledgements(), ...)` →
`save_findings(states, run_id=...)` → `record_run(chosen, ...)`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from orchestrator.drift.findings import Scope, assign_states, finding_key, stack_error_key
from orchestrator.drift.model import Finding, FindingKind
from orchestrator.engines.base import PropertyDiff
from orchestrator.store.drift import DriftStore, drift_findings
from orchestrator.store.sql import SqlStore

T0 = datetime(2100, 1, 1, 0, 30, 0, 123456, tzinfo=UTC)
BUCKET_URN = "urn:pulumi:dev::shop::aws:s3/bucket:Bucket::assets"
QUEUE_URN = "urn:pulumi:dev::shop::aws:sqs/queue:Queue::jobs"
PROD_URN = "urn:pulumi:prod::shop::aws:s3/bucket:Bucket::assets"
ROGUE_ARN = "arn:aws:s3:::rogue-bucket"


def _finding(
    environment: str, kind: FindingKind, identity: str, *, urn: str | None = None, **fields: Any
) -> Finding:
    stack = None if kind == "unmanaged" else f"shop/{environment}"
    return Finding(
        key=finding_key(environment, kind, identity), environment=environment, kind=kind,
        type=fields.pop("type", "aws:s3/bucket:Bucket"), name=fields.pop("name", identity.rsplit("::", 1)[-1]),
        stack=stack, urn=urn, **fields,
    )


def _drifted(urn: str = BUCKET_URN, environment: str = "dev") -> Finding:
    return _finding(
        environment, "drifted", urn, urn=urn,
        diffs=(
            PropertyDiff("tags.Owner", "update", "team-a", "intruder ✓ \"quoted\""),
            PropertyDiff("versioning.enabled", "update", True, False),
            PropertyDiff("lifecycleRules[0]", "add", None, {"days": 30, "ratio": 0.5, "prefixes": ["a/", "b/"]}),
            PropertyDiff("policy", "delete", "[secret]", None),
        ),
    )


def _unmanaged(arn: str = ROGUE_ARN, environment: str = "dev") -> Finding:
    return _finding(environment, "unmanaged", arn, resource_id=arn, name="rogue-bucket")


def _deleted(urn: str = QUEUE_URN) -> Finding:
    return _finding("dev", "deleted", urn, urn=urn, type="aws:sqs/queue:Queue", resource_id="https://sqs/jobs")


def _error() -> Finding:
    return Finding(
        key=stack_error_key("dev", "shop/dev"), environment="dev", kind="error", type="pulumi:pulumi:Stack",
        name="shop/dev", stack="shop/dev", message="no state for stack shop/dev: run a deploy first",
    )


def _stamped(finding: Finding, state: Any, *, first: datetime = T0, last: datetime = T0) -> Finding:
    return replace(finding, state=state, first_seen=first, last_seen=last)


@pytest.fixture
def drift(store: SqlStore) -> DriftStore:
    return DriftStore(store)


@pytest.fixture
def second_store(store_url: str) -> Iterator[SqlStore]:
    """Another process's view: its own engine (own connections) on the same database."""
    other = SqlStore(store_url)
    try:
        yield other
    finally:
        other.close()


def _run(
    drift: DriftStore,
    current: Sequence[Finding],
    *,
    now: datetime,
    environments: Sequence[str] = ("dev",),
    scope: Scope | None = None,
    run_id: str = "run-1",
) -> dict[str, Finding]:
    """One drift run's store calls, in the order run_drift makes them; the states assigned, by key."""
    scope = scope or Scope(
        compared_stacks=frozenset(f"shop/{e}" for e in environments),
        attempted_stacks=frozenset(f"shop/{e}" for e in environments),
        scanned_environments=frozenset(environments),
    )
    states = assign_states(
        current, drift.findings(environments=environments), drift.acknowledgements(), scope=scope, now=now
    )
    drift.save_findings(states, run_id=run_id)
    drift.record_run(environments, at=now, run_id=run_id)
    return {f.key: f for f in states}


# --------------------------------------------------------------------------- save / read back


def test_each_kind_and_state_is_read_back_exactly(store: SqlStore, drift: DriftStore) -> None:
    acked_until = datetime(2100, 2, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    saved = [
        _stamped(_drifted(), "new"),
        _stamped(_unmanaged(), "ongoing", first=T0 - timedelta(days=3)),
        _stamped(_deleted(), "resolved", first=T0 - timedelta(hours=5), last=T0 - timedelta(hours=1)),
        replace(
            _stamped(_error(), "acknowledged"),
            acknowledged_by="alice", acknowledged_reason="known outage", acknowledged_until=acked_until,
        ),
    ]
    drift.save_findings(saved, run_id="run-1")

    back = drift.findings()

    assert back == {f.key: f for f in saved}
    kinds = {f.kind: f.state for f in back.values()}
    assert kinds == {"drifted": "new", "unmanaged": "ongoing", "deleted": "resolved", "error": "acknowledged"}
    for f in back.values():
        assert f.first_seen is not None and f.first_seen.utcoffset() == timedelta(0)
    assert back[saved[3].key].acknowledged_until == acked_until
    # the columns the filters use are what the finding says
    with store.transaction(write=False) as conn:
        rows = conn.execute(sa.select(drift_findings.c.key, drift_findings.c.state, drift_findings.c.run_id,
                                      drift_findings.c.first_seen)).all()
    assert {(r.key, r.state, r.run_id) for r in rows} == {(f.key, f.state, "run-1") for f in saved}
    assert {r.first_seen for r in rows} == {f.first_seen for f in saved}


def test_active_only_and_environment_filters(drift: DriftStore) -> None:
    dev_new = _stamped(_drifted(), "new")
    dev_resolved = _stamped(_deleted(), "resolved")
    dev_acked = _stamped(_unmanaged(), "acknowledged")
    prod_ongoing = _stamped(_drifted(PROD_URN, "prod"), "ongoing")
    stage_resolved = _stamped(_unmanaged("arn:aws:s3:::old", "stage"), "resolved")
    drift.save_findings([dev_new, dev_resolved, dev_acked, prod_ongoing, stage_resolved], run_id=None)

    assert set(drift.findings()) == {f.key for f in (dev_new, dev_resolved, dev_acked, prod_ongoing, stage_resolved)}
    assert set(drift.findings(active_only=True)) == {dev_new.key, dev_acked.key, prod_ongoing.key}
    assert set(drift.findings(environments=["dev"])) == {dev_new.key, dev_resolved.key, dev_acked.key}
    assert set(drift.findings(environments=("dev", "prod"), active_only=True)) == {
        dev_new.key, dev_acked.key, prod_ongoing.key
    }
    assert set(drift.findings(environments=iter(["stage"]), active_only=True)) == set()
    assert drift.findings(environments=[]) == {}
    assert drift.findings(environments=["nowhere"]) == {}


def test_saving_again_replaces_the_row(store: SqlStore, drift: DriftStore) -> None:
    first = _stamped(_drifted(), "new")
    drift.save_findings([first], run_id="run-1")
    later = replace(first, state="ongoing", last_seen=T0 + timedelta(hours=1), diffs=first.diffs[:1])
    drift.save_findings([later], run_id="run-2")

    assert drift.findings() == {first.key: later}
    with store.transaction(write=False) as conn:
        rows = conn.execute(sa.select(drift_findings.c.run_id, drift_findings.c.last_seen)).all()
    assert [(r.run_id, r.last_seen) for r in rows] == [("run-2", T0 + timedelta(hours=1))]


def test_a_finding_without_times_is_refused(drift: DriftStore) -> None:
    with pytest.raises(AssertionError, match="states are assigned before saving"):
        drift.save_findings([_drifted()], run_id=None)
    assert drift.findings() == {}


# --------------------------------------------------------------------------- states across runs


def test_state_transitions_as_the_drift_flow_makes_them(drift: DriftStore) -> None:
    bucket, rogue, queue = _drifted(), _unmanaged(), _deleted()
    prod = _drifted(PROD_URN, "prod")
    _run(drift, [prod], now=T0 - timedelta(days=1), environments=["prod"], run_id="run-0")

    # run 1: everything is new, first seen now
    t1 = T0
    states = _run(drift, [bucket, rogue, queue], now=t1, run_id="run-1")
    assert {k: f.state for k, f in states.items()} == {bucket.key: "new", rogue.key: "new", queue.key: "new"}

    # run 2: still there → ongoing, first_seen kept; the queue is gone → resolved
    t2 = T0 + timedelta(hours=1)
    states = _run(drift, [bucket, rogue], now=t2, run_id="run-2")
    assert {k: f.state for k, f in states.items()} == {
        bucket.key: "ongoing", rogue.key: "ongoing", queue.key: "resolved"
    }
    stored = drift.findings(environments=["dev"])
    assert stored[bucket.key].first_seen == t1 and stored[bucket.key].last_seen == t2
    assert stored[queue.key].state == "resolved" and stored[queue.key].last_seen == t1
    assert set(drift.findings(environments=["dev"], active_only=True)) == {bucket.key, rogue.key}

    # someone acknowledges the bucket's drift for a day (`orchestrator drift ack`)
    until = t2 + timedelta(days=1)
    drift.acknowledge(bucket.key, actor="alice", reason="vendor tag", at=t2, until=until)
    assert drift.findings()[bucket.key].state == "acknowledged"

    # run 3: acknowledged while the acknowledgement lasts
    t3 = t2 + timedelta(hours=1)
    states = _run(drift, [bucket, rogue], now=t3, run_id="run-3")
    assert states[bucket.key].state == "acknowledged"
    assert states[bucket.key].acknowledged_by == "alice" and states[bucket.key].acknowledged_until == until
    assert queue.key not in states  # resolved once, not again
    assert drift.findings()[bucket.key].acknowledged_reason == "vendor tag"

    # run 4: the acknowledgement ran out → new again, first seen still run 1
    t4 = until + timedelta(minutes=1)
    states = _run(drift, [bucket, rogue], now=t4, run_id="run-4")
    assert states[bucket.key].state == "new"
    stored = drift.findings()
    assert stored[bucket.key].state == "new" and stored[bucket.key].first_seen == t1
    assert stored[bucket.key].acknowledged_by is None

    # run 5: the rogue bucket's scan failed (out of scope): it stays; the bucket was fixed → resolved
    t5 = t4 + timedelta(hours=1)
    scope = Scope(compared_stacks=frozenset({"shop/dev"}), attempted_stacks=frozenset({"shop/dev"}))
    states = _run(drift, [], now=t5, scope=scope, run_id="run-5")
    assert {k: f.state for k, f in states.items()} == {bucket.key: "resolved"}
    assert set(drift.findings(active_only=True)) == {rogue.key, prod.key}

    # run 6: the queue comes back → new with a fresh first_seen
    t6 = t5 + timedelta(hours=1)
    states = _run(drift, [queue, rogue], now=t6, run_id="run-6")
    assert states[queue.key].state == "new" and states[queue.key].first_seen == t6
    assert drift.findings()[queue.key].first_seen == t6

    # prod was never in a dev run's scope
    assert drift.findings(environments=["prod"])[prod.key].state == "new"
    assert drift.last_runs() == {"dev": t6, "prod": T0 - timedelta(days=1)}


# --------------------------------------------------------------------------- acknowledgements


def test_acknowledge_keeps_aware_times_and_replaces(drift: DriftStore) -> None:
    bucket = _stamped(_drifted(), "ongoing")
    drift.save_findings([bucket], run_id="run-1")
    berlin = timezone(timedelta(hours=2))
    at = datetime(2100, 1, 2, 9, 15, 30, 250000, tzinfo=berlin)
    until = datetime(2100, 1, 9, 0, 0, tzinfo=berlin)

    ack = drift.acknowledge(bucket.key, actor="alice", reason="tag set by the vendor", at=at, until=until)

    stored = drift.acknowledgements()
    assert stored == {bucket.key: ack}
    got = stored[bucket.key]
    assert got.at == at and got.until == until  # the same instants...
    assert got.at.tzinfo is not None and got.at.utcoffset() == timedelta(0)  # ...read back in UTC
    assert got.until is not None and got.until.utcoffset() == timedelta(0)
    assert got.until == datetime(2100, 1, 8, 22, 0, tzinfo=UTC)
    assert got.valid_at(datetime(2100, 1, 8, 21, 59, tzinfo=UTC))
    assert not got.valid_at(datetime(2100, 1, 8, 22, 0, tzinfo=UTC))
    finding = drift.findings()[bucket.key]
    assert (finding.state, finding.acknowledged_by, finding.acknowledged_reason) == (
        "acknowledged", "alice", "tag set by the vendor"
    )
    assert finding.acknowledged_until == until

    # acknowledging again replaces the record (one per key); open-ended this time
    drift.acknowledge(bucket.key, actor="bob", reason="accepted for good", at=at + timedelta(hours=1), until=None)
    again = drift.acknowledgements()
    assert list(again) == [bucket.key]
    assert (again[bucket.key].actor, again[bucket.key].until) == ("bob", None)
    assert again[bucket.key].valid_at(datetime(2999, 1, 1, tzinfo=UTC))
    # the finding was acknowledged already: its stored details stay those of the first acknowledgement
    assert drift.findings()[bucket.key].acknowledged_by == "alice"


def test_acknowledge_leaves_resolved_and_unknown_findings_alone(drift: DriftStore) -> None:
    gone = _stamped(_deleted(), "resolved")
    drift.save_findings([gone], run_id="run-1")

    drift.acknowledge(gone.key, actor="alice", reason="fine", at=T0, until=None)
    drift.acknowledge("dev:drifted:not-seen-yet", actor="alice", reason="ahead of time", at=T0, until=None)

    assert drift.findings() == {gone.key: gone}
    assert set(drift.acknowledgements()) == {gone.key, "dev:drifted:not-seen-yet"}


def test_naive_times_are_refused(drift: DriftStore) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        drift.acknowledge("k", actor="a", reason="r", at=datetime(2100, 1, 1), until=None)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        drift.record_run(["dev"], at=datetime(2100, 1, 1), run_id=None)
    assert drift.acknowledgements() == {} and drift.last_runs() == {}


# --------------------------------------------------------------------------- find


def test_find_by_key_urn_id_name_and_key_tail(drift: DriftStore) -> None:
    bucket = _stamped(_drifted(), "new")
    prod_bucket = _stamped(_drifted(PROD_URN, "prod"), "new")
    rogue = _stamped(_unmanaged(), "ongoing")
    queue = _stamped(_deleted(), "resolved")
    drift.save_findings([bucket, prod_bucket, rogue, queue], run_id=None)

    assert drift.find(bucket.key) == [bucket]  # the exact key
    assert drift.find(BUCKET_URN) == [bucket]
    assert drift.find(ROGUE_ARN) == [rogue]  # resource id (and key tail)
    assert drift.find("https://sqs/jobs") == [queue]  # resolved findings are found too
    assert drift.find("rogue-bucket") == [rogue]  # name
    assert drift.find("assets") == sorted([bucket, prod_bucket], key=lambda f: f.key)  # ambiguous name
    # a key's tail after one of its colons: both buckets' URNs end like this
    assert drift.find("aws:s3/bucket:Bucket::assets") == sorted([bucket, prod_bucket], key=lambda f: f.key)
    assert drift.find("dev::shop::aws:s3/bucket:Bucket::assets") == [bucket]
    assert drift.find("ucket::assets") == []  # ...a tail starts right after a colon
    # ...and a key's beginning names nothing: `find` matches whole keys, URNs, ids, names and tails
    assert drift.find("dev:drifted:") == []
    assert drift.find("dev") == []
    assert drift.find("nothing-like-it") == []


# --------------------------------------------------------------------------- schedule


def test_last_runs_per_environment(drift: DriftStore) -> None:
    assert drift.last_runs() == {}
    drift.record_run(["dev", "prod"], at=T0, run_id="run-1")
    drift.record_run([], at=T0 + timedelta(hours=9), run_id="run-empty")
    assert drift.last_runs() == {"dev": T0, "prod": T0}

    tokyo = timezone(timedelta(hours=9))
    later = datetime(2100, 1, 1, 18, 0, tzinfo=tokyo)  # 09:00 UTC
    drift.record_run(["prod", "stage"], at=later, run_id="run-2")

    runs = drift.last_runs()
    assert runs == {"dev": T0, "prod": later, "stage": later}
    assert all(t.utcoffset() == timedelta(0) for t in runs.values())
    assert runs["prod"] == datetime(2100, 1, 1, 9, 0, tzinfo=UTC)
    drift.record_run(["dev"], at=T0 + timedelta(microseconds=1), run_id=None)
    assert drift.last_runs()["dev"] - T0 == timedelta(microseconds=1)


# --------------------------------------------------------------------------- two stores, one database


def test_two_stores_on_one_database_see_each_others_writes(store: SqlStore, second_store: SqlStore) -> None:
    one, two = DriftStore(store), DriftStore(second_store)  # the second's ensure_schema meets existing tables
    bucket = _stamped(_drifted(), "new")
    one.save_findings([bucket], run_id="run-1")
    assert two.findings() == {bucket.key: bucket}
    assert two.find(BUCKET_URN) == [bucket]

    two.acknowledge(bucket.key, actor="bob", reason="ok", at=T0, until=T0 + timedelta(days=1))
    assert one.findings()[bucket.key].state == "acknowledged"
    assert one.acknowledgements()[bucket.key].until == T0 + timedelta(days=1)

    rogue = _stamped(_unmanaged(), "new")
    two.save_findings([rogue], run_id="run-2")
    two.record_run(["dev"], at=T0, run_id="run-2")
    one.record_run(["dev", "prod"], at=T0 + timedelta(hours=1), run_id="run-3")
    assert set(one.findings(active_only=True)) == {bucket.key, rogue.key}
    assert two.last_runs() == {"dev": T0 + timedelta(hours=1), "prod": T0 + timedelta(hours=1)}


def _race(first: Any, second: Any, store: SqlStore) -> None:
    """Run `second` on another thread right after `first` looked its row up and before it writes.

    On PostgreSQL the two transactions interleave (the other one commits first); on SQLite
    the first holds the write lock, so the second waits for it.
    """
    done: list[BaseException | None] = []

    def other() -> None:
        try:
            second()
            done.append(None)
        except BaseException as exc:  # reported by the main thread
            done.append(exc)

    worker = threading.Thread(target=other)
    fired = threading.Event()

    def after_lookup(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if fired.is_set() or not statement.lstrip().upper().startswith("SELECT"):
            return
        if not any(t in statement for t in ("drift_findings", "drift_acknowledgements", "drift_environment_runs")):
            return
        fired.set()
        worker.start()
        worker.join(timeout=1)  # PostgreSQL (without turns): finishes; SQLite: still waiting for our write lock

    sa.event.listen(store.engine, "after_cursor_execute", after_lookup)
    try:
        first()
    finally:
        sa.event.remove(store.engine, "after_cursor_execute", after_lookup)
        if worker.is_alive() or fired.is_set():
            worker.join(timeout=30)
    assert fired.is_set(), "the race was not staged"
    assert done == [None], f"the concurrent write failed: {done}"


def test_concurrent_saves_of_one_new_finding(store: SqlStore, second_store: SqlStore) -> None:
    """A scheduled drift run and a CLI one find the same new drift at the same time."""
    one, two = DriftStore(store), DriftStore(second_store)
    mine = _stamped(_drifted(), "new", last=T0)
    theirs = _stamped(_drifted(), "new", last=T0 + timedelta(seconds=1))

    _race(lambda: one.save_findings([mine], run_id="run-1"),
          lambda: two.save_findings([theirs], run_id="run-2"), store)

    assert list(one.findings()) == [mine.key]
    assert one.findings()[mine.key] in (mine, theirs)


def test_concurrent_first_runs_of_one_environment(store: SqlStore, second_store: SqlStore) -> None:
    one, two = DriftStore(store), DriftStore(second_store)

    _race(lambda: one.record_run(["dev"], at=T0, run_id="run-1"),
          lambda: two.record_run(["dev"], at=T0 + timedelta(seconds=1), run_id="run-2"), store)

    assert set(one.last_runs()) == {"dev"}
    assert one.last_runs()["dev"] in (T0, T0 + timedelta(seconds=1))


def test_concurrent_acknowledgements_of_one_finding(store: SqlStore, second_store: SqlStore) -> None:
    one, two = DriftStore(store), DriftStore(second_store)
    bucket = _stamped(_drifted(), "new")
    one.save_findings([bucket], run_id="run-1")

    _race(lambda: one.acknowledge(bucket.key, actor="alice", reason="a", at=T0, until=None),
          lambda: two.acknowledge(bucket.key, actor="bob", reason="b", at=T0, until=None), store)

    assert [a.actor in ("alice", "bob") for a in one.acknowledgements().values()] == [True]
    assert one.findings()[bucket.key].state == "acknowledged"

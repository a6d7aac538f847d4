"""StackReference between stacks in one backend, and drift of recorded resources."""

from __future__ import annotations

import json
from collections.abc import Callable

from orchestrator.engines.local.engine import LocalEngine
from orchestrator.engines.local.secrets import new_encryption_salt
from tests.engine.programs import CONSUMER_PROGRAM, items_config, write_project
from tests.support.engine_stack import PASSPHRASE, Stack

WORD = "stack-ref-secret-word"


def test_stack_reference_reads_outputs(make_stack: Callable[..., Stack]) -> None:
    producer = make_stack("t")
    salt, crypter = new_encryption_salt(PASSPHRASE)
    write_project(producer.directory, "t", stack_config={"t:word": {"secure": crypter.encrypt(WORD)}},
                  encryption_salt=salt)
    consumer = make_stack("consumer")
    write_project(consumer.directory, "consumer", CONSUMER_PROGRAM)
    engine = LocalEngine()

    missing = engine.preview(consumer.spec({"consumer:ref": "organization/t/dev"}))
    assert missing.status == "failed"
    assert "organization/t/dev" in (missing.error or "") and "does not exist" in (missing.error or "")

    made = engine.update(producer.spec(items_config(producer.store, [{"name": "a"}, {"name": "b"}])))
    assert made.ok, made.error
    ids = {k: v for k, v in json.loads(producer.state_file.read_text())["checkpoint"]["latest"]["resources"][0]
           ["outputs"]["ids"].items()}

    for ref in ("organization/t/dev", "t/dev"):
        result = engine.update(consumer.spec({"consumer:ref": ref}))
        assert result.ok, result.error
        assert result.outputs["seen_ids"] == ids
        assert result.outputs["seen_word"] == "[secret]"
        assert WORD not in json.dumps(result.to_json())
    rec = next(r for r in consumer.resources().values() if r["type"] == "pulumi:pulumi:StackReference")
    assert rec["id"] == "t/dev" and rec.get("external") is True
    assert rec["urn"] == "urn:pulumi:dev::consumer::pulumi:pulumi:StackReference::t/dev"
    assert WORD not in consumer.state_file.read_text()


def test_drift_reports_changed_and_gone(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    config = items_config(st.store, [{"name": "a", "value": "one"}, {"name": "b", "value": "two"},
                                     {"name": "c", "value": "three"}])
    assert engine.update(st.spec(config)).ok
    clean = engine.drift(st.spec(config))
    assert clean.ok and clean.changes == () and clean.counts.same == 3

    files = {json.loads(p.read_text())["value"]: p for p in st.store.glob("*.json")}
    files["one"].write_text(json.dumps({"value": "edited by hand"}))
    files["two"].unlink()
    before = st.state_file.read_text()

    drift = engine.drift(st.spec(config))
    assert drift.ok, drift.error
    assert drift.operation == "drift"
    found = {c.name: c for c in drift.changes}
    assert set(found) == {"a", "b"}
    assert found["a"].op == "update"
    assert [(d.path, d.old, d.new) for d in found["a"].diffs] == [("value", "one", "edited by hand")]
    assert found["b"].op == "delete"
    assert (drift.counts.update, drift.counts.delete, drift.counts.same) == (1, 1, 1)
    assert st.state_file.read_text() == before, "drift writes nothing"

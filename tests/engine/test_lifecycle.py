"""Create, no-op, update in place, replace and delete in dependency order, with real
programs under the real SDK and file-backed dynamic resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.engines.local.engine import LocalEngine
from tests.engine.programs import items_config
from tests.support.engine_stack import Stack

URN = "urn:pulumi:dev::t::pulumi-python:dynamic:Resource::{}"


def ops(result: Any) -> dict[str, str]:
    return {c.name: c.op for c in result.changes}


def test_create_then_noop(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    config = items_config(st.store, [{"name": "a", "value": "one"}, {"name": "b", "value": "two"}])

    preview = engine.preview(st.spec(config))
    assert preview.ok, preview.error
    assert ops(preview) == {"t-dev": "create", "a": "create", "b": "create"}
    assert not st.state_file.exists(), "a preview writes no state"
    assert st.objects() == {}

    first = engine.update(st.spec(config))
    assert first.ok, first.error
    assert (first.counts.create, first.counts.same) == (3, 0)
    assert sorted(st.objects().values()) == ["one", "two"]
    resources = st.resources()
    assert URN.format("a") in resources
    rec = resources[URN.format("a")]
    assert rec["custom"] is True and rec["id"].startswith("a-")
    assert rec["parent"] == "urn:pulumi:dev::t::pulumi:pulumi:Stack::t-dev"
    assert rec["provider"].startswith("urn:pulumi:dev::t::pulumi:providers:pulumi-python::default::")
    assert rec["outputs"]["value"] == "one"
    assert set(first.outputs["ids"]) == {"a", "b"}
    assert "pending_operations" not in st.state()["checkpoint"]["latest"]

    before = st.state_file.read_text()
    again = engine.update(st.spec(config))
    assert again.ok, again.error
    assert again.changes == ()
    assert (again.counts.same, again.counts.changed) == (3, 0)
    assert st.state_file.read_text() == before, "a no-change update does not rewrite state"
    assert st.log().count("create a") == 1


def test_update_in_place(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert engine.update(st.spec(items_config(st.store, [{"name": "a", "value": "one"}]))).ok
    old_id = next(iter(st.objects()))

    config = items_config(st.store, [{"name": "a", "value": "uno"}])
    preview = engine.preview(st.spec(config))
    assert ops(preview) == {"a": "update"}
    diffs = preview.changes[0].diffs
    assert [(d.path, d.kind, d.old, d.new) for d in diffs] == [("value", "update", "one", "uno")]

    result = engine.update(st.spec(config))
    assert result.ok, result.error
    assert (result.counts.update, result.counts.same) == (1, 1)
    assert st.objects() == {old_id: "uno"}
    assert st.resources()[URN.format("a")]["outputs"]["value"] == "uno"
    assert (st.state_file.parent / "dev.json.bak").exists()


def test_replace_creates_before_deleting(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert engine.update(st.spec(items_config(st.store, [{"name": "a", "key": "k1"}]))).ok
    result = engine.update(st.spec(items_config(st.store, [{"name": "a", "key": "k2"}])))
    assert result.ok, result.error
    assert ops(result) == {"a": "replace"}
    assert result.counts.replace == 1
    log = st.log()
    assert log.index("create k2") < log.index("delete k1")
    assert [k.split("-")[0] for k in st.objects()] == ["k2"]
    assert st.resources()[URN.format("a")]["inputs"]["key"] == "k2"


def test_replace_with_delete_before_replace(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert engine.update(st.spec(items_config(st.store, [{"name": "a", "key": "k1", "dbr": True}]))).ok
    result = engine.update(st.spec(items_config(st.store, [{"name": "a", "key": "k2", "dbr": True}])))
    assert result.ok, result.error
    log = st.log()
    assert log.index("delete k1") < log.index("begin-create k2")


def test_delete_in_reverse_dependency_order(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    items = [
        {"name": "base", "value": "b"},
        {"name": "mid", "ref": "base", "value": "m"},
        {"name": "top", "deps": ["mid"], "value": "t"},
        {"name": "free", "value": "f"},
    ]
    created = engine.update(st.spec(items_config(st.store, items)))
    assert created.ok, created.error
    log = st.log()
    # Dependents are created only after what they depend on finished.
    assert log.index("create base") < log.index("begin-create mid")
    assert log.index("create mid") < log.index("begin-create top")
    mid = st.resources()[URN.format("mid")]
    assert URN.format("base") in mid["dependencies"]
    assert mid["propertyDependencies"]["value"] == [URN.format("base")]
    assert st.resources()[URN.format("top")]["dependencies"] == [URN.format("mid")]
    # `mid`'s value was computed from `base`'s real id.
    assert any(v.startswith("m:base-") for v in st.objects().values())

    result = engine.update(st.spec(items_config(st.store, [{"name": "free", "value": "f"}])))
    assert result.ok, result.error
    assert ops(result) == {"base": "delete", "mid": "delete", "top": "delete"}
    log = st.log()
    assert log.index("delete top") < log.index("delete mid") < log.index("delete base")
    assert set(st.resources()) == {
        "urn:pulumi:dev::t::pulumi:pulumi:Stack::t-dev",
        URN.format("free"),
        next(u for u in st.resources() if "pulumi:providers:pulumi-python" in u),
    }

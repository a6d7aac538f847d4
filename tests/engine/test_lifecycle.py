"""Create, no-op, update, replace, delete, protect, ignoreChanges and dependency order,
with real programs under the real SDK and file-backed dynamic resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.engines.local.engine import LocalEngine
from tests.engine.conftest import Stack
from tests.engine.programs import items_config

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


def test_protect_blocks_delete_and_replace(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert engine.update(st.spec(items_config(st.store, [{"name": "keep", "key": "k1", "protect": True}]))).ok
    assert st.resources()[URN.format("keep")]["protect"] is True
    before = st.state_file.read_text()

    gone = engine.update(st.spec(items_config(st.store, [])))
    assert gone.status == "failed"
    assert "keep" in (gone.error or "") and "protected" in (gone.error or "")
    assert "cannot be deleted" in (gone.error or "")
    assert len(st.objects()) == 1
    assert st.state_file.read_text() == before

    replaced = engine.update(st.spec(items_config(st.store, [{"name": "keep", "key": "k2", "protect": True}])))
    assert replaced.status == "failed"
    assert "cannot be replaced" in (replaced.error or "") and "keep" in (replaced.error or "")
    assert "delete k1" not in st.log() and "create k2" not in st.log()

    # Unprotect (an update of options only), then the delete goes through.
    assert engine.update(st.spec(items_config(st.store, [{"name": "keep", "key": "k1"}]))).ok
    assert "protect" not in st.resources()[URN.format("keep")]
    assert engine.update(st.spec(items_config(st.store, []))).ok
    assert st.objects() == {}


def test_ignore_changes(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert engine.update(st.spec(items_config(st.store, [{"name": "a", "value": "one", "ignore": ["value"]}]))).ok
    result = engine.update(st.spec(items_config(st.store, [{"name": "a", "value": "two", "ignore": ["value"]}])))
    assert result.ok, result.error
    assert result.changes == ()
    assert list(st.objects().values()) == ["one"]
    # Without ignoreChanges the same change is an update.
    preview = engine.preview(st.spec(items_config(st.store, [{"name": "a", "value": "two"}])))
    assert ops(preview) == {"a": "update"}


def test_destroy(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    items = [{"name": "a"}, {"name": "b", "ref": "a"}]
    assert engine.update(st.spec(items_config(st.store, items))).ok
    planned = engine.destroy(st.spec(items_config(st.store, items)), preview_only=True)
    assert planned.ok and ops(planned) == {"a": "delete", "b": "delete", "t-dev": "delete"}
    assert len(st.objects()) == 2
    done = engine.destroy(st.spec(items_config(st.store, items)), preview_only=False)
    assert done.ok, done.error
    assert st.objects() == {}
    assert st.log().index("delete b") < st.log().index("delete a")
    assert st.state()["checkpoint"]["latest"]["resources"] == []


def test_independent_steps_run_in_parallel(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    items = [{"name": n, "sleep": 1.0} for n in ("p", "q", "r")] + [{"name": "s", "deps": ["p"]}]
    result = LocalEngine().update(st.spec(items_config(st.store, items)))
    assert result.ok, result.error
    log = st.log()
    starts = [log.index(f"begin-create {n}") for n in ("p", "q", "r")]
    ends = [log.index(f"create {n}") for n in ("p", "q", "r")]
    assert max(starts) < min(ends), f"the three independent creates overlapped: {log}"
    assert log.index("create p") < log.index("begin-create s")

"""Resource options and whole-stack operations: protect, ignoreChanges, destroy, parallel steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.engines.local.engine import LocalEngine
from tests.engine.programs import items_config
from tests.support.engine_stack import Stack

URN = "urn:pulumi:dev::t::pulumi-python:dynamic:Resource::{}"


def ops(result: Any) -> dict[str, str]:
    return {c.name: c.op for c in result.changes}


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

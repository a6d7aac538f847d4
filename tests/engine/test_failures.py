"""Failures: program exceptions, unsupported types, secrets, locks, interrupted runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator.engines.base import StackResult
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.engines.local.secrets import new_encryption_salt
from tests.engine.programs import items_config, write_project
from tests.support.engine_stack import PASSPHRASE, Stack

REPO_ROOT = Path(__file__).resolve().parents[2]
WORD = "hunter2-topsecret-value"


def _wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _has_pending(st: Stack) -> bool:
    try:
        return bool(st.state()["checkpoint"]["latest"].get("pending_operations"))
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return False


def test_program_exception_changes_nothing(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert engine.update(st.spec(items_config(st.store, [{"name": "a", "value": "one"}]))).ok
    before = st.state_file.read_text()
    config = items_config(st.store, [{"name": "a", "value": "two"}, {"name": "b"}], fail="true")
    result = engine.update(st.spec(config))
    assert result.status == "failed"
    error = result.error or ""
    assert "Traceback (most recent call last)" in error
    assert "__main__.py" in error and "RuntimeError: the program failed on purpose" in error
    assert "site-packages" not in error, "the traceback is trimmed to the program's frames"
    assert list(st.objects().values()) == ["one"]
    assert st.state_file.read_text() == before


def test_unsupported_type_names_it(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert engine.update(st.spec(items_config(st.store, [{"name": "a"}]))).ok
    config = items_config(st.store, [{"name": "a", "value": "changed"}], unsupported="acme:widgets:Widget")
    preview, update = engine.preview(st.spec(config)), engine.update(st.spec(config))
    for result in (preview, update):
        assert result.status == "failed"
        assert result.error == ("not supported by the local engine: resource type acme:widgets:Widget; "
                                "`orchestrator stack types` lists what it supports")
        assert [d.message for d in result.diagnostics if d.severity == "error"] == [
            "resource type acme:widgets:Widget is not supported by the local engine"]
    assert {c.name: c.op for c in preview.changes} == {"a": "update"}, "the preview shows its plan"
    assert update.changes == () and update.counts.changed == 0, "the update applied nothing and says so"
    assert any("nothing was changed" in d.message for d in update.diagnostics)
    assert list(st.objects().values()) == ["v"]


def test_secrets_never_in_results_or_plain_state(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    salt, crypter = new_encryption_salt(PASSPHRASE)
    write_project(st.directory, "t", stack_config={"t:word": {"secure": crypter.encrypt(WORD)}},
                  encryption_salt=salt)
    engine = LocalEngine()
    items = [{"name": "s", "secret": True}, {"name": "plain", "value": "x"}]
    results: list[StackResult] = []
    results.append(engine.preview(st.spec(items_config(st.store, items))))
    results.append(engine.update(st.spec(items_config(st.store, items))))
    assert results[-1].ok, results[-1].error
    assert results[-1].outputs["word"] == "[secret]"
    created = next(c for c in results[0].changes if c.name == "s")
    assert {d.path: d.new for d in created.diffs}["value"] == "[secret]"
    assert WORD in st.objects().values(), "the provider got the real value"

    state_text = st.state_file.read_text()
    assert WORD not in state_text
    rec = next(r for r in st.resources().values() if r["urn"].endswith("::s"))
    assert set(rec["inputs"]["value"]) == {"4dabf18193072939515e22adb298388d", "ciphertext"}
    assert rec["inputs"]["value"]["ciphertext"].startswith("v1:")
    assert st.state()["checkpoint"]["latest"]["secrets_providers"] == {
        "type": "passphrase", "state": {"salt": salt}}

    results.append(engine.update(st.spec(items_config(st.store, items, fail="true"))))
    assert results[-1].status == "failed" and "[secret]" in (results[-1].error or "")
    assert LocalEngine().outputs(st.spec({}))["word"] == "[secret]"
    for result in results:
        assert WORD not in json.dumps(result.to_json())


def test_wrong_passphrase_is_clear(make_stack: Callable[..., Stack], monkeypatch: Any) -> None:
    st = make_stack()
    assert LocalEngine().update(st.spec(items_config(st.store, [{"name": "a"}]))).ok
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not the passphrase")
    result = LocalEngine().preview(st.spec(items_config(st.store, [{"name": "a"}])))
    assert result.status == "failed"
    assert "passphrase" in (result.error or "").lower()


def test_concurrent_update_is_locked(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    config = items_config(st.store, [{"name": "slow", "sleep": 4}])
    first: list[StackResult] = []
    worker = threading.Thread(target=lambda: first.append(LocalEngine().update(st.spec(config))))
    worker.start()
    lock_file = st.backend / ".pulumi" / "locks" / "t" / "dev.lock.json"
    _wait_for(lock_file.exists)
    second = LocalEngine().update(st.spec(config))
    worker.join()
    assert second.status == "locked"
    assert f"pid {os.getpid()}" in (second.error or "")
    assert os.uname().nodename in (second.error or "")
    assert "since" in (second.error or "")
    assert first[0].ok, first[0].error
    assert not lock_file.exists(), "the lock is released after the run"


def test_crashed_child_is_reported(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    pids: list[int] = []
    engine = LocalEngine(on_child_start=pids.append)
    results: list[StackResult] = []
    config = items_config(st.store, [{"name": "slow", "sleep": 30}])
    worker = threading.Thread(target=lambda: results.append(engine.update(st.spec(config))))
    worker.start()
    _wait_for(lambda: _has_pending(st))
    os.kill(pids[-1], signal.SIGKILL)
    worker.join(timeout=30)
    assert results[0].status == "failed"
    assert "killed by SIGKILL" in (results[0].error or "")
    assert not (st.backend / ".pulumi" / "locks" / "t" / "dev.lock.json").exists()


KILL_SCRIPT = """
import json, sys
from pathlib import Path
from orchestrator.models import StackSpec
from orchestrator.engines.local.engine import LocalEngine
raw = json.loads(sys.argv[1])
spec = StackSpec(project="t", environment="dev", stack_name="dev", directory=Path(raw["dir"]),
                 backend=raw["backend"], config=raw["config"])
LocalEngine().update(spec)
"""


def test_kill_9_mid_update_then_repair(make_stack: Callable[..., Stack], tmp_path: Path) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert engine.update(st.spec(items_config(st.store, [{"name": "a"}]))).ok
    slow = items_config(st.store, [{"name": "a"}, {"name": "slow", "sleep": 60}])
    script = tmp_path / "run_update.py"
    script.write_text(KILL_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    arg = json.dumps({"dir": str(st.directory), "backend": f"file://{st.backend}", "config": slow})
    proc = subprocess.Popen([sys.executable, str(script), arg], env=env, start_new_session=True)
    try:
        _wait_for(lambda: _has_pending(st))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    # The state is whole and names the interrupted step.
    pending = st.state()["checkpoint"]["latest"]["pending_operations"]
    assert [(p["type"], p["resource"]["urn"].split("::")[-1]) for p in pending] == [("creating", "slow")]
    assert any(u.endswith("::a") for u in st.resources())

    fast = items_config(st.store, [{"name": "a"}, {"name": "slow"}])
    refused = engine.update(st.spec(fast))
    assert refused.status == "failed", "a stale lock of a dead process is taken over, then pending ops refuse"
    assert "pending operation" in (refused.error or "")
    assert "creating urn:pulumi:dev::t::pulumi-python:dynamic:Resource::slow" in (refused.error or "")
    assert "orchestrator stack repair --project t --env dev" in (refused.error or "")

    preview = engine.preview(st.spec(fast))
    assert preview.ok and any(d.severity == "warning" and "pending" in d.message for d in preview.diagnostics)

    repaired = LocalEngine().repair(st.spec(fast))
    assert repaired.status == "succeeded"
    assert len(repaired.cleared) == 1 and "not in state" in repaired.cleared[0]
    assert "pending_operations" not in st.state()["checkpoint"]["latest"]

    done = engine.update(st.spec(fast))
    assert done.ok, done.error
    assert {c.name: c.op for c in done.changes} == {"slow": "create"}


def test_allow_pending_clears_and_continues(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    config = items_config(st.store, [{"name": "a"}])
    assert LocalEngine().update(st.spec(config)).ok
    data = st.state()
    latest = data["checkpoint"]["latest"]
    victim = next(r for r in latest["resources"] if r["urn"].endswith("::a"))
    latest["pending_operations"] = [{"resource": victim, "type": "updating"}]
    st.state_file.write_text(json.dumps(data))

    assert LocalEngine().update(st.spec(config)).status == "failed"
    result = LocalEngine(allow_pending=True).update(st.spec(config))
    assert result.ok, result.error
    assert any("allow-pending" in d.message for d in result.diagnostics)
    assert "pending_operations" not in st.state()["checkpoint"]["latest"]

"""pulumi-random and command:local through the whole engine: a program of our own, run with
the real SDKs in the engine's child process (no cloud needed).

Random values are made once and kept: a no-change preview and a second update keep them, a
change of `keepers` (or any input) replaces them, a refresh finds no drift. A local command
runs its create command in the program's directory, its update command when its environment
changes, is replaced when its triggers change, and runs its delete command on destroy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import StackResult
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError
from orchestrator.engines.local.providers.registry import Unsupported, get_provider
from orchestrator.models import AwsSettings, StackSpec

PROGRAM = '''
import pulumi
import pulumi_command as command
import pulumi_random as random

config = pulumi.Config()
step = config.require("step")
keeper = "one" if step == "create" else "two" if step == "update" else "three"
text = random.RandomString("text", length=12, special=False, min_upper=2, keepers={"k": "fixed"})
password = random.RandomPassword("password", length=20, min_special=3, keepers={"k": keeper})
ident = random.RandomId("ident", byte_length=8, prefix="id-")
pet = random.RandomPet("pet", length=3, separator="_")
number = random.RandomInteger("number", min=10, max=20, seed="fixed")
uid = random.RandomUuid("uid")
shuffled = random.RandomShuffle("shuffled", inputs=["a", "b", "c", "d"], result_count=6, seed="s")
hello = command.local.Command(
    "hello",
    create="echo created $GREETING > made.txt; cat made.txt",
    update="echo updated $GREETING > made.txt; echo was: $PULUMI_COMMAND_STDOUT",
    delete="echo deleted > gone.txt",
    environment={"GREETING": "hi" if step == "create" else "hello"},
    triggers=["t2"] if step == "replace" else ["t1"],
)
pulumi.export("text", text.result)
pulumi.export("password", password.result)
pulumi.export("plain", pulumi.Output.unsecret(password.result))  # to check the value itself
pulumi.export("hash", pulumi.Output.unsecret(password.bcrypt_hash))
pulumi.export("ident", {"hex": ident.hex, "b64Url": ident.b64_url, "dec": ident.dec, "id": ident.id})
pulumi.export("pet", pet.id)
pulumi.export("number", number.result)
pulumi.export("uid", uid.result)
pulumi.export("shuffled", shuffled.results)
pulumi.export("stdout", hello.stdout)
'''


class Stack:
    def __init__(self, root: Path) -> None:
        self.directory = root / "prog"
        self.directory.mkdir()
        (self.directory / "Pulumi.yaml").write_text("name: prog\nruntime: python\n")
        (self.directory / "__main__.py").write_text(PROGRAM)
        self.backend = root / "backend"
        self.engine = LocalEngine()

    def spec(self, step: str) -> StackSpec:
        return StackSpec(project="prog", environment="dev", stack_name="dev", directory=self.directory,
                         backend=f"file://{self.backend}", config={"prog:step": step},
                         aws=AwsSettings(region="us-east-1"))

    def run(self, operation: str, step: str) -> StackResult:
        spec = self.spec(step)
        result: StackResult
        if operation == "destroy":
            result = self.engine.destroy(spec, preview_only=False)
        else:
            result = getattr(self.engine, operation)(spec)
        assert result.ok, f"{operation} {step}: {result.error}"
        return result

    def state(self) -> dict[str, Any]:
        path = self.backend / ".pulumi" / "stacks" / "prog" / "dev.json"
        return dict(json.loads(path.read_text()))


def _ops(result: StackResult) -> dict[str, str]:
    return {c.name: c.op for c in result.changes if c.op != "same"}


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "local packages")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)


def test_random_values_and_a_local_command_through_their_life(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    created = stack.run("update", "create")
    out = created.outputs
    assert len(out["text"]) == 12 and out["text"].isalnum() and sum(c.isupper() for c in out["text"]) >= 2
    assert out["password"] == "[secret]"  # a secret output, as pulumi-random marks it
    assert len(out["plain"]) == 20 and sum(not c.isalnum() for c in out["plain"]) >= 3
    import bcrypt

    assert bcrypt.checkpw(out["plain"].encode(), out["hash"].encode())
    assert out["ident"]["hex"].startswith("id-") and len(out["ident"]["hex"]) == 3 + 16
    assert out["ident"]["dec"] == "id-" + str(int(out["ident"]["hex"][3:], 16))
    assert out["ident"]["id"] == out["ident"]["b64Url"].removeprefix("id-")
    assert len(out["pet"].split("_")) == 3
    assert 10 <= out["number"] <= 20
    assert len(out["uid"]) == 36
    assert len(out["shuffled"]) == 6 and set(out["shuffled"]) == {"a", "b", "c", "d"}
    assert out["stdout"] == "created hi"
    assert (stack.directory / "made.txt").read_text() == "created hi\n"  # ran in the program's directory
    password_state = next(r for r in stack.state()["checkpoint"]["latest"]["resources"]
                          if r["type"] == "random:index/randomPassword:RandomPassword")
    assert out["plain"] not in json.dumps(password_state)  # kept encrypted in state

    assert _ops(stack.run("preview", "create")) == {}

    updated = stack.run("update", "update")
    assert _ops(updated) == {"password": "replace", "hello": "update"}
    assert updated.outputs["plain"] != out["plain"]
    assert {k: updated.outputs[k] for k in ("text", "ident", "pet", "number", "uid")} == {
        k: out[k] for k in ("text", "ident", "pet", "number", "uid")}  # kept, not made again
    assert updated.outputs["stdout"] == "was: created hi"
    assert (stack.directory / "made.txt").read_text() == "updated hello\n"

    replaced = stack.run("update", "replace")
    assert _ops(replaced) == {"password": "replace", "hello": "replace"}
    assert replaced.outputs["stdout"] == "created hello"
    assert (stack.directory / "gone.txt").read_text() == "deleted\n"  # the replaced one's delete ran

    assert _ops(stack.run("drift", "replace")) == {}
    (stack.directory / "gone.txt").unlink()
    stack.run("destroy", "replace")
    assert (stack.directory / "gone.txt").read_text() == "deleted\n"
    assert not [r for r in stack.state()["checkpoint"]["latest"].get("resources", [])
                if r["type"].startswith(("random:", "command:"))]


def test_bad_inputs_and_remote_commands_are_refused_with_one_line(tmp_path: Path) -> None:
    ctx = ProviderContext(project="p", stack="s", aws=AwsSettings(region="us-east-1"),
                          manifests_dir=tmp_path, program_dir=tmp_path)
    strings = get_provider("random:index/randomString:RandomString", ctx)
    checked = strings.check("urn:x::s", "s", None, {"length": 3.0, "minUpper": 2.0, "minNumeric": 2.0})
    with pytest.raises(ProviderError, match="`length` 3 is shorter than the minimums"):
        strings.create("urn:x::s", checked)
    with pytest.raises(ProviderError, match="`length` is required"):
        strings.check("urn:x::s", "s", None, {})
    integers = get_provider("random:index/randomInteger:RandomInteger", ctx)
    with pytest.raises(ProviderError, match="`max` \\(1\\) is less than `min` \\(5\\)"):
        integers.create("urn:x::n", integers.check("urn:x::n", "n", None, {"min": 5.0, "max": 1.0}))
    cmd = get_provider("command:local:Command", ctx)
    failing = cmd.check("urn:x::c", "c", None, {"create": "echo $TOKEN >&2; exit 3",
                                                "environment": {"TOKEN": "s3cr3t-value"}})
    with pytest.raises(ProviderError, match="exited with 3: \\[secret\\]") as caught:
        cmd.create("urn:x::c", failing)
    assert "s3cr3t-value" not in str(caught.value)
    with pytest.raises(Unsupported, match=r"command:remote:Command is not supported .*over SSH"):
        get_provider("command:remote:Command", ctx)

"""End to end with the real Pulumi CLI: a sample stack deployed to a `file://` backend.

Skipped where the CLI is not installed (the project's build machines); run them wherever
`pulumi` is on PATH: `pytest -m pulumi_cli tests/pulumi_engine`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from orchestrator.engines.base import SECRET
from orchestrator.engines.pulumi import PulumiEngine
from orchestrator.models import AwsSettings, StackSpec

pytestmark = [
    pytest.mark.pulumi_cli,
    pytest.mark.skipif(shutil.which("pulumi") is None, reason="needs the Pulumi CLI on PATH"),
]

PROGRAM = '''\
import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult


class Note(ResourceProvider):
    def create(self, props):
        return CreateResult(id_=props["text"][:8], outs=dict(props))

    def diff(self, id, olds, news):
        return DiffResult(changes=olds.get("text") != news.get("text"), replaces=[])

    def update(self, id, olds, news):
        return UpdateResult(outs=dict(news))


class NoteResource(Resource):
    def __init__(self, name, text, opts=None):
        super().__init__(Note(), name, {"text": text}, opts)


config = pulumi.Config()
note = NoteResource("greeting", config.require("greeting"))
pulumi.export("greeting", note.text)
pulumi.export("token", pulumi.Output.secret(config.require_secret("token")))
'''


def _project(tmp_path: Path) -> Path:
    directory = tmp_path / "stacks" / "notes"
    directory.mkdir(parents=True)
    venv = Path(sys.prefix)
    (directory / "Pulumi.yaml").write_text(
        f"name: notes\nruntime:\n  name: python\n  options:\n    virtualenv: {venv}\n"
    )
    (directory / "__main__.py").write_text(PROGRAM)
    return directory


def test_sample_stack_lifecycle_on_a_file_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-passphrase")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    state = tmp_path / "state"
    state.mkdir()
    spec = StackSpec(
        project="notes", environment="dev", stack_name="dev", directory=_project(tmp_path),
        backend=f"file://{state}", engine="pulumi",
        config={"greeting": "hello world", "token": {"secret": "tok-very-secret"}},
        aws=AwsSettings(region="us-east-1"),
    )
    engine = PulumiEngine()

    preview = engine.preview(spec)
    assert preview.status == "succeeded", preview.error
    assert preview.counts.create == 2  # the stack and the note
    assert {c.name for c in preview.changes if c.op == "create"} >= {"greeting"}

    update = engine.update(spec)
    assert update.status == "succeeded", update.error
    assert update.outputs == {"greeting": "hello world", "token": SECRET}
    assert "tok-very-secret" not in str(update.to_json())

    assert engine.outputs(spec) == {"greeting": "hello world", "token": SECRET}

    again = engine.preview(spec)
    assert again.status == "succeeded" and again.counts.changed == 0

    changed = StackSpec(**{**spec.__dict__, "config": {**spec.config, "greeting": "hello again"}})
    edit = engine.preview(changed)
    [note] = [c for c in edit.changes if c.name == "greeting"]
    assert note.op == "update"

    drift = engine.drift(spec)
    assert drift.status == "succeeded", drift.error
    assert drift.changes == ()

    destroy_preview = engine.destroy(spec, preview_only=True)
    assert destroy_preview.status == "succeeded" and destroy_preview.counts.delete == 2
    destroy = engine.destroy(spec, preview_only=False)
    assert destroy.status == "succeeded", destroy.error
    assert engine.outputs(spec) == {}
    assert "greeting" not in (spec.directory / "Pulumi.dev.yaml").read_text()

"""Fuzzing the configuration loader through the CLI (`projects`, `environments`): the sample
repository's own files (orchestrator.yaml, environments/*.yaml, stacks/*/Pulumi.yaml,
Pulumi.<stack>.yaml) mutated structurally (a value replaced, deleted or nested deep), byte by
byte (syntax errors, bad UTF-8, aliases, tags) or replaced by random YAML. Property: exit 0, 1
or 2 with no traceback; the stack config loader raises nothing but a UserError."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.errors import UserError
from tests.fuzz.cli import assert_clean_exit, run_cli
from tests.fuzz.strategies import byte_mutated, json_values, mutated

SAMPLE = Path(__file__).resolve().parents[2]
SAMPLE_FILES = sorted(
    str(p.relative_to(SAMPLE))
    for pattern in ("orchestrator.yaml", "environments/*.yaml", "stacks/*/Pulumi*.yaml")
    for p in SAMPLE.glob(pattern)
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("fuzz-config") / "infra"
    for rel in SAMPLE_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE / rel, root / rel)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORCHESTRATOR_CRASH_DIR", str(root.parent / "crashes"))
        patch.setenv("PULUMI_CONFIG_PASSPHRASE", "fuzz")
        yield root


def _reset(root: Path) -> None:
    for rel in SAMPLE_FILES:
        shutil.copy(SAMPLE / rel, root / rel)


def _structural(data: bytes) -> st.SearchStrategy[bytes]:
    document = yaml.safe_load(data)
    return mutated(document).map(lambda value: yaml.safe_dump(value, allow_unicode=True).encode())


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, bytes]:
    rel = draw(st.sampled_from(SAMPLE_FILES))
    original = (SAMPLE / rel).read_bytes()
    kind = draw(st.sampled_from(["structure", "bytes", "random"]))
    if kind == "structure":
        return rel, draw(_structural(original))
    if kind == "bytes":
        return rel, draw(byte_mutated(original))
    return rel, yaml.safe_dump(draw(json_values), allow_unicode=True).encode()


@given(edit=edits())
def test_mutated_config_files_get_a_clear_answer(repo: Path, edit: tuple[str, bytes]) -> None:
    rel, data = edit
    _reset(repo)
    (repo / rel).write_bytes(data)
    for command in ("projects", "environments"):
        assert_clean_exit(*run_cli(command, "--repo", repo, "--json"), what=f"{command} with {rel} = {data[:300]!r}")
    if rel.startswith("stacks/") and "Pulumi." in rel and rel.count(".") == 2:
        from orchestrator.engines.local.secrets import load_stack_config

        directory = (repo / rel).parent
        with contextlib.suppress(UserError):  # a clear error is an answer; anything else fails the test
            load_stack_config(directory, directory.name, rel.split(".")[-2], {}, "fuzz")

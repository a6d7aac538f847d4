"""A preview fails where its update would: a stack whose resources hold secrets cannot be
written without the passphrase. The preview of aws-py-secrets-manager passed without one
(nothing is written by a preview) and the deploy after the merge failed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orchestrator.engines.local.engine import LocalEngine
from tests.engine.programs import ITEMS_PROGRAM, items_config, write_project
from tests.support.engine_stack import Stack


def test_a_preview_holding_secrets_without_a_passphrase_fails_as_the_update_would(
    make_stack: Callable[..., Stack], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    st = make_stack()
    engine = LocalEngine()
    write_project(st.directory, "t", program="import pulumi\npulumi.export('size', 3)\n")
    plain = engine.preview(st.spec({}))
    assert plain.ok, plain.error  # nothing secret: no passphrase needed

    write_project(st.directory, "t", program=ITEMS_PROGRAM)
    holding = items_config(st.store, [{"name": "s", "secret": True}], word="w0rd")
    preview = engine.preview(st.spec(holding))
    update = engine.update(st.spec(holding))
    assert preview.status == update.status == "failed"
    assert "holds secrets but no passphrase is set" in (update.error or "")
    assert "stack t/dev holds secrets but no passphrase is set" in (preview.error or ""), preview.error
    assert "hint: set PULUMI_CONFIG_PASSPHRASE" in (preview.error or "")
    assert "w0rd" not in (preview.error or "")

"""The plain `secure:` config values the flows redact, and what happens without a passphrase."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.flows.redaction import secret_values
from orchestrator.models import StackSpec

# Pulumi's own round-trip test vector (see tests/providers/test_secrets.py).
PASSPHRASE = "TestConfigRoundtripComments"
SALT = "v1:ThS5UPxP9qc=:v1:UZYAXF+ylaJ0rGhv:9OTvBnOEDFgxs7btjzSu+LZ470vLpg=="
SECURE = "v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA=="


def _stacks(tmp_path: Path) -> list[StackSpec]:
    secret = tmp_path / "db"
    secret.mkdir()
    (secret / "Pulumi.dev.yaml").write_text(
        f"encryptionsalt: {SALT}\nconfig:\n  db:password:\n    secure: {SECURE}\n  db:size: small\n"
    )
    plain = tmp_path / "web"
    plain.mkdir()
    (plain / "Pulumi.dev.yaml").write_text("config:\n  web:replicas: 2\n")
    return [
        StackSpec(project=name, environment="dev", stack_name="dev", directory=directory, backend="file:///unused")
        for name, directory in (("db", secret), ("web", plain))
    ]


@pytest.fixture(autouse=True)
def _no_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)


def test_with_the_passphrase_the_plain_secure_values_are_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    assert secret_values(_stacks(tmp_path)) == ["secret-value"]


def test_the_passphrase_may_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    phrase = tmp_path / "phrase"
    phrase.write_text(PASSPHRASE + "\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(phrase))
    assert secret_values(_stacks(tmp_path)) == ["secret-value"]


@pytest.mark.parametrize("setting", ["unset", "unreadable file", "wrong passphrase"])
def test_without_a_usable_passphrase_the_values_are_left_out_and_nothing_fails(
    setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One behaviour for every flow: the run goes on, and each stack's engine reports the problem."""
    if setting == "unreadable file":
        monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(tmp_path / "no-such-file"))
    elif setting == "wrong passphrase":
        monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not it")
    assert secret_values(_stacks(tmp_path)) == []

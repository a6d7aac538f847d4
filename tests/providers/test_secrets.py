"""Pulumi's passphrase secrets provider and the stack's configuration."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from orchestrator.engines.local.secrets import (
    crypter_for_salt,
    load_stack_config,
    new_encryption_salt,
    read_passphrase,
)
from orchestrator.errors import UserError

# From pulumi/pulumi tests/roundtrip/roundtrip_test.go (see fixtures/pulumi/SOURCES.md).
VECTOR_PASSPHRASE = "TestConfigRoundtripComments"
VECTOR_SALT = "v1:ThS5UPxP9qc=:v1:UZYAXF+ylaJ0rGhv:9OTvBnOEDFgxs7btjzSu+LZ470vLpg=="
VECTOR_SECURE = "v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA=="


def test_pulumi_test_vector_decrypts() -> None:
    assert crypter_for_salt(VECTOR_SALT, VECTOR_PASSPHRASE).decrypt(VECTOR_SECURE) == "secret-value"


def test_wrong_passphrase_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="incorrect passphrase for stack proj/dev") as caught:
        crypter_for_salt(VECTOR_SALT, "not it", stack="proj/dev")
    assert caught.value.hint is not None and "PULUMI_CONFIG_PASSPHRASE" in caught.value.hint


def test_round_trip_with_a_new_salt() -> None:
    salt, crypter = new_encryption_salt("s3cret")
    assert re.fullmatch(r"v1:[A-Za-z0-9+/]{11}=:v1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]+", salt)
    sealed = crypter.encrypt("hello wörld")
    assert sealed.startswith("v1:") and sealed != crypter.encrypt("hello wörld"), "a fresh nonce each time"
    reopened = crypter_for_salt(salt, "s3cret")
    assert reopened.decrypt(sealed) == "hello wörld"
    with pytest.raises(UserError, match="incorrect passphrase"):
        crypter_for_salt(salt, "S3cret")


def test_derived_key_is_cached() -> None:
    crypter_for_salt(VECTOR_SALT, VECTOR_PASSPHRASE)
    started = time.perf_counter()
    crypter_for_salt(VECTOR_SALT, VECTOR_PASSPHRASE)
    assert time.perf_counter() - started < 0.05


def test_damaged_ciphertext_is_a_user_error() -> None:
    crypter = crypter_for_salt(VECTOR_SALT, VECTOR_PASSPHRASE)
    with pytest.raises(UserError, match="cannot be decrypted"):
        crypter.decrypt(VECTOR_SECURE[:-6] + "AAAA==")
    with pytest.raises(UserError, match="format"):
        crypter.decrypt("not-a-secret")


def test_read_passphrase_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    assert read_passphrase() is None
    phrase_file = tmp_path / "phrase"
    phrase_file.write_text("from-file\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(phrase_file))
    assert read_passphrase() == "from-file"
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")
    assert read_passphrase() == "", "an empty passphrase is a valid one and wins over the file"
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(tmp_path / "missing"))
    with pytest.raises(UserError, match="cannot read the passphrase file"):
        read_passphrase()


def _write_stack(tmp_path: Path, text: str) -> Path:
    (tmp_path / "Pulumi.dev.yaml").write_text(text)
    return tmp_path


def test_stack_config_merge_order_namespacing_and_json(tmp_path: Path) -> None:
    project_dir = _write_stack(
        tmp_path,
        f"encryptionsalt: {VECTOR_SALT}\n"
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  proj:replicas: 3\n"
        "  debug: true\n"
        "  proj:limits: {cpu: '1', memory: 2}\n"
        "  proj:password:\n"
        f"    secure: {VECTOR_SECURE}\n",
    )
    env_config = {"aws:region": "us-east-1", "proj:replicas": 1, "retention": 3600, "other:key": "kept"}
    cfg = load_stack_config(project_dir, "proj", "dev", env_config, VECTOR_PASSPHRASE)
    assert cfg.values == {
        "aws:region": "eu-west-1",  # the stack file wins over the environment
        "proj:replicas": "3",
        "proj:retention": "3600",  # bare keys take the project's namespace
        "other:key": "kept",
        "proj:debug": "true",
        "proj:limits": '{"cpu":"1","memory":2}',
        "proj:password": "secret-value",
    }
    assert cfg.secret_keys == frozenset({"proj:password"})
    assert cfg.encryption_salt == VECTOR_SALT


def test_stack_config_without_a_stack_file(tmp_path: Path) -> None:
    cfg = load_stack_config(tmp_path, "proj", "organization/proj/dev", {"aws:region": "us-east-1"}, None)
    assert cfg.values == {"aws:region": "us-east-1"}
    assert cfg.secret_keys == frozenset() and cfg.encryption_salt is None


def test_secure_value_without_passphrase_or_with_a_wrong_one(tmp_path: Path) -> None:
    project_dir = _write_stack(
        tmp_path, f"encryptionsalt: {VECTOR_SALT}\nconfig:\n  proj:password:\n    secure: {VECTOR_SECURE}\n"
    )
    with pytest.raises(UserError) as caught:
        load_stack_config(project_dir, "proj", "dev", {}, None)
    assert "Pulumi.dev.yaml" in str(caught.value) and "proj:password" in str(caught.value)
    assert "PULUMI_CONFIG_PASSPHRASE" in str(caught.value)
    with pytest.raises(UserError, match="incorrect passphrase for stack dev"):
        load_stack_config(project_dir, "proj", "dev", {}, "wrong")


def test_bad_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    project_dir = _write_stack(tmp_path, "config:\n  proj:a: [1, 2\n  proj:b: c\n")
    with pytest.raises(UserError, match=r"Pulumi\.dev\.yaml:\d+: malformed YAML"):
        load_stack_config(project_dir, "proj", "dev", {}, None)


def test_project_config_defaults_sit_under_everything(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: proj\nruntime: python\nconfig:\n"
        "  size: {type: integer, default: 2}\n"
        "  color: blue\n"
        "  aws:region: ap-south-1\n"
        "  token: {type: string}\n"
    )
    with pytest.raises(UserError, match="missing configuration value\\(s\\) proj:token"):
        load_stack_config(tmp_path, "proj", "dev", {}, None)
    _write_stack(tmp_path, "config:\n  proj:token: abc\n  proj:color: red\n")
    cfg = load_stack_config(tmp_path, "proj", "dev", {"aws:region": "us-east-1"}, None)
    assert cfg.values == {
        "proj:size": "2",
        "proj:color": "red",
        "aws:region": "us-east-1",
        "proj:token": "abc",
    }

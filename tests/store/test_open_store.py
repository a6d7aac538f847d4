"""Choosing the database and failing clearly: default SQLite, orchestrator.yaml, the env var; bad URLs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from orchestrator.errors import UserError
from orchestrator.store import ENV_VAR, open_store
from orchestrator.store.sql import SqlStore
from orchestrator.store.urls import choose_url, mask_password, with_driver


@pytest.fixture(autouse=True)
def _no_database_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_default_is_sqlite_under_dot_orchestrator(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    try:
        store.audit(actor="a", action="x")
        assert store.backend == "sqlite"
        assert (tmp_path / ".orchestrator" / "orchestrator.db").is_file()
    finally:
        store.close()


def test_settings_url_then_env_var_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configured = tmp_path / "configured.db"
    store = open_store(f"sqlite:///{configured}", tmp_path)
    store.close()
    assert configured.is_file() and not (tmp_path / ".orchestrator").exists()

    from_env = tmp_path / "from-env.db"
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{from_env}")
    store = open_store(f"sqlite:///{configured}", tmp_path)
    store.close()
    assert from_env.is_file()


def test_relative_sqlite_path_is_relative_to_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    (tmp_path / "db").mkdir()
    assert choose_url("sqlite:///db/o.db", tmp_path) == f"sqlite:///{tmp_path.resolve()}/db/o.db"
    store = open_store("sqlite:///db/o.db", tmp_path)
    store.close()
    assert (tmp_path / "db" / "o.db").is_file()


def test_url_helpers() -> None:
    assert mask_password("postgresql://u:s3cr%40t@db:5432/o") == "postgresql://u:***@db:5432/o"
    assert mask_password("not a url u:p@x") == "not a url u:p@x"
    assert mask_password("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert with_driver("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert with_driver("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert with_driver("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "message", "hint"),
    [
        ("not a url", "invalid database URL (not shown: it has no scheme://)", "SQLAlchemy URL"),
        ("mysql://root:hunter22@db/orch", "unsupported database 'mysql'", "SQLite"),
        ("sqlite:////nonexistent/dir/o.db", "/nonexistent/dir", "create it"),
        ("postgresql://orch:hunter22@127.0.0.1:{port}/orch", "database postgresql://orch:***@127.0.0.1",
         "PostgreSQL server is running"),
    ],
)
def test_bad_urls_are_user_errors_without_the_password(url: str, message: str, hint: str) -> None:
    with pytest.raises(UserError) as caught:
        SqlStore(url.format(port=_closed_port()))
    assert message in caught.value.message
    assert caught.value.hint is not None and hint in caught.value.hint
    assert "hunter22" not in str(caught.value)


def test_wrong_password_on_a_real_server_is_a_user_error(postgres_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(with_driver(postgres_url)).set(username="nobody", password="hunter22", database="nothere")
    with pytest.raises(UserError) as caught:
        SqlStore(url.render_as_string(hide_password=False))
    assert "nobody:***@" in caught.value.message and "hunter22" not in str(caught.value)


def test_a_database_that_goes_away_is_a_user_error(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'o.db'}")
    store.close()
    for path in tmp_path.iterdir():
        path.unlink()
    tmp_path.rmdir()
    with pytest.raises(UserError, match="failed"):
        store.audit(actor="a", action="x")

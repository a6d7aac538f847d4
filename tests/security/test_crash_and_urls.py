"""A bug still exits 3, with one line naming a file that holds the redacted traceback; the
terminal never shows a credential. Database URLs are shown with the password hidden, also
when the password holds an `@`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.store.urls import mask_password, with_driver
from tests.security.planted import DATABASE_URL, GITHUB_TOKEN, URL_PASSWORD, leaks_in
from tests.support.foundation_repo import CliResult

RunCli = Callable[..., CliResult]


def test_a_bug_prints_one_line_and_writes_the_redacted_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import orchestrator.config as config
    from orchestrator.cli import main

    def explode(*_args: object, **_kwargs: object) -> None:
        token = GITHUB_TOKEN  # a local the traceback shows
        raise RuntimeError(f"cannot reach {DATABASE_URL} with {token}")

    monkeypatch.setattr(config, "load_repository", explode)
    monkeypatch.setenv("ORCHESTRATOR_CRASH_DIR", str(tmp_path / "crashes"))
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    with pytest.raises(SystemExit) as exited:
        main(["environments", "--repo", str(tmp_path / "repo")])
    err = capsys.readouterr().err

    assert exited.value.code == 3
    assert len(err.strip().splitlines()) == 1, err
    assert "internal error" in err and "RuntimeError: cannot reach postgresql://admin:[secret]@db.internal" in err
    [written] = (tmp_path / "crashes").iterdir()
    assert str(written) in err
    traceback = written.read_text()
    assert "Traceback (most recent call last)" in traceback and "explode" in traceback
    assert leaks_in({"stderr": err, "traceback file": traceback}) == []


@pytest.mark.parametrize(
    ("url", "shown", "driver_url"),
    [
        ("postgresql://bob:s3cret@db/app", "postgresql://bob:***@db/app", "postgresql+psycopg://bob:s3cret@db/app"),
        ("postgresql://bob:p@ss@w0rd@db:5432/app", "postgresql://bob:***@db:5432/app",
         "postgresql+psycopg://bob:p%40ss%40w0rd@db:5432/app"),
        ("postgresql://bob:p%40ss@db/app", "postgresql://bob:***@db/app", "postgresql+psycopg://bob:p%40ss@db/app"),
        ("sqlite:////tmp/a:b@c/orchestrator.db", "sqlite:////tmp/a:b@c/orchestrator.db",
         "sqlite:////tmp/a:b@c/orchestrator.db"),
    ],
)
def test_database_urls_hide_the_password(url: str, shown: str, driver_url: str) -> None:
    assert mask_password(url) == shown
    assert with_driver(url) == driver_url


def test_a_password_with_at_signs_is_never_printed(tmp_path: Path) -> None:
    """The URL is read as browsers read it (the last `@` ends the password), so the driver tries
    the right host and its error holds no piece of the password."""
    url = f"postgresql://admin:{URL_PASSWORD}@x@127.0.0.1:1/app"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    done = subprocess.run([sys.executable, "-m", "orchestrator", "history", "--repo", str(tmp_path)],
                          capture_output=True, text=True, env={**_env(), "ORCHESTRATOR_DATABASE_URL": url}, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "://admin:***@127.0.0.1:1/app" in done.stderr
    assert "x@127" not in done.stderr and URL_PASSWORD not in done.stderr
    assert "Traceback" not in done.stderr


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://admin:{URL_PASSWORD}@db:port/app", "invalid database URL postgresql+psycopg://admin:***@db:port/app"),
        (f"postgresql://admin:{URL_PASSWORD}@[::1:5432/app", "invalid literal for int()"),
        (f"sqlite://admin:{URL_PASSWORD}@/x.db", "Invalid SQLite URL: sqlite://admin:***@/x.db"),
        (f"not a url {URL_PASSWORD}", "invalid database URL (not shown: it has no scheme://)"),
    ],
)
def test_a_malformed_database_url_is_a_clear_error_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: RunCli, url: str, shown: str
) -> None:
    """A port that is not a number, an unclosed IPv6 bracket, credentials in a SQLite URL or a
    value that is no URL at all: exit 1 naming the problem, never a bug (exit 3) or the password."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setenv("ORCHESTRATOR_DATABASE_URL", url)
    done = run_cli("history", "--repo", tmp_path)
    assert done.code == 1, (done.out, done.err)
    assert shown in done.err and "internal error" not in done.err
    assert leaks_in({"stderr": done.err, "stdout": done.out}) == []

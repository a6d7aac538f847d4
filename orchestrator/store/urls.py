"""Database URLs: which one to use, how to show it without its password, which driver serves it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote, unquote

ENV_VAR = "ORCHESTRATOR_DATABASE_URL"
DEFAULT_RELATIVE_PATH = Path(".orchestrator") / "orchestrator.db"

_PASSWORD_IN_URL = re.compile(r"(?P<head>://[^/@:\s]*:)[^/@\s]*@")
_DRIVERLESS_POSTGRES = re.compile(r"^(postgres|postgresql)://")


def mask_password(url: str) -> str:
    """`url` with any password replaced by `***`, even when the URL does not parse."""
    return _PASSWORD_IN_URL.sub(r"\g<head>***@", quote_password(url))


def quote_password(url: str) -> str:
    """`url` with its password percent-encoded, so `@`, `/` or `:` in it stay in it.

    `postgresql://bob:p@ss@host/db` means the password `p@ss` at `host`, as browsers and
    `urllib` read it (the last `@` ends the user part); SQLAlchemy would read the host
    `ss@host` and print a piece of the password in its error. Already-encoded passwords
    (`p%40ss`) are kept as they are.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    before_query, qsep, query = rest.partition("?")
    userinfo, at, hostpart = before_query.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not at or not colon or "/" in user:  # no password, or a path (sqlite:////a:b@c)
        return url
    return f"{scheme}://{user}:{quote(unquote(password), safe='')}@{hostpart}{qsep}{query}"


def with_driver(url: str) -> str:
    """Plain `postgresql://` (and Heroku-style `postgres://`) means psycopg 3, the driver we ship."""
    return _DRIVERLESS_POSTGRES.sub("postgresql+psycopg://", quote_password(url))


def default_url(repo_root: Path) -> str:
    return f"sqlite:///{(repo_root / DEFAULT_RELATIVE_PATH).resolve()}"


def choose_url(settings_database_url: str | None, repo_root: Path) -> str:
    """ORCHESTRATOR_DATABASE_URL wins over orchestrator.yaml's `database`, which wins over the default."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    url = from_env or (settings_database_url or "").strip()
    if not url:
        return default_url(repo_root)
    return _anchor_sqlite_path(with_driver(url), repo_root)


def _anchor_sqlite_path(url: str, repo_root: Path) -> str:
    # A relative SQLite path in orchestrator.yaml means relative to the repository, not
    # to wherever the command happens to run (`--repo PATH` works from anywhere).
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    path, sep, query = url[len(prefix):].partition("?")
    if not path or path == ":memory:" or path.startswith("/"):
        return url
    return f"{prefix}{(repo_root / path).resolve()}{sep}{query}"

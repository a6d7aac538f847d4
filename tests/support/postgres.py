"""A real PostgreSQL server for the tests (a pytest plugin: `postgres_url`, `postgres_schema_url`).

PostgreSQL comes from $ORCHESTRATOR_TEST_POSTGRES_URL (a database the tests may create
schemas in), else from a throwaway cluster this fixture starts with Debian's `initdb` /
`pg_ctl` on a free loopback port (as the `postgres` OS user when running as root) and
stops at the end of the session. When neither works the PostgreSQL tests fail under
CI=true or ORCHESTRATOR_REQUIRE_POSTGRES=1 (set by .ci/run) and are skipped, with the
reason, elsewhere.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_URL_VAR = "ORCHESTRATOR_TEST_POSTGRES_URL"


class PostgresUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Cluster:
    bin_dir: Path
    base: Path
    url: str
    as_postgres: bool

    def stop(self) -> None:
        _run_pg(self, "pg_ctl", "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable("no initdb found (install Debian's `postgresql` package)")


def _run_pg(cluster: Cluster, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(cluster.bin_dir / tool), *args]
    if cluster.as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if check and result.returncode != 0:
        raise PostgresUnavailable(f"{tool} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_cluster() -> Cluster:
    bin_dir = _bin_dir()
    as_postgres = os.geteuid() == 0  # initdb refuses to run as root
    if as_postgres and shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root but `runuser` is missing")
    base = Path(tempfile.mkdtemp(prefix="orchestrator-pg-"))
    if as_postgres:
        shutil.chown(base, user="postgres", group="postgres")
    port = _free_port()
    cluster = Cluster(bin_dir, base, f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", as_postgres)
    try:
        _run_pg(cluster, "initdb", "-D", str(base / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                "--no-sync")
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run_pg(cluster, "pg_ctl", "-D", str(base / "data"), "-o", options, "-l", str(base / "log"), "-w",
                "-t", "30", "start")
    except (PostgresUnavailable, OSError, subprocess.TimeoutExpired) as exc:
        log = base / "log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"{exc}\n{detail}") from exc
    return cluster


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server's URL for the session."""
    given = os.environ.get(PG_URL_VAR, "").strip()
    if given:
        yield given
        return
    try:
        cluster = _start_cluster()
    except PostgresUnavailable as exc:
        reason = f"no PostgreSQL: set {PG_URL_VAR} or install Debian's postgresql ({exc})"
        if os.environ.get("CI") == "true" or os.environ.get("ORCHESTRATOR_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _schema_url(base_url: str, schema: str) -> str:
    from sqlalchemy.engine import make_url

    from orchestrator.store.urls import with_driver

    url = make_url(with_driver(base_url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own, dropped afterwards."""
    import sqlalchemy as sa

    from orchestrator.store.urls import with_driver

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(with_driver(postgres_url))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(postgres_url, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

"""The embedded AWS: moto's server on 127.0.0.1, for the local engine, the demo and the tests.

moto keeps its state in memory, so a sandbox that must outlive one command runs in its own
long-lived process (`orchestrator sandbox start`), found again through a pid file and a
port file under `<repo>/.orchestrator/`. `InProcessSandbox` runs one inside the current
process instead (tests, demo). Note: moto's state is global to a process, so every
in-process sandbox of one process sees the same resources.

moto is imported inside functions only: the CLI imports this module at start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from orchestrator.errors import UserError
from orchestrator.fsutil import atomic_write, pid_alive
from orchestrator.models import AwsSettings
from orchestrator.sandbox_gaps import close_gaps

SANDBOX_ENDPOINT = "sandbox"  # the value of `aws.endpoint` that means "the embedded AWS"
ENDPOINT_ENV = "ORCHESTRATOR_SANDBOX_ENDPOINT"  # overrides the lookup (tests, demo)
RUNTIME_DIR = ".orchestrator"
PID_FILE = "sandbox.pid"
PORT_FILE = "sandbox.port"
LOG_FILE = "sandbox.log"
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SandboxStatus:
    running: bool
    endpoint: str | None
    pid: int | None

    def to_json(self) -> dict[str, Any]:
        return {"running": self.running, "endpoint": self.endpoint, "pid": self.pid}


def _quiet_request_log() -> None:
    # werkzeug logs every request at INFO: noise in tests, and a log that grows without end.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _endpoint(port: int) -> str:
    return f"http://{HOST}:{port}"


class InProcessSandbox:
    """moto's server in a thread of this process: `with InProcessSandbox() as sb: sb.endpoint`."""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: Any = None
        self._endpoint: str | None = None

    @property
    def endpoint(self) -> str:
        if self._endpoint is None:
            raise RuntimeError("the sandbox is not started")
        return self._endpoint

    def start(self) -> str:
        from moto.server import ThreadedMotoServer

        close_gaps()
        _quiet_request_log()
        server = ThreadedMotoServer(ip_address=HOST, port=self._port, verbose=False)
        server.start()
        _, port = server.get_host_and_port()
        self._server = server
        self._endpoint = _endpoint(int(port))
        # moto's backends are global to the process: without a reset, a new sandbox would
        # start with whatever an earlier one in this process (another test module) created.
        self.reset()
        return self._endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            self._endpoint = None

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def __enter__(self) -> InProcessSandbox:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------------------
# The background sandbox process
# --------------------------------------------------------------------------------------
def runtime_dir(repo_root: Path) -> Path:
    return repo_root / RUNTIME_DIR


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _process_alive(pid: int) -> bool:
    """True when `pid` runs and is a sandbox server (not a zombie, not a recycled pid)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it was our own child
    if not pid_alive(pid):
        return False
    try:
        return b"orchestrator.sandbox" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc").is_dir()  # no /proc (not Linux): trust the pid
    except OSError:
        return False


def status(repo_root: Path) -> SandboxStatus:
    """Whether this repository's background sandbox runs; a stale pid file means it does not."""
    directory = runtime_dir(repo_root)
    pid = _read_int(directory / PID_FILE)
    port = _read_int(directory / PORT_FILE)
    if pid is None or port is None or not _process_alive(pid):
        return SandboxStatus(running=False, endpoint=None, pid=None)
    return SandboxStatus(running=True, endpoint=_endpoint(port), pid=pid)


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _clear_files(directory: Path) -> None:
    for name in (PID_FILE, PORT_FILE):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()


def start_background(repo_root: Path) -> SandboxStatus:
    """Start the sandbox as a detached process (idempotent) and wait until it answers."""
    current = status(repo_root)
    if current.running:
        return current
    directory = runtime_dir(repo_root)
    directory.mkdir(parents=True, exist_ok=True)
    _clear_files(directory)
    log_path = directory / LOG_FILE
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    # Programs attach AWS-managed policies (arn:aws:iam::aws:policy/...); moto knows them only
    # when asked. It costs about a second at the first IAM call, once per long-lived sandbox.
    env.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.sandbox", "serve", "--dir", str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives the command (and its terminal) that started it
            close_fds=True,
            env=env,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise UserError(
                f"the embedded AWS sandbox exited at start-up (code {child.returncode}); "
                f"log {log_path}:\n{_log_tail(log_path)}"
            )
        found = status(repo_root)
        if found.running and found.pid == child.pid and found.endpoint and _answers(found.endpoint):
            return found
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGKILL)
    raise UserError(
        f"the embedded AWS sandbox did not answer within {START_TIMEOUT_S:.0f} s; log {log_path}:\n"
        f"{_log_tail(log_path)}"
    )


def stop(repo_root: Path) -> SandboxStatus:
    """Stop this repository's background sandbox (its resources are forgotten)."""
    directory = runtime_dir(repo_root)
    current = status(repo_root)
    if current.running and current.pid is not None:
        os.kill(current.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _process_alive(current.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _process_alive(current.pid):
            os.kill(current.pid, signal.SIGKILL)
        # When this process started it, reap it now so no zombie is left behind.
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(current.pid, 0)
    _clear_files(directory)
    return SandboxStatus(running=False, endpoint=None, pid=None)


def resolve_endpoint(aws: AwsSettings, repo_root: Path | None) -> str | None:
    """The URL the AWS provider talks to: `sandbox` → the running sandbox; a URL as is; None → AWS."""
    if aws.endpoint is None or aws.endpoint.strip() == "":
        return None
    if aws.endpoint != SANDBOX_ENDPOINT:
        return aws.endpoint
    override = os.environ.get(ENDPOINT_ENV)
    if override:
        return override
    if repo_root is not None:
        found = status(repo_root)
        if found.running and found.endpoint:
            return found.endpoint
    raise UserError(
        "the embedded AWS sandbox is not running; start it with `orchestrator sandbox start`",
        hint=f"the environment's aws.endpoint is `{SANDBOX_ENDPOINT}`"
        + ("" if repo_root is None else f"; looked for {runtime_dir(repo_root) / PID_FILE}"),
    )


# --------------------------------------------------------------------------------------
# `python -m orchestrator.sandbox serve`: the long-lived process itself
# --------------------------------------------------------------------------------------
def _serve(directory: Path, port: int) -> int:
    from moto.server import ThreadedMotoServer

    close_gaps()
    directory.mkdir(parents=True, exist_ok=True)
    _quiet_request_log()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    _, bound = server.get_host_and_port()
    finished = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        finished.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    # The port first: a reader trusts the pair only once the pid file names this process.
    atomic_write(directory / PORT_FILE, f"{bound}\n")
    atomic_write(directory / PID_FILE, f"{os.getpid()}\n")
    print(f"sandbox serving on {_endpoint(int(bound))} (pid {os.getpid()})", flush=True)
    while not finished.wait(1.0):
        pass
    if _read_int(directory / PID_FILE) == os.getpid():
        _clear_files(directory)
    server.stop()
    print("sandbox stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run moto's server on 127.0.0.1 until SIGTERM")
    serve.add_argument("--dir", type=Path, required=True, help="where to write the pid and port files")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    return _serve(args.dir, args.port)


if __name__ == "__main__":
    sys.exit(main())

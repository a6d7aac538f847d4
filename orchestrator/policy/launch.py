"""Starting a Python policy pack the way the Pulumi CLI does, and finding the port it serves.

The CLI starts a Python pack with `python -u -m pulumi.policy <engine address> <pack dir>` in
the pack's directory (pulumi-language-python's RunPlugin, formerly the
`pulumi-analyzer-policy-python` shim), in the CLI's own environment: since the language host
runs packs, no stack variables are added (the shim's `constructEnv` did); the stack comes
through `ConfigureStack`. The pack's `PolicyPack(...)` serves Pulumi's `Analyzer` gRPC service
on 127.0.0.1 and prints its port as the first line of stdout. (`python -c _BOOT` runs that same
module, after giving gRPC's logger a handler: an exception a policy raises then reaches the
pack's stderr, and `raised_in_pack` says which, where.)

This is the only module that starts pack processes. Failures a user can fix (a pack that does
not start, a syntax error, a missing SDK, another runtime) are `PackError`s naming the pack.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import UserError
from orchestrator.models import PolicyPackRef

START_TIMEOUT_S = 60.0
_YAML_HINT = "PulumiPolicy.yaml is YAML holding at least `runtime: python` (and optionally `description:`)"
# The pack runs as `python -m pulumi.policy` does, with one addition: gRPC logs an exception a
# policy raises to a logger that has only a NullHandler, so it would be lost; a stream handler
# sends it to the pack's stderr, where the engine reads the policy's file, line and error.
_BOOT = (
    "import logging, runpy, pulumi.policy; "
    "logging.getLogger('grpc._server').addHandler(logging.StreamHandler()); "
    "runpy.run_module('pulumi.policy', run_name='__main__', alter_sys=True)"
)
_NO_ENGINE = "127.0.0.1:0"  # the pack is given an engine address; ours serves none (its logs go to stderr)


class PackError(UserError):
    """A policy pack that cannot run: its message names the pack."""


def pack_python(directory: Path, label: str | None = None) -> str:
    """The interpreter a pack runs with: its declared virtualenv (`runtime.options.virtualenv`
    in PulumiPolicy.yaml) when that exists, as the CLI does; else this orchestrator's own,
    which has the Pulumi SDK and `pulumi-policy`. `label`: the pack as the user wrote it."""
    runtime = _runtime(directory, label)
    options = runtime.get("options") if isinstance(runtime.get("options"), dict) else {}
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if isinstance(venv, str) and venv:
        python = (directory / venv / "bin" / "python").absolute()
        if python.exists():
            return str(python)
    return sys.executable


def _runtime(directory: Path, label: str | None = None) -> dict[str, Any]:
    from orchestrator.errors import ConfigError
    from orchestrator.yamlfile import load_file

    label = label or str(directory)
    path = directory / "PulumiPolicy.yaml"
    if not path.exists():
        raise PackError(f"policy pack {label}: no PulumiPolicy.yaml",
                        hint=f"a policy pack is a directory holding PulumiPolicy.yaml (`runtime: python`) "
                        f"and __main__.py; check the pack's path ({label})")
    try:
        raw = load_file(path) or {}
    except ConfigError as exc:
        where = exc.message.replace(str(directory) + os.sep, f"{label}/")
        raise PackError(f"policy pack {label}: {where}", hint=_YAML_HINT) from None
    runtime = raw.get("runtime") if isinstance(raw, dict) else None
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise PackError(
            f"policy pack {label}: runtime {name!r} in {label}/PulumiPolicy.yaml; the local engine runs Python "
            "policy packs only",
            hint="use `engine: pulumi` for packs in other languages, or write the pack with pulumi-policy",
        )
    return runtime if isinstance(runtime, dict) else {"name": name}


@dataclass(frozen=True)
class Launched:
    """A started pack, as another process can find it: the first line of `port_file` is the
    port it serves; `exit_file` appears with its exit code when it ends; `stderr_file` holds what
    it printed there (the reason, when it failed to start)."""

    pack: PolicyPackRef
    port_file: Path
    exit_file: Path
    stderr_file: Path

    def to_json(self) -> dict[str, str]:
        return {"path": self.pack.path, "port_file": str(self.port_file), "exit_file": str(self.exit_file),
                "stderr_file": str(self.stderr_file)}

    @classmethod
    def from_json(cls, pack: PolicyPackRef, raw: Mapping[str, str]) -> Launched:
        return cls(pack, Path(raw["port_file"]), Path(raw["exit_file"]), Path(raw["stderr_file"]))


class PackLauncher:
    """Starts each pack's program at once (they boot while the caller does other work) and ends
    them on `close()`. A pack started here may be used from another process (`Launched`): the
    local engine starts the packs of an update once, for its preview and its apply."""

    def __init__(self, packs: Sequence[PolicyPackRef]) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="orchestrator-packs-") if packs else None
        self._procs: list[subprocess.Popen[bytes]] = []
        self.launched: list[Launched] = []
        try:
            for index, pack in enumerate(packs):
                self.launched.append(self._start(index, pack))
        except BaseException:
            self.close()
            raise

    def _start(self, index: int, pack: PolicyPackRef) -> Launched:
        directory = pack.directory.resolve()
        python = pack_python(directory, pack.path)  # PackError for a pack that is not a Python one
        assert self._tmp is not None
        base = Path(self._tmp.name) / str(index)
        launched = Launched(pack, base.with_suffix(".port"), base.with_suffix(".exit"), base.with_suffix(".stderr"))
        with launched.port_file.open("wb") as stdout, launched.stderr_file.open("wb") as stderr:
            proc = subprocess.Popen(
                [python, "-u", "-c", _BOOT, _NO_ENGINE, str(directory)],
                cwd=directory,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                preexec_fn=_die_with_parent,  # only a prctl: safe between fork and exec
            )
        self._procs.append(proc)
        threading.Thread(target=_record_exit, args=(proc, launched.exit_file), daemon=True,
                         name=f"policy-{pack.path}").start()
        return launched

    def close(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)
        self._procs = []
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> list[Launched]:
        return self.launched

    def __exit__(self, *exc: object) -> None:
        self.close()


def _record_exit(proc: subprocess.Popen[bytes], exit_file: Path) -> None:
    code = proc.wait()
    with contextlib.suppress(OSError):
        exit_file.write_text(str(code))


def wait_for_address(launched: Launched, timeout_s: float = START_TIMEOUT_S) -> str:
    """The address a started pack serves on, once it does; PackError with its output if it does not."""
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        port = _first_line(launched.port_file)
        if port is not None:
            if port.isdigit():
                return f"127.0.0.1:{port}"
            raise PackError(_start_failure(launched, f"printed {port!r} instead of its port"),
                            hint=_start_hint(launched))
        if launched.exit_file.exists():
            code = launched.exit_file.read_text().strip()
            raise PackError(_start_failure(launched, f"exited with code {code}"), hint=_start_hint(launched))
        if time.monotonic() > deadline:
            raise PackError(f"policy pack {launched.pack.path} did not start within {timeout_s:.0f}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _first_line(path: Path) -> str | None:
    try:
        text = path.read_bytes()
    except OSError:
        return None
    line, newline, _ = text.partition(b"\n")
    return line.decode(errors="replace").strip() if newline else None


def _start_failure(launched: Launched, how: str) -> str:
    """One line: what stopped the pack, and where in its own files."""
    pack = launched.pack
    found = last_exception(_stderr(launched), pack.directory.resolve(), pack.path)
    return f"policy pack {pack.path} failed to start ({how}): {found or 'it printed no error'}"


def _start_hint(launched: Launched) -> str:
    path = launched.pack.path
    missing = re.search(r"No module named '([^']+)'", _stderr(launched))
    if missing and missing.group(1).split(".")[0] in ("pulumi", "pulumi_policy"):
        return (
            f"the Python that runs {path} lacks the Pulumi policy SDK: install `pulumi-policy` in the "
            "virtualenv its PulumiPolicy.yaml names, or remove that option to run it with the orchestrator's own"
        )
    if missing:
        return (f"{path} imports {missing.group(1)!r}, which the Python that runs it lacks: install it in the "
                "virtualenv its PulumiPolicy.yaml names (runtime.options.virtualenv)")
    return f"fix the pack's program ({path}/__main__.py); it must end by serving a PolicyPack(...)"


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))(?::\s?(?P<text>.*))?$")


def last_exception(stderr: str, home: Path, label: str) -> str | None:
    """The last Python exception in a pack's stderr as one line: `KeyError: 'tags'
    (policies/guard/__main__.py, line 12, in check_tags)`, the place being the innermost frame in
    the pack's own files (paths shown from the pack's label); None when there is none."""
    lines = stderr.splitlines()
    start = max((i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")),
                default=None)
    if start is None:
        return None
    block = lines[start + 1:]
    error = next((m for m in (_EXCEPTION.match(line.strip()) for line in reversed(block)) if m), None)
    if error is None:
        return None
    prefix = str(home) + os.sep
    frames = [m for m in (_FRAME.match(line) for line in block) if m and m.group("file").startswith(prefix)]
    text = f"{error.group('type')}: {error.group('text')}" if error.group("text") else error.group("type")
    if not frames:
        return text
    frame = frames[-1]
    where = f"{label}/{frame.group('file')[len(prefix):]}, line {frame.group('line')}"
    return f"{text} ({where}{', in ' + frame.group('func') if frame.group('func') else ''})"


def raised_in_pack(launched: Launched) -> str | None:
    """What a running pack's policy raised last (gRPC logged it to the pack's stderr), one line."""
    return last_exception(_stderr(launched), launched.pack.directory.resolve(), launched.pack.path)


def _stderr(launched: Launched) -> str:
    try:
        return launched.stderr_file.read_text(errors="replace")
    except OSError:
        return ""


def _die_with_parent() -> None:
    """The pack dies with the process that started it, even when that one is killed."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

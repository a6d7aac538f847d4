"""Program environments as Pulumi makes them: the project's requirements installed in a
virtual environment, and the child runner running inside it.

`runtime.options` in Pulumi.yaml (`virtualenv`, `toolchain: pip|poetry|uv`) and the
project's `requirements.txt` / `pyproject.toml` say what the program needs:

- nothing, or only what the orchestrator's own environment already has at suitable versions
  (the usual `pulumi>=3,<4` / `pulumi-aws>=7,<8`): the child runs in the orchestrator's own
  interpreter, today's fast path;
- a `virtualenv` directory that exists in the checkout: the child runs in it;
- otherwise one virtual environment per distinct set of requirement files, created on first
  use under `.orchestrator/venvs/<hash of the files>` and reused. Its site-packages come
  first; a `.pth` file appends the orchestrator's own package and site-packages after them,
  so the program gets the versions it asked for and the child still finds what it needs,
  and pip sees the SDKs already present (nothing is downloaded twice). Packages come from
  pip's own configuration (pip.conf, `PIP_INDEX_URL`, `PIP_FIND_LINKS`...), so an offline
  index works as it does for pip.

A package that cannot be installed fails the stack with one line naming it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import site
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchestrator.errors import UserError

Toolchain = Literal["pip", "poetry", "uv"]
TOOLCHAINS: tuple[Toolchain, ...] = ("pip", "poetry", "uv")
CACHE_ENV = "ORCHESTRATOR_VENV_DIR"
READY = ".orchestrator-ready"
_PACKAGE_ROOT = Path(__file__).resolve().parents[3]
_INSTALL_TIMEOUT_S = 1800


@dataclass(frozen=True)
class ProgramRuntime:
    """What Pulumi.yaml's `runtime.options` say about the program's environment."""

    toolchain: Toolchain = "pip"
    virtualenv: str | None = None


@dataclass(frozen=True)
class Requirements:
    """The program's declared requirements: the files that hold them and the requirement
    strings (PEP 508) read from them."""

    files: tuple[Path, ...]
    specs: tuple[str, ...]
    simple: bool  # only plain `name[extras] specifier` lines: checkable against what is installed


@dataclass(frozen=True)
class ProgramEnvironment:
    """The interpreter the child runs in; `isolated` when it is not the orchestrator's own."""

    python: Path
    isolated: bool
    extra_paths: tuple[str, ...] = ()


def runtime_options(raw_runtime: object, source: Path) -> ProgramRuntime:
    options = raw_runtime.get("options") if isinstance(raw_runtime, dict) else None
    if not isinstance(options, dict):
        return ProgramRuntime()
    toolchain = options.get("toolchain", "pip")
    if toolchain not in TOOLCHAINS:
        raise UserError(
            f"{source}: runtime.options.toolchain {toolchain!r} is not one of {', '.join(TOOLCHAINS)}",
            "use the toolchain Pulumi knows for Python programs",
        )
    virtualenv = options.get("virtualenv")
    return ProgramRuntime(toolchain=toolchain, virtualenv=str(virtualenv) if virtualenv else None)


def program_environment(project_dir: Path, runtime: ProgramRuntime, cache_dir: Path) -> ProgramEnvironment:
    """The interpreter for the project's program, building its virtual environment if needed."""
    own = ProgramEnvironment(python=Path(sys.executable), isolated=False)
    if runtime.virtualenv:
        existing = project_dir / runtime.virtualenv / "bin" / "python"
        if existing.exists():
            _same_python(existing, project_dir / runtime.virtualenv)
            return ProgramEnvironment(python=existing, isolated=True, extra_paths=_own_paths())
    requirements = read_requirements(project_dir, runtime)
    if not requirements.files or (requirements.simple and all(_satisfied(s) for s in requirements.specs)):
        return own
    venv = cache_dir / _key(requirements, runtime)
    _ensure_venv(venv, requirements, runtime, project_dir)
    return ProgramEnvironment(python=venv / "bin" / "python", isolated=True, extra_paths=_own_paths())


def default_cache_dir(repo_root: Path | None) -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    if repo_root is not None:
        return repo_root / ".orchestrator" / "venvs"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "orchestrator" / "venvs"


# --------------------------------------------------------------------------- requirement files


def read_requirements(project_dir: Path, runtime: ProgramRuntime) -> Requirements:
    requirements_txt = project_dir / "requirements.txt"
    pyproject = project_dir / "pyproject.toml"
    if runtime.toolchain == "pip" and requirements_txt.exists():
        return _from_requirements_txt(requirements_txt)
    if pyproject.exists():
        return _from_pyproject(pyproject, project_dir)
    if requirements_txt.exists():
        return _from_requirements_txt(requirements_txt)
    return Requirements(files=(), specs=(), simple=True)


def _from_requirements_txt(path: Path) -> Requirements:
    specs: list[str] = []
    simple = True
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-") or "://" in line or ";" in line or line.startswith((".", "/")):
            simple = False  # options, URLs, markers, local paths: pip decides
        specs.append(line)
    return Requirements(files=(path,), specs=tuple(specs), simple=simple)


def _from_pyproject(path: Path, project_dir: Path) -> Requirements:
    import tomllib

    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc
    specs = [str(s) for s in (data.get("project") or {}).get("dependencies") or ()]
    poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    for name, constraint in poetry.items():
        if name.lower() != "python":
            specs.append(_poetry_requirement(name, constraint, path))
    files = [path, *(p for p in (project_dir / "poetry.lock", project_dir / "uv.lock") if p.exists())]
    return Requirements(files=tuple(files), specs=tuple(specs), simple=all(";" not in s for s in specs))


def _poetry_requirement(name: str, constraint: object, source: Path) -> str:
    """A Poetry dependency as a PEP 508 requirement: `^1.2` → `>=1.2,<2.0`, `~1.2` → `~=1.2`."""
    if isinstance(constraint, dict):
        constraint = constraint.get("version", "*")
    text = str(constraint).strip()
    if text in ("", "*"):
        return name
    if text.startswith("^"):
        parts = [int(p) for p in re.findall(r"\d+", text)]
        if not parts:
            raise UserError(f"{source}: cannot read the version constraint {text!r} of {name}")
        first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
        upper = [*parts[:first], parts[first] + 1]
        return f"{name}>={text[1:]},<{'.'.join(map(str, upper))}"
    if text.startswith("~") and not text.startswith("~="):
        return f"{name}~={text[1:]}" if text.count(".") >= 1 else f"{name}>={text[1:]}"
    if text[0].isdigit():
        return f"{name}=={text}"
    return f"{name}{text}"


def _satisfied(spec: str) -> bool:
    """Whether the orchestrator's own environment already has this requirement."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        return False
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return False
    return requirement.specifier.contains(version, prereleases=True)


def _key(requirements: Requirements, runtime: ProgramRuntime) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([runtime.toolchain, sys.version, sys.prefix, list(requirements.specs)]).encode())
    for path in requirements.files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- building


def _own_paths() -> tuple[str, ...]:
    """Where the child's own imports live: the orchestrator package and its site-packages."""
    paths = [str(_PACKAGE_ROOT), *site.getsitepackages()]
    user = site.getusersitepackages()
    if user and Path(user).is_dir():
        paths.append(user)
    return tuple(dict.fromkeys(p for p in paths if Path(p).is_dir()))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _ensure_venv(venv: Path, requirements: Requirements, runtime: ProgramRuntime, project_dir: Path) -> None:
    if (venv / READY).exists():
        return
    with _locked(venv.with_name(venv.name + ".lock")):
        if (venv / READY).exists():
            return  # another process built it while we waited
        shutil.rmtree(venv, ignore_errors=True)  # a build that was interrupted
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                       capture_output=True)
        where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        purelib = subprocess.run([str(venv / "bin" / "python"), "-c", where],
                                 check=True, capture_output=True, text=True).stdout.strip()
        Path(purelib, "_orchestrator_child.pth").write_text("\n".join(_own_paths()) + "\n")
        _install(venv, requirements, runtime, project_dir)
        (venv / READY).write_text(json.dumps({"files": [str(f) for f in requirements.files],
                                              "specs": list(requirements.specs)}))


def _install(venv: Path, requirements: Requirements, runtime: ProgramRuntime, project_dir: Path) -> None:
    python = str(venv / "bin" / "python")
    uv = shutil.which("uv") if runtime.toolchain == "uv" else None
    if uv is not None:
        command = [uv, "pip", "install", "--python", python, "-r", str(requirements.files[0])]
    elif requirements.files[0].name == "requirements.txt":
        command = [sys.executable, "-m", "pip", "--python", python, "install", "--disable-pip-version-check",
                   "-r", str(requirements.files[0])]
    else:
        # poetry/uv toolchains without the tool here: the dependencies pyproject.toml declares.
        command = [sys.executable, "-m", "pip", "--python", python, "install", "--disable-pip-version-check",
                   *requirements.specs]
    try:
        done = subprocess.run(command, cwd=project_dir, capture_output=True, text=True, timeout=_INSTALL_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise UserError(
            f"installing the requirements of {project_dir} took longer than {_INSTALL_TIMEOUT_S} s"
        ) from exc
    if done.returncode != 0:
        raise UserError(install_failure(done.stdout + "\n" + done.stderr, requirements.files[0]))


_NO_MATCH = re.compile(r"No matching distribution found for ([^\s]+)")
_NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement ([^\s]+)")
_BUILD = re.compile(r"(?:Failed to build|Failed building wheel for|Could not build wheels for) ([^\s,]+)")
_UV_NONE = re.compile(r"Because ([^\s]+) was not found in the package registry")


_CONFLICT = re.compile(r"Cannot install (.+?) because these package versions have conflicting dependencies")
_LINE = re.compile(r"-r \S+ \(line (\d+)\)")


def install_failure(output: str, source: Path) -> str:
    """One line naming the package pip (or uv) could not install, from its output."""
    conflict = _CONFLICT.search(output)
    if conflict:
        lines = source.read_text().splitlines() if source.exists() else []

        def named(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            return lines[index].split("#", 1)[0].strip() if 0 <= index < len(lines) else match.group(0)

        return f"cannot install the requirements in {source}: {_LINE.sub(named, conflict.group(1))} conflict"
    for pattern, why in ((_NO_MATCH, "no matching distribution in the package index"),
                         (_NO_VERSION, "no matching distribution in the package index"),
                         (_UV_NONE, "not found in the package registry"),
                         (_BUILD, "it failed to build")):
        found = pattern.search(output)
        if found:
            return f"cannot install {found.group(1)} for {source}: {why}"
    errors = [line.strip() for line in output.splitlines() if line.strip().startswith(("ERROR", "error"))]
    detail = errors[-1] if errors else (output.strip().splitlines() or ["no output"])[-1]
    return f"cannot install the requirements in {source}: {detail[:300]}"


def _same_python(python: Path, venv: Path) -> None:
    found = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True)
    ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if found.returncode != 0 or found.stdout.strip() != ours:
        raise UserError(
            f"the virtualenv {venv} runs Python {found.stdout.strip() or '(unknown)'}, the orchestrator {ours}; "
            "the local engine runs the program with its own providers, which need the same version",
            f"remove {venv} to let the orchestrator build an environment from the requirements",
        )

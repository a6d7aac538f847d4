"""How the generated CI installs the orchestrator: always one pinned, verifiable source.

Never a bare package name: `gitops-orchestrator` is not claimed on the package index, and
whoever claimed it would run code with the workflow's token and the stacks' credentials. The
source comes from `ci.install` in orchestrator.yaml; without one, from where the running
orchestrator itself was installed (pip records it, PEP 610: a git URL and commit, a wheel
URL and its hash, or the clone an editable install points at: its `origin` and HEAD).
When nothing pins it, the generated CI fails with a message saying to set `ci.install`.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from orchestrator.config.load import CONFIG_FILE, load_settings
from orchestrator.config.resolved import InstallSource
from orchestrator.config.tree import WorkTree
from orchestrator.errors import UserError
from orchestrator.git import GitRepo

DISTRIBUTION = "gitops-orchestrator"
_SHA = re.compile(r"^[0-9a-f]{40}$")
_SCP_LIKE = re.compile(r"^git@([\w.-]+):(.+?)(?:\.git)?/?$")


def resolve_install(root: Path) -> tuple[InstallSource | None, str]:
    """The source the CI files install from, and a note saying where it came from (or why none)."""
    try:
        configured = load_settings(WorkTree(root)).ci_install
    except UserError:
        configured = None  # a broken orchestrator.yaml is reported by the rest of init
    if configured is not None:
        return configured, f"CI installs the orchestrator from {configured.describe()} (ci.install)"
    found, where = installed_from()
    if found is not None:
        return found, (
            f"CI installs the orchestrator from {found.describe()}, where this one was installed from ({where}); "
            f"ci.install in {CONFIG_FILE} records it"
        )
    return None, (
        f"CI cannot install the orchestrator: nothing pins it ({where}). Set ci.install in {CONFIG_FILE} "
        "(git and commit, wheel and sha256, or a hash-pinned requirements file); until then the generated "
        "jobs stop with that message"
    )


def installed_from(distribution: str = DISTRIBUTION) -> tuple[InstallSource | None, str]:
    """Where pip installed `distribution` from, as a pinned source (PEP 610 direct_url.json)."""
    try:
        text = importlib.metadata.distribution(distribution).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None, f"{distribution} is not installed as a distribution"
    if not text:
        return None, f"{distribution} was installed from a package index, which records no pin"
    return from_direct_url(json.loads(text))


def from_direct_url(data: dict[str, Any]) -> tuple[InstallSource | None, str]:
    url = str(data.get("url") or "")
    vcs = data.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and _SHA.match(str(vcs.get("commit_id") or "")):
        repository = https_url(url)
        if repository:
            return InstallSource(git=repository, commit=str(vcs["commit_id"])), f"git {url}"
        return None, f"installed from {url}, which is not an https:// repository CI can fetch"
    archive = data.get("archive_info") or {}
    digest = str(archive.get("hash") or (archive.get("hashes") or {}).get("sha256") or "")
    digest = digest.removeprefix("sha256=")
    if url.startswith("https://") and url.endswith(".whl") and re.fullmatch(r"[0-9a-f]{64}", digest):
        return InstallSource(wheel=url, sha256=digest), f"wheel {url}"
    if url.startswith("file://"):
        return from_clone(Path(unquote(urlsplit(url).path)))
    return None, f"installed from {url or 'an unknown place'}"


def from_clone(directory: Path) -> tuple[InstallSource | None, str]:
    """A local clone: its `origin` (https) at HEAD. The commit must be pushed for CI to fetch it."""
    try:
        git = GitRepo(directory)
        remote = git.run("config", "--get", "remote.origin.url").decode().strip()
        head = git.resolve("HEAD")
    except UserError:
        return None, f"installed from {directory}, which is not a git clone with an origin"
    repository = https_url(remote)
    if repository is None or not _SHA.match(head):
        return None, f"installed from the clone {directory}, whose origin {remote!r} is not an https:// repository"
    return InstallSource(git=repository, commit=head), f"the clone {directory}; push {head[:12]} before CI runs"


def https_url(url: str) -> str | None:
    """The https:// form of a git URL (git@host:owner/name → https://host/owner/name), without credentials."""
    url = url.removeprefix("git+")
    scp = _SCP_LIKE.match(url)
    if scp:
        url = f"https://{scp.group(1)}/{scp.group(2)}"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "ssh") or not parts.hostname:
        return None
    path = parts.path.removesuffix("/").removesuffix(".git")
    return f"https://{parts.hostname}{path}" if path.strip("/") else None


def install_commands(source: InstallSource | None) -> list[str]:
    """Shell commands that install the orchestrator from `source` (one per line; a failing one when None)."""
    if source is None:
        message = f"the orchestrator is not pinned: set ci.install in {CONFIG_FILE}, then run orchestrator init again"
        return [f"echo {shlex.quote('::error title=orchestrator not pinned::' + message)}", "exit 1"]
    if source.git:
        return [f"python -m pip install {shlex.quote(f'{DISTRIBUTION} @ git+{source.git}@{source.commit}')}"]
    if source.wheel:
        name = source.wheel.rsplit("/", 1)[-1]
        target = f'"${{RUNNER_TEMP:-/tmp}}/{name}"' if re.fullmatch(r"[\w.+-]+\.whl", name) else None
        if target is None:
            raise UserError(f"ci.install.wheel {source.wheel!r} does not end in a wheel's file name")
        return [
            f"curl --fail --silent --show-error --location --proto '=https' -o {target} {shlex.quote(source.wheel)}",
            f'echo "{source.sha256}  ${{RUNNER_TEMP:-/tmp}}/{name}" | sha256sum --check --strict -',
            f"python -m pip install {target}",
        ]
    assert source.requirements is not None
    return [f"python -m pip install --require-hashes -r {shlex.quote(source.requirements)}"]

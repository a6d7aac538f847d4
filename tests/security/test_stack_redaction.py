"""`orchestrator stack ...` prints nothing secret: the plain values of `secure:` config and
credential-looking strings a program puts into its outputs, its error and its resources are
`[secret]` in the text output, the `--json` output, stderr and every file the command writes
outside the state backend (which holds what Pulumi's own state holds).

Real parts: the real CLI in a child process, the local engine running real Pulumi programs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestrator.engines.local.secrets import new_encryption_salt
from tests.security.planted import CREDENTIAL_TEXT, DATABASE_URL, GITHUB_TOKEN, SECURE_VALUE, leaks_in

PASSPHRASE = "stack-redaction-passphrase"

PROGRAM = f'''
import pulumi

config = pulumi.Config()
token = config.get("api_token")          # the careless way: a plain get of a secure value
pulumi.export("token", token)
pulumi.ComponentResource("pkg:index:Holder", "holder-" + {GITHUB_TOKEN!r})  # a name with a token in it
pulumi.export("credentials", {CREDENTIAL_TEXT!r})
pulumi.export("nested", {{"url": {DATABASE_URL!r}, "list": [{GITHUB_TOKEN!r}, token]}})
if config.get_bool("fail"):
    raise ConnectionError("refused " + token + " " + {CREDENTIAL_TEXT!r})
'''


def _project(root: Path, name: str, *, fail: bool) -> None:
    directory = root / "stacks" / name
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (directory / "__main__.py").write_text(PROGRAM)
    salt, crypter = new_encryption_salt(PASSPHRASE)
    config = {f"{name}:api_token": {"secure": crypter.encrypt(SECURE_VALUE)}, f"{name}:fail": str(fail).lower()}
    (directory / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"encryptionsalt": salt, "config": config}))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stack-redaction") / "infra"
    (root / "environments").mkdir(parents=True)
    (root / "environments" / "dev.yaml").write_text(
        "branch: main\nengine: local\nbackend: file://.orchestrator/state\n"
    )
    _project(root, "leaky", fail=False)
    _project(root, "broken", fail=True)
    return root


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    return subprocess.run([sys.executable, "-m", "orchestrator", "stack", *args, "--repo", str(repo)],
                          capture_output=True, text=True, env=env, cwd=repo, timeout=180)


def _files(repo: Path) -> set[Path]:
    backend = repo / ".orchestrator" / "state"
    return {path for path in repo.rglob("*") if path.is_file() and backend not in path.parents}


COMMANDS = [
    ("preview", "leaky", "text", 0),
    ("update", "leaky", "json", 0),
    ("outputs", "leaky", "text", 0),
    ("outputs", "leaky", "json", 0),
    ("drift", "leaky", "text", 0),
    ("repair", "leaky", "json", 0),
    ("preview", "broken", "text", 1),
    ("update", "broken", "json", 1),
    ("destroy", "leaky", "text", 0),  # last: the resources named with a token go, and are named going
]


def test_no_planted_secret_in_any_stack_command_output(repo: Path) -> None:
    before = _files(repo)
    outputs: dict[str, str] = {}
    for command, project, form, expected in COMMANDS:
        done = _run(repo, command, "--project", project, "--env", "dev", *(["--json"] if form == "json" else []))
        label = f"stack {command} {project} ({form})"
        assert done.returncode == expected, (label, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, (label, done.stderr)
        outputs[f"{label} stdout"] = done.stdout
        outputs[f"{label} stderr"] = done.stderr
    written = _files(repo) - before
    outputs.update({str(path.relative_to(repo)): path.read_text(errors="replace") for path in written})

    assert leaks_in(outputs) == []
    # Not vacuous: the outputs and the error are printed, with the secrets masked in place.
    assert 'token: "[secret]"' in outputs["stack outputs leaky (text) stdout"]
    assert "postgresql://admin:[secret]@db.internal" in outputs["stack outputs leaky (json) stdout"]
    assert "ConnectionError: refused [secret]" in outputs["stack preview broken (text) stdout"]
    assert "aws_secret_access_key=[secret]" in outputs["stack update broken (json) stdout"]
    assert "holder-[secret]" in outputs["stack destroy leaky (text) stdout"]


def test_progress_on_a_terminal_is_redacted(repo: Path) -> None:
    """On a terminal the commands print progress (steps, diagnostics) to stderr as they run:
    that goes through the same redactor. stderr is a pseudo-terminal here, as in a shell."""
    import pty

    controller, terminal = pty.openpty()
    env = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "COLUMNS": "300", "TERM": "xterm"}
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    with subprocess.Popen([sys.executable, "-m", "orchestrator", "stack", "preview", "--project", "broken",
                           "--env", "dev", "--repo", str(repo)],
                          stdout=subprocess.PIPE, stderr=terminal, env=env, cwd=repo) as proc:
        os.close(terminal)
        printed = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            printed += chunk
        stdout = proc.stdout.read().decode() if proc.stdout else ""
        assert proc.wait(180) == 1
    os.close(controller)
    progress = printed.decode(errors="replace")
    assert "Traceback" not in progress
    assert leaks_in({"terminal": progress, "stdout": stdout}) == []
    assert "holder-[secret]" in progress  # not vacuous: the step was shown, masked
    assert "refused [secret]" in stdout

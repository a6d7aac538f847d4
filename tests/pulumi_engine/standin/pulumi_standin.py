"""A SCRIPTED STAND-IN for the `pulumi` CLI, for adapter tests only. It is not Pulumi.

The Automation API drives the CLI as a subprocess; this script answers the commands the SDK
sends well enough for the SDK, records every invocation, and replays a recorded engine event
log (from tests/fixtures/pulumi/events/) to the `--event-log` path it is given.

Controlled by environment variables:
  PULUMI_STANDIN_DIR       directory for `calls.jsonl` (one JSON record per invocation) and
                           `state.json` (stacks, their config, outputs, history)
  PULUMI_STANDIN_SCENARIO  optional JSON file:
    {"version": "3.205.0",
     "events": {"preview": "<event log>", "up": ..., "refresh": ..., "destroy": ...},
     "fail": {"<command>": {"stderr": "...", "stdout": "...", "code": 255, "replay": true}},
             (`$NAME` in stderr/stdout of an operation is expanded from the environment)
     "outputs": {"name": value}, "secret_outputs": ["name"]}
    `<command>` is the command key recorded in calls.jsonl (`preview`, `up`, `stack select`...).

`stack rm` refuses a stack that still holds resources (without --force) and deletes its stack
file (without --preserve-config), as the CLI does.

Each `up`, `destroy` and `refresh` (not previews) appends an entry to the stack's update history,
served newest first by `stack history --json [--page-size N --page P]` in the format the
Automation API's `Stack.history()` parses: `message` from `--message` (else the title of the
HEAD commit of the Git repository holding the project, as the CLI does), `environment` with
the CLI's Git metadata (`git.head`, `git.headName`, `git.dirty`; see
tests/fixtures/pulumi/SOURCES.md, "Update history") and `exec.kind` from `--exec-kind`.
A scripted failure is recorded as a `failed` entry.

Records hold the arguments, the working directory, the config of the stack file at the time
of the call, the JSON of each `--policy-pack-config` file (which the caller deletes afterwards),
and of the environment only what tests must check: PULUMI_BACKEND_URL, AWS_REGION,
AWS_DEFAULT_REGION, AWS_PROFILE and PULUMI_SKIP_UPDATE_CHECK by value; PULUMI_CONFIG_PASSPHRASE
and AWS credentials by presence only (an access key id by its 4-letter prefix). Values given
with `--secret` are recorded as `KEY=[secret]`.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

VERSION = "3.205.0"  # ≤ 3.205.0: the SDK then uses a file event log, not its gRPC stream
BY_VALUE = ("PULUMI_BACKEND_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "PULUMI_SKIP_UPDATE_CHECK",
            "PULUMI_AUTOMATION_API")
BY_PRESENCE = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "AWS_SECRET_ACCESS_KEY",
               "AWS_SESSION_TOKEN")
COMMANDS = ("stack select", "stack init", "stack output", "stack history", "stack rm", "stack ls",
            "config set-all", "config set", "config", "preview", "up", "refresh", "destroy", "whoami",
            "version")


def _home() -> Path:
    return Path(os.environ["PULUMI_STANDIN_DIR"])


def _scenario() -> dict[str, Any]:
    path = os.environ.get("PULUMI_STANDIN_SCENARIO")
    return json.loads(Path(path).read_text()) if path else {}


def _load_state() -> dict[str, Any]:
    path = _home() / "state.json"
    return json.loads(path.read_text()) if path.exists() else {"stacks": {}}


def _save_state(state: dict[str, Any]) -> None:
    path = _home() / "state.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, path)


def _flag(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _command(args: list[str]) -> str:
    words = [a for a in args if not a.startswith("-")]
    for command in COMMANDS:
        parts = command.split()
        if words[: len(parts)] == parts:
            return command
    return " ".join(words[:2])


def _stack_file(stack: str) -> Path:
    return Path.cwd() / f"Pulumi.{stack.split('/')[-1]}.yaml"


def _read_stack_file(stack: str) -> dict[str, Any]:
    import yaml

    path = _stack_file(stack)
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def _write_stack_file(stack: str, document: dict[str, Any]) -> None:
    import yaml

    _stack_file(stack).write_text(yaml.safe_dump(document, sort_keys=True))


def _env_record() -> dict[str, str]:
    env = {name: os.environ[name] for name in BY_VALUE if name in os.environ}
    env.update({name: "(set)" for name in BY_PRESENCE if name in os.environ})
    key_id = os.environ.get("AWS_ACCESS_KEY_ID")
    if key_id is not None:
        env["AWS_ACCESS_KEY_ID"] = f"(set, {key_id[:4]}...)"
    return env


def _masked_args(args: list[str]) -> list[str]:
    masked = []
    hide_next = False
    for arg in args:
        if hide_next and "=" in arg:
            masked.append(arg.split("=", 1)[0] + "=[secret]")
        else:
            masked.append(arg)
        hide_next = arg == "--secret"
    return masked


def _flags(args: list[str], name: str) -> list[str]:
    """Every value of a repeatable flag (`--policy-pack A --policy-pack B`)."""
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == name] + [
        arg.split("=", 1)[1] for arg in args if arg.startswith(name + "=")
    ]


def _policy_pack_configs(args: list[str]) -> list[Any]:
    """The `--policy-pack-config` files' JSON as read when the CLI ran (the files are temporary)."""
    found = []
    for path in _flags(args, "--policy-pack-config"):
        try:
            found.append(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as exc:
            found.append(f"unreadable: {exc}")
    return found


def _check_policy_flags(args: list[str]) -> str | None:
    """The CLI's checks of the policy flags (pkg/cmd/pulumi/operations/up.go, validatePolicyPackConfig,
    and pkg/resource/plugin/analyzer_plugin.go, which loads each pack's PulumiPolicy.yaml)."""
    packs, configs = _flags(args, "--policy-pack"), _flags(args, "--policy-pack-config")
    if configs and not packs:
        return 'error: "--policy-pack-config" must be specified with "--policy-pack"'
    if configs and len(configs) != len(packs):
        return 'error: the number of "--policy-pack-config" flags must match the number of "--policy-pack" flags'
    for pack in packs:
        if not (Path(pack) / "PulumiPolicy.yaml").is_file():
            return f'error: failed to load Pulumi policy project located at "{pack}": no PulumiPolicy.yaml'
    return None


def _record(args: list[str], command: str, stack: str | None) -> None:
    record = {
        "command": command,
        "args": _masked_args(args),
        "cwd": str(Path.cwd()),
        "env": _env_record(),
        "stack_file_config": (_read_stack_file(stack).get("config") if stack else None),
        "policy_pack_configs": _policy_pack_configs(args),
    }
    with (_home() / "calls.jsonl").open("a") as out:
        out.write(json.dumps(record) + "\n")


def _fail(message: str, code: int = 255) -> int:
    sys.stderr.write(message + "\n")
    return code


def _replay(events_path: str | None, log_path: str | None) -> dict[str, int]:
    """Copy the recorded events to the event log; returns the summary's resourceChanges."""
    changes: dict[str, int] = {}
    if log_path is None:
        return changes
    lines = Path(events_path).read_text().splitlines() if events_path else []
    with open(log_path, "a") as log:
        for line in lines:
            if not line.strip():
                continue
            event = json.loads(line)
            if "summaryEvent" in event:
                changes = event["summaryEvent"].get("resourceChanges") or {}
            log.write(line + "\n")
        if not any('"cancelEvent"' in line for line in lines):
            log.write(json.dumps({"sequence": len(lines), "timestamp": 0, "cancelEvent": {}}) + "\n")
    return changes


def _operation(command: str, args: list[str], stack: str, scenario: dict[str, Any]) -> int:
    state = _load_state()
    if stack not in state["stacks"]:
        return _fail(f"error: no stack named '{stack}' found")
    key = "refresh" if command == "refresh" else command
    events = (scenario.get("events") or {}).get(key)
    failure = (scenario.get("fail") or {}).get(command)
    preview = "--preview-only" in args or command == "preview"
    started = time.time()
    if failure is not None:
        changes = _replay(events, _flag(args, "--event-log")) if failure.get("replay") else {}
        if not preview:
            _add_history(state, stack, command, args, changes, started, "failed")
            _save_state(state)
        sys.stdout.write(os.path.expandvars(failure.get("stdout", "")) + "\n")
        # `$NAME` in the scripted text is expanded, to play a CLI that leaks a credential.
        return _fail(os.path.expandvars(failure.get("stderr", "error: scripted failure")),
                     int(failure.get("code", 255)))
    changes = _replay(events, _flag(args, "--event-log"))
    sys.stdout.write(f"stand-in {command} of stack {stack}\n")
    if not preview:
        entry = state["stacks"][stack]
        _add_history(state, stack, command, args, changes, started, "succeeded")
        if command == "up":
            entry["outputs"] = scenario.get("outputs") or {}
            entry["secret_outputs"] = scenario.get("secret_outputs") or []
        if command == "destroy":
            entry["outputs"] = {}
        _save_state(state)
    return 0


def _git(*args: str) -> str | None:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def _git_metadata() -> dict[str, str]:
    """What the CLI records about the Git repository holding the program (none outside one)."""
    head = _git("rev-parse", "HEAD")
    if head is None:
        return {}
    found = {"git.head": head, "git.dirty": "true" if _git("status", "--porcelain") else "false"}
    name = _git("symbolic-ref", "-q", "HEAD")
    if name:
        found["git.headName"] = name
    return found


def _add_history(state: dict[str, Any], stack: str, command: str, args: list[str], changes: dict[str, int],
                 started: float, result: str) -> None:
    message = _flag(args, "--message")
    if message is None:  # the CLI's default: the title of the HEAD commit
        message = (_git("log", "-1", "--format=%s") or "")
    environment = {**_git_metadata(), "exec.kind": _flag(args, "--exec-kind") or "cli"}
    history = state["stacks"][stack].setdefault("history", [])
    history.append({"kind": "update" if command == "up" else command, "message": message,
                     "environment": environment, "result": result, "changes": changes,
                     "start": started, "end": time.time()})


def _stack_init(stack: str, args: list[str]) -> int:
    state = _load_state()
    if stack in state["stacks"]:
        return _fail(f"error: stack '{stack}' already exists")
    provider = _flag(args, "--secrets-provider")
    if provider in (None, "passphrase"):
        if "PULUMI_CONFIG_PASSPHRASE" not in os.environ and "PULUMI_CONFIG_PASSPHRASE_FILE" not in os.environ:
            return _fail("error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                         "PULUMI_CONFIG_PASSPHRASE_FILE environment variables")
        document = _read_stack_file(stack)
        document.setdefault("encryptionsalt", "v1:c3RhbmRpbg==:v1:standin-salt")
        _write_stack_file(stack, document)
    state["stacks"][stack] = {"secrets_provider": provider, "outputs": {}, "secret_outputs": [], "history": []}
    _save_state(state)
    return 0


_PATH_STEP = re.compile(r'\.([^.\[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def _set_path(config: dict[str, Any], path: str, value: Any) -> None:
    """`--path` keys: `ns:key[0].sub` / `ns:key["a.b"]` into nested lists and maps."""
    root = re.match(r'^[^.\[]+', path)
    assert root is not None, path
    steps: list[str | int] = [root.group(0)]
    for match in _PATH_STEP.finditer(path, root.end()):
        name, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (name if name is not None else quoted))
    node: Any = config
    for step, following in itertools.pairwise(steps):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(node, list):
            while len(node) <= int(step):
                node.append(None)
            node[int(step)] = node[int(step)] if node[int(step)] is not None else empty
            node = node[int(step)]
        else:
            node = node.setdefault(step, empty)
    last = steps[-1]
    if isinstance(node, list):
        while len(node) <= int(last):
            node.append(None)
        node[int(last)] = value
    else:
        node[last] = value


def _config_set_all(stack: str, args: list[str]) -> int:
    document = _read_stack_file(stack)
    config = document.setdefault("config", {})
    as_path = "--path" in args
    for i, arg in enumerate(args):
        if arg in ("--plaintext", "--secret") and i + 1 < len(args):
            key, _, value = args[i + 1].partition("=")
            stored: Any = value
            if arg == "--secret":
                # Not encryption: a marked encoding so tests can see the value was sent as secret.
                stored = {"secure": "standin:" + base64.b64encode(value.encode()).decode()}
            if as_path:
                _set_path(config, key, stored)
            else:
                config[key] = stored
    _write_stack_file(stack, document)
    return 0


def _stack_output(stack: str, args: list[str]) -> int:
    entry = _load_state()["stacks"].get(stack)
    if entry is None:
        return _fail(f"error: no stack named '{stack}' found")
    show = "--show-secrets" in args
    outputs = {k: (v if show or k not in entry["secret_outputs"] else "[secret]") for k, v in entry["outputs"].items()}
    sys.stdout.write(json.dumps(outputs) + "\n")
    return 0


def _timestamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


def _stack_history(stack: str, args: list[str]) -> int:
    entry = _load_state()["stacks"].get(stack)
    if entry is None:
        return _fail(f"error: no stack named '{stack}' found")
    recorded = entry.get("history") or []
    history = [
        {"kind": h["kind"], "startTime": _timestamp(h.get("start", 0)), "endTime": _timestamp(h.get("end", 0)),
         "message": h.get("message", ""), "environment": h.get("environment", {}), "config": {},
         "result": h.get("result", "succeeded"), "version": version, "resourceChanges": h["changes"]}
        for version, h in enumerate(recorded, start=1)
    ][::-1]  # newest first
    size = _flag(args, "--page-size")
    if size is not None:
        page = int(_flag(args, "--page") or "1")
        history = history[(page - 1) * int(size): page * int(size)]
    sys.stdout.write(json.dumps(history) + "\n")
    return 0


def _stack_rm(stack: str, args: list[str]) -> int:
    """`stack rm [--yes] [--force] [--preserve-config] NAME`: refused while the stack holds resources
    (its last successful up came after its last successful destroy), unless --force, as the CLI
    does; removes the stack's `Pulumi.<stack>.yaml` unless --preserve-config."""
    state = _load_state()
    entry = state["stacks"].get(stack)
    if entry is None:
        return _fail(f"error: no stack named '{stack}' found")
    applied = [h["kind"] for h in entry.get("history") or () if h.get("result") == "succeeded"
               and h["kind"] in ("update", "destroy")]
    if applied and applied[-1] == "update" and "--force" not in args:
        return _fail(f"error: '{stack}' still has resources; removal rejected. Possible actions:\n"
                     "- Make sure that 'pulumi destroy' has been run\n"
                     "- To delete the stack while retaining resources, use 'pulumi stack rm --force'")
    del state["stacks"][stack]
    _save_state(state)
    if "--preserve-config" not in args:
        _stack_file(stack).unlink(missing_ok=True)
    sys.stdout.write(f"Stack '{stack}' has been removed!\n")
    return 0


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--non-interactive"]  # the SDK puts it first on every command
    scenario = _scenario() if "PULUMI_STANDIN_DIR" in os.environ else {}
    if args[:1] == ["version"]:
        sys.stdout.write("v" + scenario.get("version", VERSION) + "\n")
        if "PULUMI_STANDIN_DIR" in os.environ:
            _record(argv, "version", None)
        return 0
    if "PULUMI_STANDIN_DIR" not in os.environ:
        return _fail("pulumi stand-in: PULUMI_STANDIN_DIR is not set", 2)
    command = _command(args)
    stack = _flag(args, "--stack")
    if command == "stack init":
        stack = next(a for a in args[2:] if not a.startswith("-"))
    _record(argv, command, stack)

    failure = (scenario.get("fail") or {}).get(command)
    if failure is not None and command not in ("preview", "up", "refresh", "destroy"):
        return _fail(failure.get("stderr", "error: scripted failure"), int(failure.get("code", 255)))
    if command in ("preview", "up", "refresh", "destroy"):
        assert stack is not None, "the SDK always passes --stack"
        problem = _check_policy_flags(args)
        if problem is not None:
            return _fail(problem)
        return _operation(command, args, stack, scenario)
    if command == "stack select":
        if stack not in _load_state()["stacks"]:
            return _fail(f"error: no stack named '{stack}' found")
        return 0
    if command == "stack init":
        assert stack is not None
        return _stack_init(stack, args)
    if command == "config set-all":
        assert stack is not None
        return _config_set_all(stack, args)
    if command == "stack output":
        assert stack is not None
        return _stack_output(stack, args)
    if command == "stack history":
        assert stack is not None
        return _stack_history(stack, args)
    if command == "stack rm":
        return _stack_rm(next(a for a in args[2:] if not a.startswith("-")), args)
    if command == "whoami":
        if "--json" in args:
            backend = os.environ.get("PULUMI_BACKEND_URL", "")
            sys.stdout.write(json.dumps({"user": "standin-user", "url": backend, "organizations": []}) + "\n")
        else:
            sys.stdout.write("standin-user\n")
        return 0
    return _fail(f"pulumi stand-in: unsupported command {args!r}", 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

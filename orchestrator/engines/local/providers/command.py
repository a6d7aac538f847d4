"""`command:local:Command` without its plugin: shell commands run on this machine as
pulumi-command runs them.

`create` runs once when the resource is created; a change of any other input runs `update`
(or `create` again when there is no `update`); a change of `triggers` replaces it (the SDK
asks for that with `replaceOnChanges`); `delete` runs when it is deleted. Commands run with
`interpreter` (`/bin/sh -c`) in `dir` (default: the program's directory) with the
orchestrator's environment plus `environment`, and `stdin`; update and delete also get the
previous `PULUMI_COMMAND_STDOUT`/`PULUMI_COMMAND_STDERR` unless `addPreviousOutputInEnv` is
false. `stdout`/`stderr` are recorded without their last newline. Nothing is read back: a
refresh finds no drift. Commands do not run during a preview. `assetPaths`/`archivePaths`
(files the command leaves behind, as assets) are not supported; `command:remote` (SSH to
another machine) is not either.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orchestrator.engines.local.providers.base import (
    UNKNOWN_MARKER,
    DiffResult,
    ProviderContext,
    ProviderError,
    ReadResult,
)
from orchestrator.engines.local.providers.inputs import diff_inputs

TOKEN = "command:local:Command"
_INPUTS = ("create", "update", "delete", "dir", "environment", "interpreter", "stdin", "triggers",
           "addPreviousOutputInEnv", "logging")
_UNSUPPORTED = ("assetPaths", "archivePaths")
_TAIL = 2000  # characters of stderr shown when a command fails


class LocalCommand:
    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.type_token = TOKEN

    def check(self, urn: str, name: str, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        where = f"{TOKEN} {name}"
        asked = sorted(k for k in _UNSUPPORTED if news.get(k))
        if asked:
            raise ProviderError(f"{where}: {', '.join(asked)} (files kept as assets) are not supported by the "
                                "local engine; use the pulumi engine")
        extra = sorted(k for k, v in news.items() if v is not None and k not in (*_INPUTS, *_UNSUPPORTED)
                       and not k.startswith("__"))
        if extra:
            raise ProviderError(f"{where}: unknown input(s) {', '.join(extra)}")
        checked = {k: v for k, v in news.items() if v is not None and k in _INPUTS}
        environment = checked.get("environment")
        if environment not in (None, UNKNOWN_MARKER) and not isinstance(environment, Mapping):
            raise ProviderError(f"{where}: `environment` must map names to strings")
        return checked

    def diff(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult:
        # `logging` only says what to log; changing it runs nothing.
        return diff_inputs(old_inputs, news, replace_on=("triggers",), ignore=("logging",),
                           redact=("environment", "stdin"))

    def preview_outputs(self, urn: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return {**inputs, "id": UNKNOWN_MARKER, "stdout": UNKNOWN_MARKER, "stderr": UNKNOWN_MARKER}

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = urn.rsplit("::", 1)[-1]
        outputs = self._run("create", name, inputs, {})
        return f"{name}{uuid.uuid4().hex[:8]}", outputs

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        return ReadResult(id, dict(outputs or inputs))

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        which = "update" if news.get("update") else "create"
        return self._run(which, urn.rsplit("::", 1)[-1], news, old_outputs)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if inputs.get("delete"):
            self._run("delete", urn.rsplit("::", 1)[-1], inputs, outputs)

    # ------------------------------------------------------------------ running

    def _run(self, which: str, name: str, inputs: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
        """Run the `which` command; the outputs (inputs plus stdout and stderr)."""
        script = inputs.get(which)
        if not script:
            return {**inputs, "stdout": "", "stderr": ""}
        where = f"{TOKEN} {name}"
        env = {**os.environ, **{str(k): str(v) for k, v in (inputs.get("environment") or {}).items()}}
        if which != "create" and inputs.get("addPreviousOutputInEnv", True) is not False:
            env["PULUMI_COMMAND_STDOUT"] = str(previous.get("stdout", ""))
            env["PULUMI_COMMAND_STDERR"] = str(previous.get("stderr", ""))
        interpreter = [str(part) for part in inputs.get("interpreter") or ("/bin/sh", "-c")]
        directory = self._directory(where, inputs)
        try:
            done = subprocess.run([*interpreter, str(script)], cwd=directory, env=env, input=inputs.get("stdin"),
                                  capture_output=True, text=True, check=False)
        except OSError as exc:
            raise ProviderError(f"{where}: cannot run its {which} command with {interpreter[0]}: {exc}") from None
        stdout, stderr = done.stdout.removesuffix("\n"), done.stderr.removesuffix("\n")
        if done.returncode != 0:
            shown = self._scrub(stderr[-_TAIL:] or stdout[-_TAIL:], inputs)
            raise ProviderError(f"{where}: its {which} command exited with {done.returncode}: {shown}")
        return {**inputs, "stdout": stdout, "stderr": stderr}

    def _directory(self, where: str, inputs: Mapping[str, Any]) -> Path:
        base = self.ctx.program_dir or Path.cwd()
        directory = base / str(inputs["dir"]) if inputs.get("dir") else base
        if not directory.is_dir():
            raise ProviderError(f"{where}: `dir` {inputs.get('dir')!r} is not a directory")
        return directory

    @staticmethod
    def _scrub(text: str, inputs: Mapping[str, Any]) -> str:
        """A failing command's output may echo its environment (often credentials)."""
        for value in (inputs.get("environment") or {}).values():
            if isinstance(value, str) and len(value) >= 4:
                text = text.replace(value, "[secret]")
        return text

"""Run one sample Pulumi program under the real SDK with plain mocks; print what it registered.

Used by test_sample_programs.py in a child process per program: the SDK keeps global state,
so one program per process. Usage:
    python run_under_mocks.py <project_dir> <stack> <config-json> <stack-references-json>
Prints one JSON document: {"resources": [{"type", "name", "inputs"}], "stack_references": [names],
"exports": [names]}.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import get_root_resource

STACK_REFERENCE = "pulumi:pulumi:StackReference"

# Computed outputs a real provider would add; the mocks echo inputs plus these.
_COMPUTED: dict[str, tuple[str, ...]] = {
    "aws:sqs/queue:Queue": ("arn", "url", "name"),
    "aws:s3/bucket:Bucket": ("arn", "bucket"),
    "aws:dynamodb/table:Table": ("arn", "name"),
    "aws:iam/role:Role": ("arn", "name"),
    "aws:ssm/parameter:Parameter": ("arn",),
}


class SampleMocks(pulumi_mocks.Mocks):
    """Records every registration; answers StackReference reads with the given outputs."""

    def __init__(self, references: dict[str, dict[str, Any]]) -> None:
        self.references = references
        self.resources: list[dict[str, Any]] = []
        self.read_references: list[str] = []
        self._lock = threading.Lock()  # registrations arrive from the SDK's thread pool

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            name = str(args.resource_id)
            with self._lock:
                self.read_references.append(name)
            if name not in self.references:
                raise KeyError(f"no outputs given for stack reference {name}")
            return name, {"name": name, "outputs": self.references[name], "secretOutputNames": []}
        with self._lock:
            self.resources.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        outputs = dict(args.inputs)
        for key in _COMPUTED.get(args.typ, ()):
            outputs.setdefault(key, _fake_value(args.typ, args.name, key))
        return f"{args.name}-id", outputs

    # The SDK's annotation says tuple, but it needs a plain dict here (local-engine-notes.md).
    def call(self, args: pulumi_mocks.MockCallArgs) -> Any:
        return {}


def _fake_value(typ: str, name: str, key: str) -> str:
    service = typ.split(":")[1].split("/")[0]
    if key == "arn":
        return f"arn:aws:{service}:us-east-1:123456789012:{name}"
    if key == "url":
        return f"https://sqs.us-east-1.amazonaws.com/123456789012/{name}"
    return f"{name}-1234567"  # autonamed physical name


def main(project_dir: Path, stack: str, config: dict[str, str], references: dict[str, Any]) -> None:
    project = _project_name(project_dir)
    mocks = SampleMocks(references)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False)
    pulumi_config.set_all_config(config, [])
    os.chdir(project_dir)
    sys.path.insert(0, str(project_dir))

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run_program() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    run_program()
    root = get_root_resource()
    exports = sorted(getattr(root, "outputs", {}) or {})
    json.dump(
        {
            "resources": sorted(mocks.resources, key=lambda r: (r["type"], r["name"])),
            "stack_references": sorted(mocks.read_references),
            "exports": exports,
        },
        sys.stdout,
        default=str,
    )


def _project_name(project_dir: Path) -> str:
    for line in (project_dir / "Pulumi.yaml").read_text().splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"{project_dir}/Pulumi.yaml has no name")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]))

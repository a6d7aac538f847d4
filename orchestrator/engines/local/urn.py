"""URNs as the Pulumi engine computes them (not as the SDK's MockMonitor does).

`urn:pulumi:<stack>::<project>::<qualified type>::<name>` where the qualified type is the
parent's qualified type `$`-joined with the resource's own type. The root Stack's type is
left out of its children's qualified types, exactly as the engine does.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.errors import UserError

STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"


@dataclass(frozen=True)
class Urn:
    stack: str
    project: str
    qualified_type: str
    name: str

    @property
    def type(self) -> str:
        """The resource's own type: the last `$`-separated part of the qualified type."""
        return self.qualified_type.rsplit("$", 1)[-1]

    def __str__(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{self.qualified_type}::{self.name}"


def parse_urn(urn: str) -> Urn:
    """Split a URN; the name may itself contain `::`, so only the first three separators count."""
    if not urn.startswith("urn:pulumi:"):
        raise UserError(f"not a Pulumi URN: {urn!r}")
    parts = urn[len("urn:pulumi:") :].split("::", 3)
    if len(parts) != 4:
        raise UserError(f"malformed Pulumi URN: {urn!r}")
    stack, project, qualified_type, name = parts
    return Urn(stack=stack, project=project, qualified_type=qualified_type, name=name)


def stack_resource_name(project: str, stack: str) -> str:
    return f"{project}-{stack}"


def stack_urn(stack: str, project: str) -> str:
    return str(Urn(stack, project, STACK_TYPE, stack_resource_name(project, stack)))


def resource_urn(stack: str, project: str, parent_urn: str | None, type_: str, name: str) -> str:
    """The URN of a resource registered with `parent_urn` (None or "" for no parent)."""
    qualified = type_
    if parent_urn:
        parent = parse_urn(parent_urn)
        if parent.qualified_type != STACK_TYPE:
            qualified = f"{parent.qualified_type}${type_}"
    return str(Urn(stack, project, qualified, name))


def default_provider_urn(stack: str, project: str, package: str, version: str) -> str:
    """`pulumi:providers:aws::default_7_51_1`, like the engine names default providers."""
    suffix = f"_{version.replace('.', '_').replace('-', '_')}" if version else ""
    return str(Urn(stack, project, f"{PROVIDER_TYPE_PREFIX}{package}", f"default{suffix}"))


def is_default_provider(urn: str) -> bool:
    """A provider the engine made for resources that name none (not shown in changes)."""
    parsed = parse_urn(urn)
    return parsed.type.startswith(PROVIDER_TYPE_PREFIX) and parsed.name.startswith("default")


def provider_reference(urn: str, id_: str) -> str:
    """A provider reference as stored in state and sent by the SDK: `<urn>::<id>`."""
    return f"{urn}::{id_}"


def split_provider_reference(ref: str) -> tuple[str, str]:
    urn, _, id_ = ref.rpartition("::")
    return urn, id_


def package_of(type_: str) -> str:
    """`aws` for `aws:s3/bucket:Bucket`; `kubernetes` for `kubernetes:core/v1:ConfigMap`."""
    return type_.split(":", 1)[0]

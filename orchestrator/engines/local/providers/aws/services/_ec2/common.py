"""What EC2's types share: tags through CreateTags/DeleteTags (and TagSpecifications on
create), ARNs, and the filters of its Describe calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.spec import Call, Tagging


def ec2_tagging(resource_type: str | None) -> Tagging:
    """Tags of an EC2 object: in the create call's TagSpecifications when `resource_type` is
    given, read from the describe call's `Tags`."""
    return Tagging(
        on_create="TagSpecifications" if resource_type else None,
        resource_type=resource_type,
        tag=Call("create_tags", {"Resources": ["{id}"], "Tags": "{tags}"}),
        untag=Call("delete_tags", {"Resources": ["{id}"], "Tags": "{keys}"}),
        untag_key="Key",
    )


def arn(kind: str) -> str:
    """The ARN template of an EC2 object (`vpc`, `subnet`, `security-group`, ...)."""
    return "arn:{partition}:ec2:{region}:{account}:" + kind + "/{id}"


def filters(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Describe-call filters from name → value(s), leaving out empty ones."""
    found = []
    for name, value in values.items():
        if value is None or value == [] or value == "":
            continue
        found.append({"Name": name, "Values": [str(v) for v in (value if isinstance(value, list) else [value])]})
    return found


def program_filters(raw: Any) -> list[dict[str, Any]]:
    """A function's `filters` argument ([{name, values}]) as EC2 takes them."""
    return [{"Name": str(f["name"]), "Values": [str(v) for v in f.get("values") or []]}
            for f in raw or [] if isinstance(f, Mapping)]


def tag_filters(tags: Any) -> list[dict[str, Any]]:
    """A function's `tags` argument (key → value) as `tag:<key>` filters."""
    return [{"Name": f"tag:{k}", "Values": [str(v)]} for k, v in (tags or {}).items()]

"""The pulumi-aws schema as the installed Python SDK carries it: the names a type's
properties have (`@pulumi.getter(name=...)`), which are inputs, and their nested blocks.

Descriptions are checked against it (`problems`), and a developer starts a new type from
it: `python -m orchestrator.engines.local.providers.aws.schema aws:ec2/vpc:Vpc` prints the
type's inputs and outputs and a description to fill in. Which inputs force a replace is not
in the SDK: read `ForceNew: true` in terraform-provider-aws's
`internal/service/<service>/<resource>.go`, the schema pulumi-aws is generated from.
"""

from __future__ import annotations

import importlib
import keyword
import re
import sys
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from orchestrator.engines.local.providers.aws.spec import AwsType, Prop

_NESTED = re.compile(r"outputs\.(\w+)")


@dataclass(frozen=True)
class SdkProperty:
    name: str  # camelCase, as the engine sees it
    python: str  # snake_case, as the program writes it
    input: bool
    nested: tuple[SdkProperty, ...] | None  # a block's own properties


def _module(token: str) -> ModuleType:
    module = token.split(":")[1].split("/")[0]
    return importlib.import_module(f"pulumi_aws.{module}_" if keyword.iskeyword(module) else f"pulumi_aws.{module}")


def _getters(cls: type) -> dict[str, tuple[str, Any]]:
    found = {}
    for python, member in vars(cls).items():
        if isinstance(member, property) and member.fget is not None:
            name = getattr(member.fget, "_pulumi_name", python)
            found[name] = (python, member.fget.__annotations__.get("return"))
    return found


def _nested(module: ModuleType, annotation: Any, depth: int) -> tuple[SdkProperty, ...] | None:
    match = _NESTED.search(str(annotation))
    outputs = getattr(module, "outputs", None)
    block = getattr(outputs, match.group(1), None) if match and outputs is not None else None
    if block is None or depth > 4:
        return None
    return tuple(SdkProperty(name, python, True, _nested(module, ann, depth + 1))
                 for name, (python, ann) in sorted(_getters(block).items()))


def sdk_properties(token: str) -> dict[str, SdkProperty]:
    """The type's properties as the SDK names them; empty when the SDK has no such type."""
    with warnings.catch_warnings():  # pulumi_aws warns of its deprecated types as their modules load
        warnings.simplefilter("ignore", DeprecationWarning)
        return _sdk_properties(token)


def _sdk_properties(token: str) -> dict[str, SdkProperty]:
    try:
        module = _module(token)
    except ModuleNotFoundError:
        return {}
    name = token.rsplit(":", 1)[-1]
    # `<Name>InitArgs` where `<Name>Args` is taken by another type's block (s3 BucketVersioning).
    resource = getattr(module, name, None)
    args = getattr(module, f"{name}InitArgs", None) or getattr(module, f"{name}Args", None)
    if resource is None:
        return {}
    inputs = set(_getters(args)) if args is not None else set()
    return {
        prop: SdkProperty(prop, python, prop in inputs, _nested(module, annotation, 0))
        for prop, (python, annotation) in sorted(_getters(resource).items())
    }


def problems(spec: AwsType) -> list[str]:
    """Where a description departs from the SDK's schema, or cannot update what it declares."""
    known = sdk_properties(spec.token)
    if not known:
        return [f"{spec.token}: pulumi_aws has no such resource"]
    found = []
    for prop in spec.props:
        found.extend(_prop_problems(spec.token, prop, known))
    if spec.impl is None:
        updatable = {name for update in spec.updates for name in update.props}
        for prop in spec.inputs:
            if prop.api and not prop.replace and prop.name not in updatable:
                found.append(f"{spec.token}: `{prop.name}` is sent to AWS but no Update changes it "
                             "(mark it replace=True, or add it to an Update)")
    return found


def _prop_problems(token: str, prop: Prop, known: dict[str, SdkProperty], where: str = "") -> list[str]:
    path = f"{where}{prop.name}"
    sdk = known.get(prop.name)
    if sdk is None:
        return [f"{token}: pulumi-aws has no property `{path}` (it has {', '.join(sorted(known))})"]
    if prop.input and not sdk.input and not where:
        return [f"{token}: `{path}` is an output in pulumi-aws, not an input (mark it output=True)"]
    found = []
    if prop.props and sdk.nested is not None:
        nested = {p.name: p for p in sdk.nested}
        for child in prop.props:
            found.extend(_prop_problems(token, child, nested, f"{path}."))
    return found


def skeleton(token: str) -> str:
    """A description to start from: every input and output of the type, to be completed."""
    known = sdk_properties(token)
    if not known:
        return f"# pulumi_aws has no resource {token}"
    name = token.rsplit(":", 1)[-1]
    lines = [f'{name.upper()} = AwsType(', f'    token="{token}",', '    client="<boto3 service>",', "    props=("]
    for prop in known.values():
        if prop.name in ("tags", "tagsAll", "region", "id"):
            continue
        kind = ', kind="object"' if prop.nested else ""
        role = "" if prop.input else ", output=True"
        lines.append(f'        Prop("{prop.name}", api="<Api.Path>"{kind}{role}),  # {prop.python}')
    lines += ["    ),", '    create=Call("<create_op>"),', '    read=(Call("<describe_op>", {"<Id>": "{id}"}),),',
              '    delete=Call("<delete_op>", {"<Id>": "{id}"}),', ")"]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m orchestrator.engines.local.providers.aws.schema aws:<module>/<name>:<Type>")
        return 2
    print(skeleton(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""`aws.iam.get_policy_document`: an IAM policy document built locally, as the provider does
it without calling AWS.

The document has the shape pulumi-aws (terraform-provider-aws's `aws_iam_policy_document`)
writes: statement fields in the order Sid, Effect, Action, NotAction, Resource, NotResource,
Principal, NotPrincipal, Condition; a list of one value written as that value, longer lists
in reverse sorted order (condition values keep their order); one principal `*` of type `*`
written as `"*"`; statements of `sourcePolicyDocuments` first, then these, then those of
`overridePolicyDocuments`, a statement with the same Sid replacing the earlier one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.base import ProviderContext, ProviderError

VERSION = "2012-10-17"
_LISTS = (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
          ("notResources", "NotResource"))


def get_policy_document(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"Version": str(args.get("version") or VERSION)}
    if args.get("policyId"):
        doc["Id"] = str(args["policyId"])
    statements: list[dict[str, Any]] = []
    for source in args.get("sourcePolicyDocuments") or ():
        _merge(statements, _statements_of(source, "sourcePolicyDocuments"))
    _merge(statements, [_statement(s) for s in args.get("statements") or ()])
    for override in args.get("overridePolicyDocuments") or ():
        _merge(statements, _statements_of(override, "overridePolicyDocuments"))
    if statements:
        doc["Statement"] = statements
    pretty = json.dumps(doc, indent=2)
    return {"json": pretty, "minifiedJson": json.dumps(doc, separators=(",", ":")), "id": _id(pretty),
            "version": doc["Version"], "statements": args.get("statements") or []}


def _id(text: str) -> str:
    import zlib

    return str(zlib.crc32(text.encode()))


def _strings(values: Any) -> Any:
    items = [str(v) for v in values or ()]
    if len(items) == 1:
        return items[0]
    return sorted(items, reverse=True)


def _statement(raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if raw.get("sid"):
        out["Sid"] = str(raw["sid"])
    out["Effect"] = str(raw.get("effect") or "Allow")
    for key, field in _LISTS:
        if raw.get(key):
            out[field] = _strings(raw[key])
    for key, field in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        if raw.get(key):
            out[field] = _principals(raw[key])
    if raw.get("conditions"):
        out["Condition"] = _conditions(raw["conditions"])
    return out


def _principals(principals: list[Mapping[str, Any]]) -> Any:
    only = principals[0] if len(principals) == 1 else {}
    if only.get("type") == "*" and list(only.get("identifiers") or []) == ["*"]:
        return "*"
    merged: dict[str, list[str]] = {}
    for principal in principals:
        merged.setdefault(str(principal.get("type")), []).extend(str(i) for i in principal.get("identifiers") or ())
    return {kind: _strings(ids) for kind, ids in sorted(merged.items())}


def _conditions(conditions: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, list[str]]] = {}
    for condition in conditions:
        values = merged.setdefault(str(condition.get("test")), {}).setdefault(str(condition.get("variable")), [])
        values.extend(str(v) for v in condition.get("values") or ())
    return {
        test: {variable: values[0] if len(values) == 1 else values for variable, values in sorted(by_var.items())}
        for test, by_var in sorted(merged.items())
    }


def _statements_of(text: Any, key: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as exc:
        raise ProviderError(f"aws:iam/getPolicyDocument: an entry of {key} is not JSON: {exc}") from exc
    statements = doc.get("Statement") if isinstance(doc, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    return [dict(s) for s in statements or () if isinstance(s, Mapping)]


def _merge(into: list[dict[str, Any]], statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        sid = statement.get("Sid")
        index = next((i for i, s in enumerate(into) if sid and s.get("Sid") == sid), None)
        if index is None:
            into.append(statement)
        else:
            into[index] = statement

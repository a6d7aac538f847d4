"""The API calls a declared pulumi-aws type names, as `DeclaredResource`'s steps make them:
the client for the resource's region, a call rendered from its template fields (`Fields`),
waiters, the declared update calls, and writing and reading tags as the type's `Tagging` says;
AWS errors become `ProviderError`s naming the object, its secrets left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

from orchestrator.engines.local.providers.aws.client import account_id, aws_client, aws_errors, missing
from orchestrator.engines.local.providers.aws.convert import to_api
from orchestrator.engines.local.providers.aws.declared_checks import DeclaredChecks
from orchestrator.engines.local.providers.aws.spec import Call, Prop, Update
from orchestrator.engines.local.providers.aws.tags import tag_changes, tag_dict, tag_list
from orchestrator.engines.local.providers.aws.values import get_path, render, set_path

_WAIT = {"Delay": 1, "MaxAttempts": 120}


class Fields(Mapping[str, Any]):
    """Template fields; `account` is asked of STS only when a template uses it."""

    def __init__(self, resource: DeclaredChecks, values: dict[str, Any]) -> None:
        self._resource = resource
        self._values = values

    def __getitem__(self, key: str) -> Any:
        if key == "account" and key not in self._values:
            self._values[key] = account_id(self._resource.ctx, self._values["region"])
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def with_values(self, **values: Any) -> Fields:
        return Fields(self._resource, {**self._values, **values})


class DeclaredCalls(DeclaredChecks):
    """A type's API calls (see the module docstring)."""

    # ------------------------------------------------------------------ clients and calls


    def client(self, inputs: Mapping[str, Any]) -> Any:
        return aws_client(self.ctx, self.spec.client, self.region(inputs))

    def errors(self, name: str, *inputs: Mapping[str, Any]) -> AbstractContextManager[None]:
        secrets = tuple(
            str(i[p.name]) for i in inputs for p in self.spec.props if p.secret and isinstance(i.get(p.name), str)
        )
        return aws_errors(self.type_token, name, self.ctx, secrets)

    def fields(self, inputs: Mapping[str, Any], *, id: str = "", outputs: Mapping[str, Any] | None = None,
               doc: Mapping[str, Any] | None = None) -> Fields:
        naming = self.spec.naming
        return Fields(self, {
            "id": id, "region": self.region(inputs), "partition": "aws", "dns_suffix": "amazonaws.com",
            "name": inputs.get(naming.prop) if naming else None, "inputs": inputs, "outputs": outputs or {},
            "doc": doc or {},
        })

    def invoke(self, call: Call, fields: Fields, args: dict[str, Any] | None = None) -> Any:
        request = render(dict(call.args), fields) if args is None else args
        return getattr(self.client(fields["inputs"]), call.op)(**request)

    def wait(self, call: Call, fields: Fields) -> None:
        if call.waiter:
            waiter = self.client(fields["inputs"]).get_waiter(call.waiter)
            waiter.wait(**render(dict(call.waiter_args), fields), WaiterConfig=_WAIT)

    # ------------------------------------------------------------------ declared updates


    def _run_update(self, update: Update, hit: list[str], fields: Fields, inputs: Mapping[str, Any]) -> None:
        if update.each:
            for name in hit:
                prop = self.spec.prop(name)
                api_name = (prop.api or name).rsplit(".", 1)[-1]
                value = to_api(prop, self._value_or_reset(prop, inputs))
                self.invoke(update.call, fields.with_values(api=api_name, value="" if value is None else value))
            return
        args = render(dict(update.call.args), fields)
        for name in hit if update.changed_only else update.props:
            prop = self.spec.prop(name)
            value = self._value_or_reset(prop, inputs)
            path = update.paths.get(name, prop.api)
            if value is not None and path:
                set_path(args, path, to_api(prop, value))
        self.invoke(update.call, fields, args)
        self.wait(update.call, fields)

    @staticmethod
    def _value_or_reset(prop: Prop, inputs: Mapping[str, Any]) -> Any:
        value = inputs.get(prop.name)
        if value is not None:
            return value
        return prop.reset if prop.reset is not None else prop.default

    # ------------------------------------------------------------------ tags


    def _tag_param(self, tags: Mapping[str, str], *, on_create: bool = False) -> Any:
        tagging = self.spec.tagging
        assert tagging is not None
        value: Any = dict(tags) if tagging.form == "map" else tag_list(tags, *tagging.keys)
        if on_create and tagging.resource_type:
            return [{"ResourceType": tagging.resource_type, "Tags": value}]
        return value

    def _write_tags(self, fields: Fields, had: Mapping[str, str], wanted: Mapping[str, str]) -> None:
        tagging = self.spec.tagging
        assert tagging is not None
        if dict(had) == dict(wanted):
            return
        if tagging.replace_all:
            if wanted:
                self.invoke(tagging.tag, fields.with_values(tags=self._tag_param(wanted)))
            elif tagging.untag is not None:
                self.invoke(tagging.untag, fields)
            return
        to_set, to_remove = tag_changes(had, wanted)
        if to_set:
            self.invoke(tagging.tag, fields.with_values(tags=self._tag_param(to_set)))
        if to_remove and tagging.untag is not None:
            keys: list[Any] = [{tagging.untag_key: k} for k in to_remove] if tagging.untag_key else to_remove
            self.invoke(tagging.untag, fields.with_values(keys=keys))

    def _live_tags(self, fields: Fields, doc: Mapping[str, Any]) -> dict[str, str] | None:
        tagging = self.spec.tagging
        if tagging is None:
            return None
        if tagging.read is None:
            return tag_dict(get_path(doc, tagging.in_doc), *tagging.keys)
        with missing(*tagging.read.absent) as probe:
            response = self.invoke(tagging.read, fields)
        return {} if probe.gone else tag_dict(get_path(response, tagging.read.result), *tagging.keys)

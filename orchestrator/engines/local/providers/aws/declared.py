"""Runs a pulumi-aws type from its description (`spec.AwsType`): check, diff, preview,
create, read, update, delete, through boto3.

Outputs after a create or update come from the same code as `read`, so reading an untouched
object reports no drift, and a change made behind Pulumi's back does. A type that needs code
subclasses `DeclaredResource` and overrides a hook (`normalize`, `create_args`,
`after_create`, `live`, `finish_outputs`, `after_update`) or, rarely, a whole step.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any

from orchestrator.engines.base import PropertyDiff
from orchestrator.engines.local.providers.aws.client import account_id, aws_client, aws_errors, missing
from orchestrator.engines.local.providers.aws.convert import from_api, normalized, to_api
from orchestrator.engines.local.providers.aws.naming import physical_name
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Update
from orchestrator.engines.local.providers.aws.tags import default_tags, tag_changes, tag_dict, tag_list, tags_outputs
from orchestrator.engines.local.providers.aws.values import get_path, render, set_path
from orchestrator.engines.local.providers.base import (
    UNKNOWN_MARKER,
    DiffResult,
    ProviderContext,
    ProviderError,
    ReadResult,
)
from orchestrator.engines.local.providers.inputs import as_tags, diff_inputs, diff_values

# Every pulumi-aws v7 resource takes `region`; changing it replaces the resource.
COMMON_INPUTS = ("region",)
_WAIT = {"Delay": 1, "MaxAttempts": 120}


class Fields(Mapping[str, Any]):
    """Template fields; `account` is asked of STS only when a template uses it."""

    def __init__(self, resource: DeclaredResource, values: dict[str, Any]) -> None:
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


class DeclaredResource:
    def __init__(self, spec: AwsType, ctx: ProviderContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.type_token = spec.token

    # ------------------------------------------------------------------ helpers

    def region(self, inputs: Mapping[str, Any]) -> str:
        region = inputs.get("region")
        return region if isinstance(region, str) and region and region != UNKNOWN_MARKER else self.ctx.aws.region

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

    @contextmanager
    def rollback_on_failure(self, id: str, inputs: Mapping[str, Any]) -> Iterator[None]:
        """Delete a just-created object when a follow-up call fails, so no orphan is left
        behind that the state never recorded."""
        try:
            yield
        except ProviderError:
            with suppress(Exception):
                self.delete("", id, dict(inputs), {})
            raise

    def desired_tags(self, inputs: Mapping[str, Any]) -> dict[str, str]:
        """tagsAll to apply: default tags merged under the resource's own tags."""
        return {**default_tags(self.ctx), **as_tags(inputs, "tags", self.type_token)}

    def described(self, id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        found = self.read("", id, dict(inputs), {})
        if found is None:
            raise ProviderError(f"{self.type_token} {id}: written, but the endpoint no longer finds it")
        return found.outputs

    # ------------------------------------------------------------------ check, diff, preview

    def check(self, urn: str, name: str, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        self._refuse_unknown_inputs(news)
        if self.spec.tagging is not None and news.get("tags") not in (None, UNKNOWN_MARKER):
            as_tags(news, "tags", self.type_token)
        where = f"{self.type_token} {name}"
        checked = dict(news)
        for prop in self.spec.inputs:
            if checked.get(prop.name) is None and prop.default is not None:
                checked[prop.name] = copy.deepcopy(prop.default)
            if checked.get(prop.name) is not None:
                checked[prop.name] = normalized(prop, checked[prop.name], where, prop.name)
        if self.spec.naming is not None:
            checked[self.spec.naming.prop] = physical_name(self.spec.naming, self.type_token, name, olds or {}, checked)
        for prop in self.spec.inputs:
            if prop.required and checked.get(prop.name) is None:
                raise ProviderError(f"{where}: `{prop.name}` is required")
        return self.normalize(name, olds or {}, checked)

    def _refuse_unknown_inputs(self, news: Mapping[str, Any]) -> None:
        allowed = {p.name for p in self.spec.inputs} | set(COMMON_INPUTS)
        if self.spec.tagging is not None:
            allowed.add("tags")
        extra = sorted(k for k, v in news.items() if v is not None and k not in allowed and not k.startswith("__"))
        if extra:
            raise ProviderError(
                f"{self.type_token}: the local engine does not support the input(s) {', '.join(extra)}; "
                f"supported: {', '.join(sorted(allowed))}"
            )

    def replace_paths(self) -> tuple[str, ...]:
        paths = [*COMMON_INPUTS]
        for prop in self.spec.inputs:
            if prop.replace:
                paths.append(prop.name)
            elif prop.kind == "object":
                paths.extend(f"{prop.name}.{p.name}" for p in prop.props if p.replace)
        return tuple(paths)

    def diff(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult:
        compared = dict(news)
        for prop in self.spec.inputs:
            # Optional+Computed: leaving it out keeps whatever the cloud has, so it is no change.
            if prop.computed and compared.get(prop.name) is None and old_inputs.get(prop.name) is not None:
                compared[prop.name] = old_inputs[prop.name]
        secret = tuple(p.name for p in self.spec.props if p.secret)
        result = diff_inputs(old_inputs, compared, replace_on=self.replace_paths(), redact=secret)
        region = self.region(news)
        if old_outputs.get("region") not in (None, region) and news.get("region") is None:
            # The provider's region changed (pulumi-aws v7: every resource's `region` follows it).
            moved = PropertyDiff("region", "update", old_outputs["region"], region)
            return DiffResult(True, (*result.diffs, moved), (*result.replace_paths, "region"))
        if self.spec.tagging is not None and "tagsAll" in old_outputs and news.get("tags") != UNKNOWN_MARKER:
            # A change of the provider's default tags changes tagsAll, not the inputs.
            extra = diff_values(old_outputs.get("tagsAll") or {}, self.desired_tags(news), "tagsAll")
            if extra and not result.diffs:
                return DiffResult(changed=True, diffs=tuple(extra))
        return result

    def preview_outputs(self, urn: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        outputs = {k: v for k, v in inputs.items() if v is not None}
        outputs.setdefault("id", UNKNOWN_MARKER)
        for prop in self.spec.props:
            if not prop.input or (prop.computed and inputs.get(prop.name) is None):
                outputs.setdefault(prop.name, UNKNOWN_MARKER)
        outputs["region"] = self.region(inputs)
        if self.spec.tagging is not None and inputs.get("tags") != UNKNOWN_MARKER:
            outputs["tagsAll"] = self.desired_tags(inputs)
        return outputs

    # ------------------------------------------------------------------ create

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        spec = self.spec
        fields = self.fields(inputs)
        label = str(fields["name"] or self._planned_id(fields))
        args = render(dict(spec.create.args), fields)
        required = self._required_members(spec.create, inputs)
        for prop in self._sent(spec.create):
            value = inputs.get(prop.name)
            # A default is left for AWS to apply, unless the API requires the parameter
            # (a security group's Description): then pulumi-aws's default is what it sends.
            wanted = value != prop.default or (prop.api or "").split(".", 1)[0] in required
            if value is not None and wanted and prop.api:
                set_path(args, prop.api, to_api(prop, value))
        args.update(self.create_args(inputs))
        args = {k: v for k, v in args.items() if v is not None}  # a hook drops an argument with None
        tags = self.desired_tags(inputs) if spec.tagging is not None else {}
        tag_now = self.tags_on_create(inputs)
        if spec.tagging is not None and spec.tagging.on_create and tag_now and tags:
            args[spec.tagging.on_create] = self._tag_param(tags, on_create=True)
        with self.errors(label, inputs):
            response = self.invoke(spec.create, fields, args)
        id_ = str(get_path(response, spec.create.id) if spec.create.id else render(spec.id, fields))
        fields = fields.with_values(id=id_, response=response)
        with self.rollback_on_failure(id_, inputs), self.errors(label, inputs):
            self.wait(spec.create, fields)
            self._apply_after_create(fields, inputs)
            if spec.tagging is not None and not (spec.tagging.on_create and tag_now) and tags:
                self._write_tags(fields, {}, tags)
            self.after_create(id_, inputs)
        return id_, self.described(id_, inputs)

    def _required_members(self, call: Call, inputs: Mapping[str, Any]) -> frozenset[str]:
        """The request parameters the API's model marks required for this call."""
        client = self.client(inputs)
        operation = client.meta.method_to_api_mapping.get(call.op)
        if operation is None:
            return frozenset()
        shape = client.meta.service_model.operation_model(operation).input_shape
        return frozenset(shape.required_members) if shape is not None else frozenset()

    def _planned_id(self, fields: Fields) -> str:
        """What names the object in a create's error when it has no name: its id-to-be."""
        try:
            return str(render(self.spec.id, fields))
        except ProviderError:
            return "(new)"

    def _sent(self, call: Call) -> list[Prop]:
        if call.send is not None:
            return [self.spec.prop(n) for n in call.send]
        return [p for p in self.spec.inputs if p.api and p.on_create]

    def _apply_after_create(self, fields: Fields, inputs: Mapping[str, Any]) -> None:
        """Properties the create call does not take, set through their update calls."""
        later = {p.name for p in self.spec.inputs if not p.on_create and inputs.get(p.name) is not None}
        for update in self.spec.updates:
            hit = [n for n in update.props if n in later]
            if hit:
                self._run_update(update, hit, fields, inputs)

    # ------------------------------------------------------------------ read

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        with self.errors(id, inputs):
            doc = self.live(id, inputs, outputs)
            if doc is None:
                return None
            tags = self._live_tags(self.fields(inputs, id=id, outputs=outputs, doc=doc), doc)
            return ReadResult(id, self.outputs_from(id, doc, inputs, tags))

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        """The live document: the read calls' results merged; None when the object is gone."""
        doc: dict[str, Any] = {}
        for index, call in enumerate(self.spec.read):
            fields = self.fields(inputs, id=id, outputs=outputs, doc=doc)
            with missing(*call.absent) as probe:
                response = self.invoke(call, fields)
            part = None if probe.gone else get_path(response, call.result)
            if index == 0 and call.gone and isinstance(part, Mapping) and get_path(part, call.gone[0]) in call.gone[1]:
                return None  # deleted, though the service still lists it: no further reads
            if part is None:
                if index == 0:
                    return None
                continue
            if call.into:
                set_path(doc, call.into, part)
            elif isinstance(part, Mapping):
                doc.update(part)
        return doc

    def outputs_from(
        self, id: str, doc: Mapping[str, Any], inputs: Mapping[str, Any], tags: Mapping[str, str] | None
    ) -> dict[str, Any]:
        outputs: dict[str, Any] = {"id": id}
        for prop in self.spec.props:
            if prop.template is not None:
                continue
            path = prop.read_path
            if path:
                value = from_api(prop, get_path(doc, path), inputs.get(prop.name))
            else:
                value = None if prop.output else inputs.get(prop.name)
            if value is None:
                value = copy.deepcopy(prop.default)
            if value is not None:
                outputs[prop.name] = value
        fields = self.fields(inputs, id=id, outputs=outputs, doc=doc)
        for prop in self.spec.props:
            if prop.template is not None:
                outputs[prop.name] = render(prop.template, fields)
        outputs["region"] = self.region(inputs)
        if tags is not None:
            outputs.update(tags_outputs(self.ctx, tags, as_tags(inputs, "tags", self.type_token)))
        return self.finish_outputs(outputs, doc, inputs)

    def _live_tags(self, fields: Fields, doc: Mapping[str, Any]) -> dict[str, str] | None:
        tagging = self.spec.tagging
        if tagging is None:
            return None
        if tagging.read is None:
            return tag_dict(get_path(doc, tagging.in_doc), *tagging.keys)
        with missing(*tagging.read.absent) as probe:
            response = self.invoke(tagging.read, fields)
        return {} if probe.gone else tag_dict(get_path(response, tagging.read.result), *tagging.keys)

    # ------------------------------------------------------------------ update

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        fields = self.fields(news, id=id, outputs=old_outputs)
        changed = {p.name for p in self.spec.inputs if news.get(p.name) != old_inputs.get(p.name)}
        with self.errors(id, news, old_inputs):
            for update in self.spec.updates:
                hit = [n for n in update.props if n in changed]
                if hit:
                    self._run_update(update, hit, fields, news)
            if self.spec.tagging is not None:
                self._write_tags(fields, old_outputs.get("tagsAll") or {}, self.desired_tags(news))
            self.after_update(id, old_inputs, old_outputs, news)
        return self.described(id, news)

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

    # ------------------------------------------------------------------ delete

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        call = self.spec.delete
        if call is None:
            return
        fields = self.fields(inputs, id=id, outputs=outputs)
        with self.errors(id, inputs), missing(*call.absent) as probe:
            self.invoke(call, fields)
        if not probe.gone:
            with self.errors(id, inputs):
                self.wait(call, fields)

    # ------------------------------------------------------------------ hooks for code

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """More checks and normalization after the declared ones."""
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Create-request arguments no property maps to directly (None removes one)."""
        return {}

    def tags_on_create(self, inputs: Mapping[str, Any]) -> bool:
        """Whether the create call carries the tags (`Tagging.on_create`), else tag after it."""
        return True

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        """Calls after the create, its waiter and the declared follow-ups."""

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Outputs no property maps to directly."""
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        """Calls for changes the declared updates do not cover."""


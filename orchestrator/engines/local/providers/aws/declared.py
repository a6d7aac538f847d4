"""Runs a pulumi-aws type from its description (`spec.AwsType`): check, diff, preview,
create, read, update, delete, through boto3. The steps that call the cloud are here; what is
decided before (check, diff, preview) is in `declared_checks.py`, the API calls they make
(templates, waiters, declared updates, tags) in `declared_calls.py`.

Outputs after a create or update come from the same code as `read`, so reading an untouched
object reports no drift, and a change made behind Pulumi's back does. A type that needs code
subclasses `DeclaredResource` and overrides a hook (`normalize`, `create_args`,
`after_create`, `live`, `finish_outputs`, `after_update`) or, rarely, a whole step.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.convert import from_api, to_api
from orchestrator.engines.local.providers.aws.declared_calls import DeclaredCalls, Fields
from orchestrator.engines.local.providers.aws.spec import Call, Prop
from orchestrator.engines.local.providers.aws.tags import tags_outputs
from orchestrator.engines.local.providers.aws.values import get_path, render, set_path
from orchestrator.engines.local.providers.base import ProviderError, ReadResult
from orchestrator.engines.local.providers.inputs import as_tags


class DeclaredResource(DeclaredCalls):
    """A pulumi-aws type run from its description: the steps (see the module docstring)."""

    # ------------------------------------------------------------------ helpers


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

    def described(self, id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        found = self.read("", id, dict(inputs), {})
        if found is None:
            raise ProviderError(f"{self.type_token} {id}: written, but the endpoint no longer finds it")
        return found.outputs

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

"""Types whose create call also updates (`PutRule`, `PutTargets`, `PutMetricAlarm`,
`PutBucketWebsite`, ...): an update sends the whole create request again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.convert import to_api
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.values import render, set_path


class PutAgain(DeclaredResource):
    """`request` is the create call's arguments (templated args, every input at its `api`
    path, then `create_args`); a change of any in-place input sends it again."""

    def request(self, id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = render(dict(self.spec.create.args), self.fields(inputs, id=id))
        for prop in self.spec.inputs:
            value = inputs.get(prop.name)
            if value is not None and prop.api:
                set_path(args, prop.api, to_api(prop, value))
        return {**args, **self.create_args(inputs)}

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        mutable = [p.name for p in self.spec.inputs if not p.replace]
        if any(news.get(n) != old_inputs.get(n) for n in mutable):
            getattr(self.client(news), self.spec.create.op)(**self.request(id, news))

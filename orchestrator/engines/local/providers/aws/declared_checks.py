"""What a declared pulumi-aws type decides before any step runs: `check` (defaults,
normalized values, the autoname, required inputs, the `normalize` hook), `diff` (which changes
replace the object, a moved region, changed default tags) and the outputs a preview shows.

The base of `DeclaredResource` (`declared.py`); its API calls are in `declared_calls.py`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.base import PropertyDiff
from orchestrator.engines.local.providers.aws.convert import normalized
from orchestrator.engines.local.providers.aws.naming import physical_name
from orchestrator.engines.local.providers.aws.spec import AwsType
from orchestrator.engines.local.providers.aws.tags import default_tags
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, DiffResult, ProviderContext, ProviderError
from orchestrator.engines.local.providers.inputs import as_tags, diff_inputs, diff_values

# Every pulumi-aws v7 resource takes `region`; changing it replaces the resource.
COMMON_INPUTS = ("region",)


class DeclaredChecks:
    """Check, diff and preview of a type from its description (`spec.AwsType`)."""

    def __init__(self, spec: AwsType, ctx: ProviderContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.type_token = spec.token

    # ------------------------------------------------------------------ helpers


    def region(self, inputs: Mapping[str, Any]) -> str:
        region = inputs.get("region")
        return region if isinstance(region, str) and region and region != UNKNOWN_MARKER else self.ctx.aws.region

    def desired_tags(self, inputs: Mapping[str, Any]) -> dict[str, str]:
        """tagsAll to apply: default tags merged under the resource's own tags."""
        return {**default_tags(self.ctx), **as_tags(inputs, "tags", self.type_token)}

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

    # ------------------------------------------------------------------ hooks for code


    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """More checks and normalization after the declared ones."""
        return news

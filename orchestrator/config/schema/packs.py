"""Policy pack settings: the packs `orchestrator.yaml` runs on every stack, and those an
environment adds (Pulumi policy packs, docs/policy.md)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from orchestrator.config.schema.base import Strict


def _policy_value(value: Any) -> Any:
    from orchestrator.policy.settings import parse_policy_value

    parse_policy_value(value)  # a level, or the policy's properties with an optional enforcementLevel
    return value


PolicyValue = Annotated[Any, AfterValidator(_policy_value)]


class PackModel(Strict):
    path: str = Field(
        description="Directory of a Pulumi policy pack (Pulumi's Python policy SDK, `pulumi-policy`), holding its "
        "`PulumiPolicy.yaml`, relative to the repository root. A change under it previews every stack it applies to."
    )
    config: dict[str, PolicyValue] = Field(
        default_factory=dict,
        description="Per-policy configuration, as Pulumi's `--policy-pack-config` file takes it: policy name → an "
        "enforcement level (`advisory`, `mandatory`, `remediate`, `disabled`) or a mapping of the policy's properties "
        "with an optional `enforcementLevel`; the key `all` sets the level of every policy of the pack.",
    )

    @field_validator("path")
    @classmethod
    def _pack_path(cls, value: str) -> str:
        cleaned = value.strip().rstrip("/")
        if not cleaned or cleaned.startswith(("/", "./")) or ".." in cleaned.split("/") or "\\" in cleaned:
            raise ValueError(f"{value!r} must be a directory inside the repository, relative to its root")
        return cleaned


class PolicyPackModel(PackModel):
    environments: list[str] | None = Field(
        None, description="Environments whose stacks run this pack; default every environment."
    )


class PolicyModel(Strict):
    packs: list[PolicyPackModel] = Field(
        default_factory=list, description="Policy packs run on every preview and update, in this order."
    )


class EnvironmentPolicyModel(Strict):
    packs: list[PackModel] = Field(
        default_factory=list,
        description="Policy packs this environment's stacks run after those of `orchestrator.yaml`.",
    )

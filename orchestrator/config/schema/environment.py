"""The model of `environments/<name>.yaml`: a deploy target's branch rule, engine, backend,
cloud settings, config, gates, drift detection, notifications, policy packs and review stacks."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from orchestrator.config.schema.base import PLACEHOLDER, EnvVarName, Strict, secret_env_names
from orchestrator.config.schema.packs import EnvironmentPolicyModel
from orchestrator.globs import validate_glob

_STACK_NAME_FIELDS = {"env", "project"}
_BRANCH_FORBIDDEN = re.compile(r"\s|\.\.|[~^:\\]|@\{")


class AwsModel(Strict):
    region: str = Field("us-east-1", description="AWS region of the environment.")
    endpoint: str | None = Field(
        None, description="AWS endpoint URL; `sandbox` means the embedded AWS (moto) of the local engine."
    )
    role_arn: str | None = Field(None, description="IAM role assumed for this environment (pulumi engine).")
    profile: str | None = Field(None, description="AWS shared-config profile.")


class UnmanagedModel(Strict):
    enabled: bool = Field(True, description="Look for cloud resources that no stack owns.")
    exclude_names: list[str] = Field(
        default_factory=list, description="Globs on a resource's name or ARN to leave out of the unmanaged report."
    )
    exclude_tags: dict[str, str] = Field(
        default_factory=dict, description='Tags (key → value glob, "*" for any) that leave a resource out.'
    )


class DriftModel(Strict):
    schedule: str = Field("0 */6 * * *", description="Cron expression: when drift detection is due.")
    remediate: bool = Field(False, description="Run an update of drifted stacks (never in protected environments).")
    ignore: list[str] = Field(
        default_factory=list,
        description='Findings to ignore, as "<type glob>:<property path glob>", e.g. '
        "`aws:s3/bucket:Bucket:tags*.LastScanned` (a tag shows in both `tags` and `tagsAll`).",
    )
    unmanaged: UnmanagedModel = Field(
        default_factory=lambda: UnmanagedModel(), description="Unmanaged-resource scan settings."
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a valid cron expression (five fields, e.g. '0 */6 * * *')")
        return value

    @field_validator("ignore")
    @classmethod
    def _ignore_rules(cls, rules: list[str]) -> list[str]:
        for rule in rules:
            type_glob, sep, path_glob = rule.rpartition(":")
            if not sep or not type_glob or not path_glob:
                raise ValueError(f"{rule!r} must look like '<type glob>:<property path glob>'")
        return rules


AlertEvent = Literal["deploy_failed", "stack_locked", "gate_waiting", "rollback", "drift"]
ALERT_EVENTS: tuple[AlertEvent, ...] = ("deploy_failed", "stack_locked", "gate_waiting", "rollback", "drift")


def _all_events() -> list[AlertEvent]:
    return list(ALERT_EVENTS)


class NotifyModel(Strict):
    webhook_url_env: EnvVarName | None = Field(
        None, description="Name of the environment variable holding the webhook URL (the URL is a secret)."
    )
    format: Literal["slack", "json"] = Field(
        "slack", description="`slack`: a Slack-compatible incoming webhook (`{\"text\": ...}`); `json`: a generic "
                             "JSON event (event, environment, run, commit, stacks). Drift messages are Slack text."
    )
    events: list[AlertEvent] = Field(
        default_factory=_all_events,
        description="Which events are sent: `deploy_failed`, `stack_locked` (held longer than "
                    "`lock_threshold_minutes`), `gate_waiting` (a gate such as an approval holds the deploy), "
                    "`rollback`, `drift`.",
    )
    lock_threshold_minutes: float = Field(
        30, gt=0, description="A stack locked longer than this is reported (`stack_locked`)."
    )
    timeout_s: float = Field(
        5, gt=0, le=60, description="How long one webhook call may take; it runs in the background either way."
    )


_REVIEW_PLACEHOLDERS = {"pr", "env", "project"}


class ReviewModel(Strict):
    """Review stacks: an ephemeral stack per pull request into this environment's branch."""

    enabled: bool = Field(
        False,
        description="Give each trusted pull request into this environment's branch its own review stacks, created "
        "on open, updated on push and destroyed on close or merge (`orchestrator review`).",
    )
    stack_name: str = Field(
        "pr-{pr}",
        description="Stack name template of the review stacks; placeholders `{pr}` (required), `{env}` and "
        "`{project}`. It must never name one of the environment's own stacks (checked when the configuration "
        "loads).",
    )
    projects: list[str] | None = Field(
        None,
        description="Projects that may get a review stack; default every project. Of these, a pull request gets "
        "the ones it changes plus the projects that depend on them, in dependency order.",
    )
    ttl: str = Field(
        "72h",
        description="A review environment with no push for this long is destroyed by the scheduler "
        "(`orchestrator review sweep`): a whole number and a unit, `m`, `h`, `d` or `w`.",
    )
    max_active: int = Field(
        10, ge=1, description="Pull requests that may have review stacks at once; a further one is refused "
        "with a comment until another is destroyed."
    )

    @field_validator("stack_name")
    @classmethod
    def _review_stack_name(cls, value: str) -> str:
        found = set(PLACEHOLDER.findall(value))
        unknown = found - _REVIEW_PLACEHOLDERS
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}; use {{pr}}, {{env}} or {{project}}")
        if "pr" not in found:
            raise ValueError(f"{value!r} has no {{pr}}: every pull request needs stacks of its own")
        return value

    @field_validator("ttl")
    @classmethod
    def _ttl(cls, value: str) -> str:
        from orchestrator.insights.model import parse_span

        parse_span(value)  # ValueError says what to write
        return value


class EnvironmentModel(Strict):
    branch: str | list[str] = Field(
        description="Branch rule: an exact name, a glob (`release/*`) or a list of them."
    )
    order: int = Field(0, description="Promotion order; lower runs first when one branch feeds several environments.")
    engine: Literal["local", "pulumi"] = Field("local", description="Engine that runs this environment's stacks.")
    backend: str = Field(
        "file://.orchestrator/state",
        description="Pulumi backend URL (`file://` relative to the repository, `s3://`, `https://api.pulumi.com`).",
    )
    stack_name: str = Field("{env}", description="Pulumi stack name template; placeholders `{env}`, `{project}`.")
    aws: AwsModel = Field(default_factory=lambda: AwsModel(), description="Cloud settings.")
    config: Annotated[dict[str, Any], AfterValidator(secret_env_names)] = Field(
        default_factory=dict, description="Pulumi config merged under each stack's `Pulumi.<stack>.yaml`."
    )
    projects: list[str] | None = Field(None, description="Subset of projects deployed here; default all.")
    requires: list[str] = Field(
        default_factory=list, description="Environments where the same commit must have succeeded first."
    )
    protected: bool = Field(
        False, description="Approvals needed, no auto-remediation, destroy only with an explicit flag."
    )
    approvals: int = Field(0, ge=0, description="Approving reviews the merged PR must have before an update.")
    drift: DriftModel = Field(default_factory=lambda: DriftModel(), description="Drift detection settings.")
    notify: NotifyModel = Field(default_factory=lambda: NotifyModel(), description="Notifications.")
    policy: EnvironmentPolicyModel = Field(
        default_factory=lambda: EnvironmentPolicyModel(), description="Policy as code for this environment."
    )
    review: ReviewModel = Field(
        default_factory=lambda: ReviewModel(), description="Review stacks per pull request (docs/flows.md)."
    )

    @field_validator("branch")
    @classmethod
    def _branch_rules(cls, value: str | list[str]) -> str | list[str]:
        rules = [value] if isinstance(value, str) else value
        if not rules:
            raise ValueError("needs at least one branch name or glob")
        for rule in rules:
            if not rule or _BRANCH_FORBIDDEN.search(rule) or rule.startswith("/") or rule.endswith("/"):
                raise ValueError(f"{rule!r} is not a valid branch name or glob")
            validate_glob(rule)
        return value

    @field_validator("stack_name")
    @classmethod
    def _stack_name(cls, value: str) -> str:
        unknown = set(PLACEHOLDER.findall(value)) - _STACK_NAME_FIELDS
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}; use {{env}} or {{project}}")
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str) -> str:
        if not re.match(r"^(file|s3|azblob|gs|https?)://", value):
            raise ValueError(f"{value!r} is not a backend URL (file://, s3://, azblob://, gs://, https://)")
        return value


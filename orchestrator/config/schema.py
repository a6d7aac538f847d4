"""Strict models of the configuration files (phase one: what the user wrote).

Unknown keys are errors. Field descriptions feed the configuration reference in docs.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestrator.globs import validate_glob
from orchestrator.redact import Redactor

_STACK_NAME_FIELDS = {"env", "project"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_BRANCH_FORBIDDEN = re.compile(r"\s|\.\.|[~^:\\]|@\{")


def _path_globs(globs: list[str]) -> list[str]:
    """Watch globs match paths relative to the repository root, which never start with `/` or `./`:
    such a glob would silently never match."""
    for glob in globs:
        if glob.startswith(("/", "./")):
            raise ValueError(f"{glob!r}: write globs relative to the repository root, without a leading / or ./")
        validate_glob(glob)
    return globs


_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_var_name(value: str) -> str:
    """A `*_env` key names an environment variable; a URL or token written there instead would
    be a secret committed to the repository, and echoed by every message that names the key."""
    if _ENV_VAR_NAME.fullmatch(value) is None or Redactor().text(value) != value:  # a token looks like a name
        raise ValueError(
            "must be the name of an environment variable (letters, digits and '_'), not its value; the value "
            "is not shown here: if it is a secret, it is in the repository's history now, so rotate it"
        )
    return value


EnvVarName = Annotated[str, AfterValidator(_env_var_name)]


def _secret_env_names(config: dict[str, Any]) -> dict[str, Any]:
    """`{secret_env: NAME}` anywhere in an environment's config names a variable, like a `*_env`
    key: a token pasted there would be committed, then echoed by the "is not set" error."""
    for key, value in config.items():
        _check_secret_env(str(key), value)
    return config


def _check_secret_env(path: str, value: Any) -> None:
    if isinstance(value, dict):
        if set(value) == {"secret_env"}:
            try:
                _env_var_name(str(value["secret_env"]))
            except ValueError as error:
                raise ValueError(f"{path}: secret_env {error}") from None
            return
        for key, item in value.items():
            _check_secret_env(f"{path}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_secret_env(f"{path}[{index}]", item)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
        found = set(_PLACEHOLDER.findall(value))
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
    config: Annotated[dict[str, Any], AfterValidator(_secret_env_names)] = Field(
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
        unknown = set(_PLACEHOLDER.findall(value)) - _STACK_NAME_FIELDS
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


class ProjectModel(Strict):
    depends_on: list[str] = Field(default_factory=list, description="Projects this one reads outputs from.")
    watch: list[str] = Field(default_factory=list, description="Extra globs whose changes affect this project.")
    environments: list[str] | None = Field(None, description="Environments this project is deployed to; default all.")

    @field_validator("watch")
    @classmethod
    def _watch(cls, globs: list[str]) -> list[str]:
        return _path_globs(globs)


class VcsModel(Strict):
    provider: Literal["github", "gitlab", "files"] = Field("github", description="Where comments and statuses go.")
    repo: str | None = Field(None, description="`owner/name` (GitHub) or project path (GitLab).")
    token_env: EnvVarName = Field("GITHUB_TOKEN", description="Environment variable holding the API token.")
    api_url: str | None = Field(None, description="API base URL (GitHub Enterprise, self-hosted GitLab).")


class CommentModel(Strict):
    max_chars: int = Field(65536, ge=2000, description="Size budget of the PR comment in characters.")
    group_identical: bool = Field(True, description="Show identical change sets across environments once.")


class TrustModel(Strict):
    users: list[str] = Field(default_factory=list, description="Users whose pull requests are previewed.")
    teams: list[str] = Field(
        default_factory=list,
        description="Teams (`org/team`) whose members are trusted; needs a token that can read the organization's "
        "teams, which GitHub Actions' GITHUB_TOKEN cannot (see security.md).",
    )
    min_permission: Literal["read", "triage", "write", "maintain", "admin"] = Field(
        "write", description="Repository permission that makes an author trusted."
    )


class InstallModel(Strict):
    """Where CI installs the orchestrator from: one pinned source, so a workflow runs exactly that code."""

    git: str | None = Field(
        None, description="The orchestrator's git repository (`https://...`), installed at `commit`."
    )
    commit: str | None = Field(
        None, pattern=r"^[0-9a-f]{40}$", description="Full commit SHA of `git` to install (40 hex digits)."
    )
    wheel: str | None = Field(None, description="URL (`https://...`) of a wheel of the orchestrator.")
    sha256: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", description="SHA-256 of `wheel`, checked before install."
    )
    requirements: str | None = Field(
        None,
        description="A requirements file in this repository pinning the orchestrator and its dependencies with "
        "hashes (`pip install --require-hashes`).",
    )

    @model_validator(mode="after")
    def _one_pinned_source(self) -> InstallModel:
        given = [name for name in ("git", "wheel", "requirements") if getattr(self, name)]
        if not given and not (self.commit or self.sha256):
            return self  # not configured
        if len(given) != 1:
            raise ValueError("give exactly one of git (with commit), wheel (with sha256) or requirements")
        if self.git and not self.commit:
            raise ValueError("git needs commit: the full SHA to install (a branch or tag can move)")
        if self.wheel and not self.sha256:
            raise ValueError("wheel needs sha256: the hash CI checks before installing it")
        for url in (self.git, self.wheel):
            if url and not url.startswith("https://"):
                raise ValueError(f"{url!r} must be an https:// URL")
        if self.requirements and (self.requirements.startswith("/") or ".." in self.requirements.split("/")):
            raise ValueError(f"{self.requirements!r} must be a file inside the repository")
        return self


class CiModel(Strict):
    install: InstallModel = Field(
        default_factory=lambda: InstallModel(),
        description="How generated CI installs the orchestrator (`orchestrator init` writes the workflows); "
        "unset: where the running orchestrator was installed from, when pip recorded a pin.",
    )


class OrchestratorModel(Strict):
    stacks_dir: str = Field("stacks", description="Directory holding one directory per Pulumi project.")
    environments_dir: str = Field("environments", description="Directory holding `<env>.yaml` files.")
    watch: list[str] = Field(default_factory=list, description="Repo-wide globs whose changes affect every project.")
    projects: dict[str, ProjectModel] = Field(default_factory=dict, description="Per-project settings by name.")
    vcs: VcsModel = Field(default_factory=lambda: VcsModel(), description="Version-control host settings.")
    concurrency: int | None = Field(None, ge=1, description="Stacks run at once; default the number of cores.")
    comment: CommentModel = Field(default_factory=lambda: CommentModel(), description="PR comment settings.")
    trust: TrustModel = Field(default_factory=lambda: TrustModel(), description="Who may trigger previews.")
    database: str | None = Field(
        None, description="SQLAlchemy URL of the store; default SQLite at `.orchestrator/orchestrator.db`."
    )
    policy: PolicyModel = Field(
        default_factory=lambda: PolicyModel(), description="Policy as code: Pulumi policy packs (docs/policy.md)."
    )
    ci: CiModel = Field(default_factory=lambda: CiModel(), description="Generated CI settings.")

    @field_validator("watch")
    @classmethod
    def _watch(cls, globs: list[str]) -> list[str]:
        return _path_globs(globs)

    @field_validator("stacks_dir", "environments_dir")
    @classmethod
    def _relative_dir(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"{value!r} must be a directory inside the repository")
        return value.strip("/") or "."


class PulumiProjectModel(BaseModel):
    """The parts of `Pulumi.yaml` the orchestrator reads; everything else is Pulumi's business."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str
    runtime: str | dict[str, Any]

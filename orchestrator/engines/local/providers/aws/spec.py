"""The declarative description of a pulumi-aws resource type.

One `AwsType` per type: its properties (named as in pulumi-aws, i.e. the camelCase names of
the Python SDK's `@pulumi.getter(name=...)`), where each lives in the AWS API, which changes
force a replace (terraform-provider-aws's `ForceNew`), defaults, computed outputs, and the
boto3 calls that create, read, update and delete it. `declared.py` interprets it; code is
needed only where AWS needs it (a subclass named by `AwsType.impl`).

Paths (`api`, `read`, `result`, `id`) are dotted keys with list indexes (`Vpcs[0].VpcId`).
Templates (`args`, `template`, `AwsType.id`) fill `{field}` from: `id`, `region`,
`partition`, `account`, `dns_suffix`, `name` (the physical name), `inputs.<prop>`,
`outputs.<prop>` (outputs recorded before an update, or read so far), and in an `Update`
with `each=True`, `api` (the property's API name) and `value`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from orchestrator.engines.local.providers.base import ProviderContext, ResourceProvider

Kind = Literal["str", "int", "float", "bool", "json", "list", "map", "object", "any"]


@dataclass(frozen=True)
class Prop:
    """One property of the type.

    `api` is where the value goes in the create (and update) requests; `read` is where the
    live value is in the document the read calls build (default: `api`; "" = never read
    back, the input is echoed). A property with neither is kept in state only (e.g.
    `forceDestroy`). `output=True` marks a computed output (arn, url, ...), unknown during
    the preview of a create; `template` computes one from other values.
    """

    name: str
    api: str | None = None
    read: str | None = None
    kind: Kind = "str"
    stringly: bool = False  # the API carries numbers and booleans as strings ("30", "true")
    replace: bool = False  # ForceNew: a change replaces the resource
    required: bool = False
    default: Any = None  # pulumi-aws's default: filled in at check, shown when the API says nothing
    computed: bool = False  # Optional+Computed: leaving it out means "whatever the cloud has"
    secret: bool = False  # diffs show [secret]; AWS error messages never echo it
    output: bool = False
    template: str | None = None
    on_create: bool = True  # False: the create call does not take it; its `Update` applies it after create
    choices: tuple[Any, ...] = ()
    values: tuple[tuple[Any, Any], ...] = ()  # live value -> pulumi value when read: (("ENABLED", True), ...)
    props: tuple[Prop, ...] = ()  # a nested block: an object (kind "object") or a list of objects ("list")
    set_key: str | None = None  # a list that is a set in pulumi-aws: kept sorted by this nested property
    reset: Any = None  # sent to clear the property when the program removes it (default: `default`)

    @property
    def read_path(self) -> str | None:
        return self.api if self.read is None else (self.read or None)

    @property
    def input(self) -> bool:
        return not self.output and self.template is None


@dataclass(frozen=True)
class Call:
    """One boto3 call. `args` are templated; `send` names the properties put into the request
    at their `api` paths (create: by default every property with an `api` path that the
    create takes; a value equal to the property's default is left out, so AWS applies its
    own). `result` is the part of the answer that matters; for read calls `into` says where
    it goes in the live document (merged at its root by default). `id` is where a
    create call's answer holds the new object's id. `absent` lists the error codes that mean
    "not there": for the first read call the object is gone, for a later one that part is
    empty, for a delete it was already deleted. `gone` is for services that keep listing a
    deleted object: (path, values), a first read whose answer holds one of `values` at `path`
    means the object is gone (ECS's INACTIVE, a KMS key pending deletion). `waiter` is a boto3
    waiter run afterwards with `waiter_args`."""

    op: str
    args: Mapping[str, Any] = field(default_factory=dict)
    send: tuple[str, ...] | None = None
    result: str = ""
    into: str = ""
    id: str | None = None
    absent: tuple[str, ...] = ()
    gone: tuple[str, tuple[str, ...]] | None = None
    waiter: str | None = None
    waiter_args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    """A call that changes `props` in place; it runs when one of them changed. It sends all
    of `props` (their new values, or `reset` for removed ones) at their `api` paths (or at
    `paths[prop]` where this call names it differently), or only the changed ones with
    `changed_only`; with `each`, one call per changed property (`{api}`, `{value}`)."""

    call: Call
    props: tuple[str, ...]
    each: bool = False
    changed_only: bool = False
    paths: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Tagging:
    """How the type's tags are written and read.

    `form`: tags as a list of {Key, Value} (`keys` names the two fields) or as a map.
    `on_create`: the create request's parameter for tags (`TagSpecifications` for EC2, with
    `resource_type`), or None to tag after create. `read`: the call that lists them
    (`result` = the tags); None: they are in the live document at `in_doc`. `tag` and
    `untag` add/change and remove tags (`{tags}`, `{keys}` in their args); with
    `replace_all`, `tag` writes the whole set and `untag` removes every tag.
    With `untag_key`, `{keys}` is a list of objects naming each key (EC2's DeleteTags).
    """

    tag: Call
    untag: Call | None = None
    read: Call | None = None
    in_doc: str = "Tags"
    form: Literal["list", "map"] = "list"
    keys: tuple[str, str] = ("Key", "Value")
    on_create: str | None = "Tags"
    resource_type: str | None = None
    replace_all: bool = False
    untag_key: str | None = None  # `{keys}` as [{untag_key: key}] (EC2 DeleteTags), not as names


@dataclass(frozen=True)
class Naming:
    """How a physical name is made when the program gives none: `<resource name>-<7 hex>`
    as pulumi-aws does (or `<prefix><random>` when `prefix` is set), reused from state on
    later runs. Characters outside `charset` become `-`; `suffix` is added when the boolean
    property `suffix_when` is true (`.fifo`)."""

    prop: str = "name"
    prefix: str | None = "namePrefix"
    max_len: int = 255
    charset: str = "A-Za-z0-9_-"
    lower: bool = False
    pattern: str | None = None  # the whole name must match this regex
    rule: str = ""  # the pattern in words, for the error message
    suffix_when: str | None = None
    suffix: str = ""


ProviderFactory = Callable[["AwsType", ProviderContext], ResourceProvider]
FunctionHandler = Callable[[ProviderContext, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class AwsFunction:
    """A provider function (an invoke such as `aws.ec2.get_ami`): its token and the code that
    answers it from the arguments (camelCase, as the SDK sends them) and the provider's
    context (region, endpoint)."""

    token: str
    handler: FunctionHandler


@dataclass(frozen=True)
class AwsType:
    """One pulumi-aws resource type. `id` templates the id when the create call's answer does
    not give it (`create.id`). `impl` is the class that adds code where AWS needs it (a
    subclass of `declared.DeclaredResource`); None for types that are pure data."""

    token: str
    client: str
    props: tuple[Prop, ...]
    create: Call
    read: tuple[Call, ...]
    delete: Call | None
    updates: tuple[Update, ...] = ()
    naming: Naming | None = None
    tagging: Tagging | None = None
    id: str = "{name}"
    impl: ProviderFactory | None = None

    def prop(self, name: str) -> Prop:
        for prop in self.props:
            if prop.name == name:
                return prop
        raise KeyError(f"{self.token} has no property {name!r}")

    @property
    def inputs(self) -> tuple[Prop, ...]:
        return tuple(p for p in self.props if p.input)

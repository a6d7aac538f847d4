"""The resources found in an AWS account, of the types the unmanaged-resource scan knows:

* the Resource Groups Tagging API (`get_resources`) gives ARNs *and tags* of S3 buckets,
  SQS queues, SNS topics, DynamoDB tables and SSM parameters in the region;
* it only lists resources that carry (or once carried) tags: on real AWS a bucket never
  tagged is absent, and moto 5.2.5 returns tagged resources only, for every one of these
  services (checked: an untagged bucket, queue, topic, table and parameter are all
  missing). So each service's own listing (`list_buckets` for the region, `list_queues`,
  `list_topics`, `list_tables`, `describe_parameters`) fills in the untagged ones, whose
  tags are then empty;
* IAM roles are not covered by the tagging API at all: `list_roles` (global, so the same
  roles appear in every environment's scan of one account). `list_roles` returns no tags,
  so a role's tags are fetched (`list_role_tags`) only when tag exclusion rules exist.

boto3 is imported inside functions: the CLI imports the drift package at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

from orchestrator.models import AwsSettings

BUCKET = "aws:s3/bucket:Bucket"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
TABLE = "aws:dynamodb/table:Table"
PARAMETER = "aws:ssm/parameter:Parameter"
ROLE = "aws:iam/role:Role"

_TAGGING_SERVICES = ("s3", "sqs", "sns", "dynamodb", "ssm")
# Roles AWS creates and manages for its services: no stack could own them, and deleting
# them breaks the service, so reporting them would be noise nobody can act on.
_AWS_MANAGED_ROLE_PATHS = ("/aws-service-role/", "/service-role/")
_DUMMY_CREDENTIAL = "testing"  # moto accepts any key; used only with an explicit endpoint


@dataclass(frozen=True)
class CloudResource:
    """One resource found in the account."""

    type: str
    arn: str
    name: str
    tags: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None  # SQS queues: the URL the API and state use as the id


_SCAN_THREADS = 4  # listings are I/O: on real AWS each call is ~100 ms, so services overlap


def list_resources(aws: AwsSettings, *, need_role_tags: bool) -> list[CloudResource]:
    """Every resource of the supported types in `aws.region` (plus the account's IAM roles).

    The services are listed concurrently (boto3 clients are thread-safe; they are made
    first, in this thread, because sessions are not).
    """
    from concurrent.futures import ThreadPoolExecutor

    clients = _Clients(aws)
    region = aws.region
    prefix = f"arn:{partition_of(region)}"
    services = ("resourcegroupstaggingapi", "s3", "sqs", "sns", "dynamodb", "ssm", "iam")
    made = {service: clients.get(service) for service in services}
    with ThreadPoolExecutor(max_workers=_SCAN_THREADS, thread_name_prefix="unmanaged-scan") as pool:
        tagged_f = pool.submit(_tagged_arns, made["resourcegroupstaggingapi"])
        roles_f = pool.submit(lambda: list(_roles(made["iam"], need_tags=need_role_tags)))
        listed_f = [
            pool.submit(_buckets, made["s3"], region, prefix),
            pool.submit(_queues, made["sqs"], region, prefix),
            pool.submit(_topics, made["sns"]),
        ]
        tables_f = pool.submit(_table_names, made["dynamodb"])
        parameters_f = pool.submit(_parameters, made["ssm"])
        tagged, roles = tagged_f.result(), roles_f.result()
        listed = [resource for future in listed_f for resource in future.result()]
        table_names, parameters = tables_f.result(), parameters_f.result()

    found: dict[str, CloudResource] = {}
    for arn, tags in tagged.items():
        resource = resource_from_arn(arn, tags)
        if resource is not None:
            found[arn] = resource
    if table_names or any(arn is None for _, arn in parameters):
        # Tables and parameters are listed by name: their ARNs need the account, which any
        # other ARN tells; STS only when the account holds nothing else.
        account = _account_from([*tagged, *(r.arn for r in (*listed, *roles))]) or clients.account_id()
        listed += [CloudResource(TABLE, f"{prefix}:dynamodb:{region}:{account}:table/{n}", n) for n in table_names]
        listed += [
            CloudResource(PARAMETER, arn or f"{prefix}:ssm:{region}:{account}:parameter/{name.lstrip('/')}", name)
            for name, arn in parameters
        ]
    for resource in listed:
        if resource.arn not in found:
            found[resource.arn] = resource
        elif resource.url is not None:
            found[resource.arn] = replace(found[resource.arn], url=resource.url)
    for role in roles:
        found[role.arn] = role
    return list(found.values())


def _tagged_arns(tagging: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    pages = tagging.get_paginator("get_resources").paginate(
        ResourceTypeFilters=list(_TAGGING_SERVICES), ResourcesPerPage=100
    )
    for page in pages:
        for mapping in page.get("ResourceTagMappingList", ()):
            out[mapping["ResourceARN"]] = {t["Key"]: t["Value"] for t in mapping.get("Tags") or ()}
    return out


def _account_from(arns: Iterable[str]) -> str | None:
    for arn in arns:
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[4]:
            return parts[4]
    return None


def _buckets(s3: Any, region: str, prefix: str) -> list[CloudResource]:
    # S3's listing is global: ask for this region's buckets only.
    return [
        CloudResource(type=BUCKET, arn=f"{prefix}:s3:::{bucket['Name']}", name=bucket["Name"])
        for page in s3.get_paginator("list_buckets").paginate(BucketRegion=region)
        for bucket in page.get("Buckets", ())
    ]


def _queues(sqs: Any, region: str, prefix: str) -> list[CloudResource]:
    out: list[CloudResource] = []
    for page in sqs.get_paginator("list_queues").paginate(MaxResults=1000):
        for url in page.get("QueueUrls", ()):
            queue = queue_from_url(url)
            if queue is not None:
                owner, name = queue
                out.append(CloudResource(type=QUEUE, arn=f"{prefix}:sqs:{region}:{owner}:{name}", name=name, url=url))
    return out


def _topics(sns: Any) -> list[CloudResource]:
    return [
        CloudResource(type=TOPIC, arn=topic["TopicArn"], name=topic["TopicArn"].rsplit(":", 1)[-1])
        for page in sns.get_paginator("list_topics").paginate()
        for topic in page.get("Topics", ())
    ]


def _table_names(dynamodb: Any) -> list[str]:
    return [name for page in dynamodb.get_paginator("list_tables").paginate() for name in page.get("TableNames", ())]


def _parameters(ssm: Any) -> list[tuple[str, str | None]]:
    """(name, ARN when the API gives it): moto's describe_parameters omits the ARN."""
    return [
        (parameter["Name"], parameter.get("ARN"))
        for page in ssm.get_paginator("describe_parameters").paginate(PaginationConfig={"PageSize": 50})
        for parameter in page.get("Parameters", ())
    ]


def _roles(iam: Any, *, need_tags: bool) -> Iterator[CloudResource]:
    for page in iam.get_paginator("list_roles").paginate():
        for role in page.get("Roles", ()):
            if role.get("Path", "/").startswith(_AWS_MANAGED_ROLE_PATHS):
                continue  # AWS-managed service roles: see _AWS_MANAGED_ROLE_PATHS
            tags = {t["Key"]: t["Value"] for t in role.get("Tags") or ()}
            if need_tags and not tags:
                tags = _role_tags(iam, role["RoleName"])
            yield CloudResource(type=ROLE, arn=role["Arn"], name=role["RoleName"], tags=tags)


def _role_tags(iam: Any, name: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in iam.get_paginator("list_role_tags").paginate(RoleName=name):
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", ())})
    return tags


def resource_from_arn(arn: str, tags: Mapping[str, str]) -> CloudResource | None:
    """The supported resource an ARN from the tagging API names, or None for other kinds
    (SSM documents, DynamoDB backups, SNS subscriptions...)."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    service, resource = parts[2], parts[5]
    if service == "s3" and "/" not in resource:
        return CloudResource(type=BUCKET, arn=arn, name=resource, tags=dict(tags))
    if service == "sqs" and ":" not in resource:
        return CloudResource(type=QUEUE, arn=arn, name=resource, tags=dict(tags))
    if service == "sns" and ":" not in resource:  # a subscription is <topic>:<id>
        return CloudResource(type=TOPIC, arn=arn, name=resource, tags=dict(tags))
    if service == "dynamodb" and resource.startswith("table/") and resource.count("/") == 1:
        return CloudResource(type=TABLE, arn=arn, name=resource.removeprefix("table/"), tags=dict(tags))
    if service == "ssm" and resource.startswith("parameter/"):
        path = resource.removeprefix("parameter/")
        # A hierarchical name (`/app/db/url`) must start with `/`, which the ARN drops.
        name = f"/{path}" if "/" in path else path
        return CloudResource(type=PARAMETER, arn=arn, name=name, tags=dict(tags))
    return None


def is_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def queue_from_url(url: str) -> tuple[str, str] | None:
    """(account, name) of a queue URL: `<scheme>://<host>/<account>/<name>`."""
    parts = [p for p in urlparse(url).path.split("/") if p]
    if len(parts) != 2:
        return None
    return parts[0], parts[1]


def queue_from_arn(arn: str) -> tuple[str, str] | None:
    parts = arn.split(":")
    if len(parts) != 6:
        return None
    return parts[4], parts[5]


# --------------------------------------------------------------------------- boto3 plumbing


class _Clients:
    """boto3 clients for one scan, made the way the local engine makes them: the endpoint,
    the profile, an assumed role, and dummy credentials for an emulator when none are set."""

    def __init__(self, aws: AwsSettings) -> None:
        self._aws = aws
        self._cache: dict[str, Any] = {}
        self._session: Any = None
        self._credentials: dict[str, str] | None = None
        self._account: str | None = None

    def get(self, service: str) -> Any:
        client = self._cache.get(service)
        if client is None:
            client = self._make(service)
            self._cache[service] = client
        return client

    def _make(self, service: str) -> Any:
        from botocore.config import Config

        config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=60)
        return self._base_session().client(
            service,
            region_name=self._aws.region,
            endpoint_url=self._aws.endpoint,
            config=config,
            **self._creds(),
        )

    def _base_session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.session.Session(profile_name=self._aws.profile, region_name=self._aws.region)
        return self._session

    def _creds(self) -> dict[str, str]:
        if self._credentials is None:
            self._credentials = self._resolve_credentials()
        return self._credentials

    def _resolve_credentials(self) -> dict[str, str]:
        import os

        aws = self._aws
        creds: dict[str, str] = {}
        has_env = bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))
        if aws.endpoint and not has_env and not aws.profile:
            creds = {"aws_access_key_id": _DUMMY_CREDENTIAL, "aws_secret_access_key": _DUMMY_CREDENTIAL}
        if aws.role_arn:
            sts = self._base_session().client("sts", region_name=aws.region, endpoint_url=aws.endpoint, **creds)
            granted = sts.assume_role(RoleArn=aws.role_arn, RoleSessionName="orchestrator-drift")["Credentials"]
            creds = {
                "aws_access_key_id": granted["AccessKeyId"],
                "aws_secret_access_key": granted["SecretAccessKey"],
                "aws_session_token": granted["SessionToken"],
            }
        return creds

    def account_id(self) -> str:
        if self._account is None:
            self._account = str(self.get("sts").get_caller_identity()["Account"])
        return self._account


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def describe_failure(exc: BaseException, *, endpoint: str | None, region: str) -> str:
    """One line a person can act on: what could not be listed, and why."""
    where = endpoint or f"AWS ({region})"
    operation = getattr(exc, "operation_name", None)
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error", {})
        code = error.get("Code", "")
        message = error.get("Message", "")
        what = f" {operation}" if operation else ""
        return _one_line(f"listing resources at {where} failed:{what} {code}: {message}".rstrip(": "))
    kind = type(exc).__name__
    return _one_line(f"listing resources at {where} failed: {kind}: {exc}") + _HINTS.get(kind, "")


MAX_ERROR_CHARS = 500  # a proxy or a wrong endpoint may answer with a whole HTML page


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else f"{text[:MAX_ERROR_CHARS]}..."


_UNREACHABLE_HINT = " (is the endpoint up? for the sandbox: `orchestrator sandbox status`)"
_HINTS: dict[str, str] = {
    "EndpointConnectionError": _UNREACHABLE_HINT,
    "ConnectTimeoutError": _UNREACHABLE_HINT,
    "ConnectionClosedError": _UNREACHABLE_HINT,
    "ReadTimeoutError": _UNREACHABLE_HINT,
    "NoCredentialsError": " (set AWS_PROFILE or AWS_ACCESS_KEY_ID)",
}

"""The pulumi-aws types the local engine applies through boto3, one small class per type.

Inputs and outputs use pulumi-aws v7 names (camelCase). Each class declares which input
changes force a replace. Outputs after create/update come from the same code as `read`, so
reading an untouched object reports no drift, and a change made behind Pulumi's back does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws_common import AwsResource, error_code, missing, tag_changes
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, ProviderError, ReadResult
from orchestrator.engines.local.providers.props import (
    as_int,
    as_str,
    autoname,
    drop_none,
    random_suffix,
)


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN_MARKER


def _policy_json(value: Any, type_token: str, key: str) -> str | None:
    """Policies may arrive as JSON text or as an object; the APIs want text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list):
        return json.dumps(value)
    raise ProviderError(f"{type_token}: `{key}` must be a JSON policy document")


def _same_policy(live: Any, configured: str | None) -> str | None:
    """The configured text when the live policy means the same (AWS reformats JSON), else live."""
    if live is None or live == "":
        return None
    live_doc = json.loads(live) if isinstance(live, str) else live
    if configured is not None:
        try:
            if json.loads(configured) == live_doc:
                return configured
        except json.JSONDecodeError:
            pass
    return live if isinstance(live, str) else json.dumps(live_doc, separators=(",", ":"))


def _reused_or_new_name(
    news: dict[str, Any],
    olds: Mapping[str, Any],
    *,
    key: str,
    base: str,
    max_len: int,
    suffix: str = "",
) -> str:
    """The given name, else the recorded autoname, else `base-<7 hex>` (as pulumi-aws names)."""
    name = news.get(key)
    if name is None:
        prefix = news.get("namePrefix", news.get("bucketPrefix"))
        old = olds.get(key)
        if isinstance(old, str) and old.endswith(suffix) and (not prefix or old.startswith(prefix)):
            name = old
        elif isinstance(prefix, str) and prefix:
            name = prefix + random_suffix(max(1, min(26, max_len - len(prefix) - len(suffix)))) + suffix
        else:
            name = autoname(base, max_len=max_len, suffix=suffix)
    return str(name)


# --------------------------------------------------------------------------------------
# S3 bucket
# --------------------------------------------------------------------------------------
_S3_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class Bucket(AwsResource):
    type_token = "aws:s3/bucket:Bucket"
    replace_on = ("bucket", "bucketPrefix", "objectLockEnabled", "region")
    inputs_known = ("bucket", "bucketPrefix", "forceDestroy", "objectLockEnabled")
    state_only = ("forceDestroy",)
    computed = ("id", "arn", "bucketDomainName", "bucketRegionalDomainName")

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        base = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.") or "bucket"
        bucket = _reused_or_new_name(news, olds, key="bucket", base=base, max_len=63)
        if bucket != UNKNOWN_MARKER and not _S3_NAME.match(bucket):
            raise ProviderError(
                f"{self.type_token} {name}: bucket name {bucket!r} is invalid: S3 wants 3-63 characters, "
                "lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"
            )
        news["bucket"] = bucket
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bucket = str(inputs["bucket"])
        s3 = self.client("s3", inputs)
        region = self.region(inputs)
        with self.errors(bucket):
            if self._exists(s3, bucket):
                raise ProviderError(
                    f"{self.type_token}: bucket {bucket!r} already exists; choose another name or import it"
                )
            args: dict[str, Any] = {"Bucket": bucket}
            if region != "us-east-1":
                args["CreateBucketConfiguration"] = {"LocationConstraint": region}
            if inputs.get("objectLockEnabled"):
                args["ObjectLockEnabledForBucket"] = True
            s3.create_bucket(**args)
        with self.rollback_on_failure(bucket, inputs), self.errors(bucket):
            tags = self.desired_tags(inputs)
            if tags:
                self._put_tags(s3, bucket, tags)
        return bucket, self.described(bucket, inputs)

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        s3 = self.client("s3", inputs)
        with self.errors(id):
            if not self._exists(s3, id):
                return None
            live_tags = self._tags(s3, id)
            lock = self._object_lock(s3, id)
        region = self.region(inputs)
        result: dict[str, Any] = {
            "id": id,
            "arn": f"arn:aws:s3:::{id}",
            "bucket": id,
            "bucketDomainName": f"{id}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{id}.s3.{region}.amazonaws.com",
            "region": region,
            "forceDestroy": bool(inputs.get("forceDestroy", False)),
            "objectLockEnabled": lock,
            **self.tags_outputs(live_tags, inputs),
        }
        if inputs.get("bucketPrefix"):
            result["bucketPrefix"] = inputs["bucketPrefix"]
        return ReadResult(id, result)

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        s3 = self.client("s3", news)
        wanted = self.desired_tags(news)
        with self.errors(id):
            if wanted != (old_outputs.get("tagsAll") or {}):
                self._put_tags(s3, id, wanted)
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        s3 = self.client("s3", inputs)
        with self.errors(id):
            if not self._exists(s3, id):
                return
            if inputs.get("forceDestroy"):
                self._empty(s3, id)
            try:
                s3.delete_bucket(Bucket=id)
            except ClientError as exc:
                if error_code(exc) == "BucketNotEmpty":
                    raise ProviderError(
                        f"{self.type_token} {id}: the bucket is not empty; set forceDestroy=True to let "
                        "Pulumi delete its objects, or empty it first"
                    ) from exc
                raise

    # -- S3 calls ------------------------------------------------------------------------
    @staticmethod
    def _exists(s3: Any, bucket: str) -> bool:
        with missing("404", "NoSuchBucket", "NotFound") as probe:
            s3.head_bucket(Bucket=bucket)
        return not probe.gone

    @staticmethod
    def _tags(s3: Any, bucket: str) -> dict[str, str]:
        with missing("NoSuchTagSet"):
            return _tag_dict(s3.get_bucket_tagging(Bucket=bucket).get("TagSet"))
        return {}

    @staticmethod
    def _object_lock(s3: Any, bucket: str) -> bool:
        with missing("ObjectLockConfigurationNotFoundError"):
            config = s3.get_object_lock_configuration(Bucket=bucket).get("ObjectLockConfiguration", {})
            return bool(config.get("ObjectLockEnabled") == "Enabled")
        return False

    @staticmethod
    def _put_tags(s3: Any, bucket: str, tags: Mapping[str, str]) -> None:
        if tags:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tag_list(tags)})
        else:
            s3.delete_bucket_tagging(Bucket=bucket)

    @staticmethod
    def _empty(s3: Any, bucket: str) -> None:
        """Delete every object version and delete marker (forceDestroy)."""
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            keys = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            for start in range(0, len(keys), 1000):
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True})


# --------------------------------------------------------------------------------------
# S3 bucket versioning
# --------------------------------------------------------------------------------------
_VERSIONING_STATUSES = ("Enabled", "Suspended", "Disabled")


class BucketVersioning(AwsResource):
    type_token = "aws:s3/bucketVersioning:BucketVersioning"
    replace_on = ("bucket", "expectedBucketOwner", "region")
    inputs_known = ("bucket", "versioningConfiguration", "expectedBucketOwner")
    computed = ("id",)

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("bucket") is None:
            raise ProviderError(f"{self.type_token} {name}: `bucket` is required")
        config = news.get("versioningConfiguration")
        if config is None or (not isinstance(config, Mapping) and config != UNKNOWN_MARKER):
            raise ProviderError(f"{self.type_token} {name}: `versioningConfiguration` with a `status` is required")
        status = config.get("status") if isinstance(config, Mapping) else None
        if isinstance(config, Mapping) and _known(status) and status not in _VERSIONING_STATUSES:
            raise ProviderError(
                f"{self.type_token} {name}: versioningConfiguration.status {status!r} is not one of "
                f"{', '.join(_VERSIONING_STATUSES)}"
            )
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bucket = str(inputs["bucket"])
        status = str(inputs["versioningConfiguration"].get("status"))
        with self.errors(bucket):
            if status != "Disabled":  # S3 cannot be told "Disabled"; a new bucket already is.
                self._put(bucket, status, inputs)
        return bucket, self.described(bucket, inputs)

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        s3 = self.client("s3", inputs)
        with self.errors(id):
            if not Bucket._exists(s3, id):
                return None
            live = s3.get_bucket_versioning(**self._bucket_args(id, inputs))
        config: dict[str, Any] = {"status": live.get("Status", "Disabled")}
        if live.get("MFADelete"):
            config["mfaDelete"] = live["MFADelete"]
        result: dict[str, Any] = {
            "id": id,
            "bucket": id,
            "versioningConfiguration": config,
            "region": self.region(inputs),
        }
        if inputs.get("expectedBucketOwner"):
            result["expectedBucketOwner"] = inputs["expectedBucketOwner"]
        return ReadResult(id, result)

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        status = str(news["versioningConfiguration"].get("status"))
        with self.errors(id):
            # Versioning once enabled can only be suspended.
            self._put(id, "Suspended" if status == "Disabled" else status, news)
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        s3 = self.client("s3", inputs)
        with self.errors(id):
            if not Bucket._exists(s3, id):
                return
            live = s3.get_bucket_versioning(**self._bucket_args(id, inputs))
            if live.get("Status") == "Enabled":  # as pulumi-aws: deleting the resource suspends versioning
                self._put(id, "Suspended", inputs)

    def _put(self, bucket: str, status: str, inputs: Mapping[str, Any]) -> None:
        config: dict[str, str] = {"Status": status}
        mfa_delete = inputs["versioningConfiguration"].get("mfaDelete")
        if mfa_delete:
            config["MFADelete"] = str(mfa_delete)
        self.client("s3", inputs).put_bucket_versioning(
            **self._bucket_args(bucket, inputs), VersioningConfiguration=config
        )

    @staticmethod
    def _bucket_args(bucket: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"Bucket": bucket}
        if inputs.get("expectedBucketOwner"):
            args["ExpectedBucketOwner"] = inputs["expectedBucketOwner"]
        return args


# --------------------------------------------------------------------------------------
# SQS queue
# --------------------------------------------------------------------------------------
# input property → (SQS attribute, kind, AWS default used when the input is removed)
_QUEUE_ATTRIBUTES: dict[str, tuple[str, str, str | None]] = {
    "visibilityTimeoutSeconds": ("VisibilityTimeout", "int", "30"),
    "messageRetentionSeconds": ("MessageRetentionPeriod", "int", "345600"),
    "delaySeconds": ("DelaySeconds", "int", "0"),
    "maxMessageSize": ("MaximumMessageSize", "int", "262144"),
    "receiveWaitTimeSeconds": ("ReceiveMessageWaitTimeSeconds", "int", "0"),
    "kmsDataKeyReusePeriodSeconds": ("KmsDataKeyReusePeriodSeconds", "int", None),
    "fifoQueue": ("FifoQueue", "bool", None),
    "contentBasedDeduplication": ("ContentBasedDeduplication", "bool", None),
    "sqsManagedSseEnabled": ("SqsManagedSseEnabled", "bool", None),
    "kmsMasterKeyId": ("KmsMasterKeyId", "str", ""),
    "deduplicationScope": ("DeduplicationScope", "str", None),
    "fifoThroughputLimit": ("FifoThroughputLimit", "str", None),
    "policy": ("Policy", "json", ""),
    "redrivePolicy": ("RedrivePolicy", "json", ""),
    "redriveAllowPolicy": ("RedriveAllowPolicy", "json", ""),
}
_SQS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_SQS_MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


class Queue(AwsResource):
    type_token = "aws:sqs/queue:Queue"
    replace_on = ("name", "namePrefix", "fifoQueue", "region")
    inputs_known = ("name", "namePrefix", *_QUEUE_ATTRIBUTES)
    computed = ("id", "arn", "url")

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        fifo = bool(news.get("fifoQueue"))
        suffix = ".fifo" if fifo else ""
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", name) or "queue"
        queue = _reused_or_new_name(news, olds, key="name", base=base, max_len=80, suffix=suffix)
        if queue != UNKNOWN_MARKER:
            stem = queue.removesuffix(".fifo") if fifo else queue
            if not _SQS_NAME.match(stem) or len(queue) > 80:
                raise ProviderError(
                    f"{self.type_token} {name}: queue name {queue!r} is invalid: up to 80 letters, digits, "
                    "hyphens and underscores"
                )
            if fifo != queue.endswith(".fifo"):
                raise ProviderError(
                    f"{self.type_token} {name}: a FIFO queue's name must end in `.fifo` and only then "
                    f"(name {queue!r}, fifoQueue={fifo})"
                )
        news["name"] = queue
        for key, (_, kind, _) in _QUEUE_ATTRIBUTES.items():
            if kind == "int" and _known(news.get(key)):
                news[key] = as_int(news, key, self.type_token)
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        queue = str(inputs["name"])
        sqs = self.client("sqs", inputs)
        attributes = {
            attr: self._attribute_text(inputs[key], kind)
            for key, (attr, kind, _) in _QUEUE_ATTRIBUTES.items()
            if inputs.get(key) is not None and not (kind == "bool" and inputs[key] is False)
        }
        tags = self.desired_tags(inputs)
        with self.errors(queue):
            args: dict[str, Any] = {"QueueName": queue, "Attributes": attributes}
            if tags:
                args["tags"] = tags
            url = str(sqs.create_queue(**args)["QueueUrl"])
        return url, self.described(url, inputs)

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        sqs = self.client("sqs", inputs)
        with self.errors(id), missing(*_SQS_MISSING) as probe:
            live = sqs.get_queue_attributes(QueueUrl=id, AttributeNames=["All"])["Attributes"]
            live_tags = sqs.list_queue_tags(QueueUrl=id).get("Tags", {})
        if probe.gone:
            return None
        arn = str(live["QueueArn"])
        result: dict[str, Any] = {
            "id": id,
            "arn": arn,
            "url": id,
            "name": arn.rsplit(":", 1)[-1],
            "region": self.region(inputs),
            **self.tags_outputs(live_tags, inputs),
        }
        for key, (attr, kind, _) in _QUEUE_ATTRIBUTES.items():
            value = self._attribute_value(live.get(attr), kind, inputs.get(key))
            if value is not None:
                result[key] = value
        result.setdefault("fifoQueue", False)
        result.setdefault("contentBasedDeduplication", False)
        if inputs.get("namePrefix"):
            result["namePrefix"] = inputs["namePrefix"]
        return ReadResult(id, result)

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        sqs = self.client("sqs", news)
        changed: dict[str, str] = {}
        for key, (attr, kind, default) in _QUEUE_ATTRIBUTES.items():
            if key == "fifoQueue" or news.get(key) == old_inputs.get(key):
                continue
            if news.get(key) is not None:
                changed[attr] = self._attribute_text(news[key], kind)
            elif default is not None:
                changed[attr] = default
            elif kind == "bool":
                changed[attr] = "false"
        to_set, to_remove = tag_changes(old_outputs.get("tagsAll") or {}, self.desired_tags(news))
        with self.errors(id):
            if changed:
                sqs.set_queue_attributes(QueueUrl=id, Attributes=changed)
            if to_set:
                sqs.tag_queue(QueueUrl=id, Tags=to_set)
            if to_remove:
                sqs.untag_queue(QueueUrl=id, TagKeys=to_remove)
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id), missing(*_SQS_MISSING):
            self.client("sqs", inputs).delete_queue(QueueUrl=id)

    def _attribute_text(self, value: Any, kind: str) -> str:
        if kind == "bool":
            return "true" if value else "false"
        if kind == "int":
            return str(int(value))
        if kind == "json":
            return _policy_json(value, self.type_token, "policy") or ""
        return str(value)

    @staticmethod
    def _attribute_value(live: str | None, kind: str, configured: Any) -> Any:
        if live is None or live == "":
            return None
        if kind == "int":
            return int(live)
        if kind == "bool":
            return live.lower() == "true"
        if kind == "json":
            return _same_policy(live, configured if isinstance(configured, str) else None)
        return live


# --------------------------------------------------------------------------------------
# SNS topic
# --------------------------------------------------------------------------------------
_TOPIC_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "displayName": ("DisplayName", "str"),
    "policy": ("Policy", "json"),
    "deliveryPolicy": ("DeliveryPolicy", "json"),
    "kmsMasterKeyId": ("KmsMasterKeyId", "str"),
    "signatureVersion": ("SignatureVersion", "int"),
    "tracingConfig": ("TracingConfig", "str"),
    "fifoTopic": ("FifoTopic", "bool"),
    "contentBasedDeduplication": ("ContentBasedDeduplication", "bool"),
}
_SNS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class Topic(AwsResource):
    type_token = "aws:sns/topic:Topic"
    replace_on = ("name", "namePrefix", "fifoTopic", "region")
    inputs_known = ("name", "namePrefix", *_TOPIC_ATTRIBUTES)
    computed = ("id", "arn", "owner")

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        fifo = bool(news.get("fifoTopic"))
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", name) or "topic"
        suffix = ".fifo" if fifo else ""
        topic = _reused_or_new_name(news, olds, key="name", base=base, max_len=256, suffix=suffix)
        if topic != UNKNOWN_MARKER and not _SNS_NAME.match(topic.removesuffix(".fifo") if fifo else topic):
            raise ProviderError(
                f"{self.type_token} {name}: topic name {topic!r} is invalid: up to 256 letters, digits, "
                "hyphens and underscores (FIFO topics end in `.fifo`)"
            )
        news["name"] = topic
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        topic = str(inputs["name"])
        attributes = {
            attr: self._text(inputs[key], kind)
            for key, (attr, kind) in _TOPIC_ATTRIBUTES.items()
            if inputs.get(key) is not None and not (kind == "bool" and inputs[key] is False)
        }
        tags = self.desired_tags(inputs)
        with self.errors(topic):
            args: dict[str, Any] = {"Name": topic, "Attributes": attributes}
            if tags:
                args["Tags"] = _tag_list(tags)
            arn = str(self.client("sns", inputs).create_topic(**args)["TopicArn"])
        return arn, self.described(arn, inputs)

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        sns = self.client("sns", inputs)
        with self.errors(id), missing("NotFound", "NotFoundException", "ResourceNotFound") as probe:
            live = sns.get_topic_attributes(TopicArn=id)["Attributes"]
            live_tags = _tag_dict(sns.list_tags_for_resource(ResourceArn=id).get("Tags"))
        if probe.gone:
            return None
        result: dict[str, Any] = {
            "id": id,
            "arn": id,
            "name": id.rsplit(":", 1)[-1],
            "owner": live.get("Owner"),
            "region": self.region(inputs),
            **self.tags_outputs(live_tags, inputs),
        }
        for key, (attr, kind) in _TOPIC_ATTRIBUTES.items():
            value = live.get(attr)
            if value in (None, ""):
                continue
            if kind == "json":
                result[key] = _same_policy(value, inputs.get(key) if isinstance(inputs.get(key), str) else None)
            elif kind == "bool":
                result[key] = str(value).lower() == "true"
            elif kind == "int":
                result[key] = int(value)
            else:
                result[key] = value
        result.setdefault("fifoTopic", False)
        result.setdefault("contentBasedDeduplication", False)
        return ReadResult(id, drop_none(result))

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        sns = self.client("sns", news)
        to_set, to_remove = tag_changes(old_outputs.get("tagsAll") or {}, self.desired_tags(news))
        with self.errors(id):
            for key, (attr, kind) in _TOPIC_ATTRIBUTES.items():
                if key == "fifoTopic" or news.get(key) == old_inputs.get(key):
                    continue
                value = "" if news.get(key) is None else self._text(news[key], kind)
                sns.set_topic_attributes(TopicArn=id, AttributeName=attr, AttributeValue=value)
            if to_set:
                sns.tag_resource(ResourceArn=id, Tags=_tag_list(to_set))
            if to_remove:
                sns.untag_resource(ResourceArn=id, TagKeys=to_remove)
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id):
            self.client("sns", inputs).delete_topic(TopicArn=id)  # idempotent in SNS

    def _text(self, value: Any, kind: str) -> str:
        if kind == "bool":
            return "true" if value else "false"
        if kind == "int":
            return str(int(value))
        if kind == "json":
            return _policy_json(value, self.type_token, "policy") or ""
        return str(value)


# --------------------------------------------------------------------------------------
# DynamoDB table
# --------------------------------------------------------------------------------------
_DDB_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_BILLING_MODES = ("PROVISIONED", "PAY_PER_REQUEST")


class Table(AwsResource):
    type_token = "aws:dynamodb/table:Table"
    replace_on = ("name", "hashKey", "rangeKey", "region")
    inputs_known = (
        "name",
        "billingMode",
        "hashKey",
        "rangeKey",
        "attributes",
        "readCapacity",
        "writeCapacity",
        "pointInTimeRecovery",
        "streamEnabled",
        "streamViewType",
        "ttl",
        "deletionProtectionEnabled",
        "tableClass",
    )
    computed = ("id", "arn", "streamArn", "streamLabel")

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", name) or "table"
        table = _reused_or_new_name(news, olds, key="name", base=base, max_len=255)
        if table != UNKNOWN_MARKER and not _DDB_NAME.match(table):
            raise ProviderError(
                f"{self.type_token} {name}: table name {table!r} is invalid: 3-255 letters, digits, `_`, `-` and `.`"
            )
        news["name"] = table
        if news.get("hashKey") is None:
            raise ProviderError(f"{self.type_token} {name}: `hashKey` is required")
        billing = news.setdefault("billingMode", "PROVISIONED")  # pulumi-aws's default
        if _known(billing) and billing not in _BILLING_MODES:
            raise ProviderError(
                f"{self.type_token} {name}: billingMode {billing!r} is not one of {', '.join(_BILLING_MODES)}"
            )
        for key in ("readCapacity", "writeCapacity"):
            if _known(news.get(key)):
                news[key] = as_int(news, key, self.type_token)
            elif billing == "PROVISIONED" and news.get(key) is None:
                raise ProviderError(f"{self.type_token} {name}: `{key}` is required when billingMode is PROVISIONED")
        attributes = news.get("attributes")
        if isinstance(attributes, list) and all(isinstance(a, Mapping) for a in attributes):
            # A set in pulumi-aws: order does not matter, so keep one order to diff on.
            news["attributes"] = sorted(attributes, key=lambda a: str(a.get("name")))
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        table = str(inputs["name"])
        ddb = self.client("dynamodb", inputs)
        args: dict[str, Any] = {
            "TableName": table,
            "KeySchema": self._key_schema(inputs),
            "AttributeDefinitions": [
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs.get("attributes") or []
            ],
            "BillingMode": inputs["billingMode"],
        }
        if inputs["billingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = self._throughput(inputs)
        if inputs.get("streamEnabled"):
            args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": inputs.get("streamViewType")}
        if inputs.get("deletionProtectionEnabled"):
            args["DeletionProtectionEnabled"] = True
        if inputs.get("tableClass"):
            args["TableClass"] = inputs["tableClass"]
        tags = self.desired_tags(inputs)
        if tags:
            args["Tags"] = _tag_list(tags)
        with self.errors(table):
            ddb.create_table(**args)
        with self.rollback_on_failure(table, inputs), self.errors(table):
            ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
                self._set_pitr(ddb, table, True)
            if inputs.get("ttl"):
                self._set_ttl(ddb, table, inputs["ttl"])
        return table, self.described(table, inputs)

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:

        ddb = self.client("dynamodb", inputs)
        with self.errors(id):
            with missing("ResourceNotFoundException") as probe:
                live = ddb.describe_table(TableName=id)["Table"]
            if probe.gone:
                return None
            arn = str(live["TableArn"])
            backups = ddb.describe_continuous_backups(TableName=id)["ContinuousBackupsDescription"]
            ttl = ddb.describe_time_to_live(TableName=id).get("TimeToLiveDescription", {})
            live_tags = _tag_dict(ddb.list_tags_of_resource(ResourceArn=arn).get("Tags"))
        return ReadResult(id, self._outputs(id, live, backups, ttl, live_tags, inputs))

    def _outputs(
        self,
        id: str,
        live: Mapping[str, Any],
        backups: Mapping[str, Any],
        ttl: Mapping[str, Any],
        live_tags: Mapping[str, str],
        inputs: Mapping[str, Any],
    ) -> dict[str, Any]:
        keys = {k["KeyType"]: k["AttributeName"] for k in live.get("KeySchema", [])}
        billing = live.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        throughput = live.get("ProvisionedThroughput", {})
        stream = live.get("StreamSpecification") or {}
        pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        result: dict[str, Any] = {
            "id": id,
            "arn": live["TableArn"],
            "name": live["TableName"],
            "billingMode": billing,
            "hashKey": keys.get("HASH"),
            "rangeKey": keys.get("RANGE"),
            "attributes": sorted(
                (
                    {"name": a["AttributeName"], "type": a["AttributeType"]}
                    for a in live.get("AttributeDefinitions", [])
                ),
                key=lambda a: a["name"],
            ),
            "readCapacity": int(throughput.get("ReadCapacityUnits", 0)),
            "writeCapacity": int(throughput.get("WriteCapacityUnits", 0)),
            "pointInTimeRecovery": {"enabled": pitr == "ENABLED"},
            "streamEnabled": bool(stream.get("StreamEnabled", False)),
            "streamViewType": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
            "streamArn": live.get("LatestStreamArn"),
            "streamLabel": live.get("LatestStreamLabel"),
            "ttl": {
                "attributeName": ttl.get("AttributeName", ""),
                "enabled": ttl.get("TimeToLiveStatus") == "ENABLED",
            },
            "deletionProtectionEnabled": bool(live.get("DeletionProtectionEnabled", False)),
            "tableClass": live.get("TableClassSummary", {}).get("TableClass", "STANDARD"),
            "region": self.region(inputs),
            **self.tags_outputs(live_tags, inputs),
        }
        return drop_none(result)

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        ddb = self.client("dynamodb", news)
        table_args = self._table_changes(old_inputs, news)
        to_set, to_remove = tag_changes(old_outputs.get("tagsAll") or {}, self.desired_tags(news))
        with self.errors(id):
            if table_args:
                ddb.update_table(TableName=id, **table_args)
                ddb.get_waiter("table_exists").wait(TableName=id, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            old_pitr = bool((old_inputs.get("pointInTimeRecovery") or {}).get("enabled"))
            new_pitr = bool((news.get("pointInTimeRecovery") or {}).get("enabled"))
            if old_pitr != new_pitr:
                self._set_pitr(ddb, id, new_pitr)
            if news.get("ttl") != old_inputs.get("ttl"):
                self._set_ttl(
                    ddb,
                    id,
                    news.get("ttl")
                    or {"attributeName": (old_inputs.get("ttl") or {}).get("attributeName", ""), "enabled": False},
                )
            arn = old_outputs.get("arn") or ddb.describe_table(TableName=id)["Table"]["TableArn"]
            if to_set:
                ddb.tag_resource(ResourceArn=arn, Tags=_tag_list(to_set))
            if to_remove:
                ddb.untag_resource(ResourceArn=arn, TagKeys=to_remove)
        return self.described(id, news)

    def _table_changes(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {}
        capacity_changed = any(old.get(k) != new.get(k) for k in ("readCapacity", "writeCapacity"))
        if old.get("billingMode") != new.get("billingMode") or (
            capacity_changed and new.get("billingMode") == "PROVISIONED"
        ):
            args["BillingMode"] = new["billingMode"]
            if new["billingMode"] == "PROVISIONED":
                args["ProvisionedThroughput"] = self._throughput(new)
        if old.get("attributes") != new.get("attributes"):
            args["AttributeDefinitions"] = [
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in new.get("attributes") or []
            ]
        if bool(old.get("streamEnabled")) != bool(new.get("streamEnabled")) or (
            new.get("streamEnabled") and old.get("streamViewType") != new.get("streamViewType")
        ):
            spec: dict[str, Any] = {"StreamEnabled": bool(new.get("streamEnabled"))}
            if new.get("streamEnabled"):
                spec["StreamViewType"] = new.get("streamViewType")
            args["StreamSpecification"] = spec
        if bool(old.get("deletionProtectionEnabled")) != bool(new.get("deletionProtectionEnabled")):
            args["DeletionProtectionEnabled"] = bool(new.get("deletionProtectionEnabled"))
        if new.get("tableClass") and old.get("tableClass") != new.get("tableClass"):
            args["TableClass"] = new["tableClass"]
        return args

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id), missing("ResourceNotFoundException"):
            self.client("dynamodb", inputs).delete_table(TableName=id)

    @staticmethod
    def _key_schema(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
        schema = [{"AttributeName": str(inputs["hashKey"]), "KeyType": "HASH"}]
        if inputs.get("rangeKey"):
            schema.append({"AttributeName": str(inputs["rangeKey"]), "KeyType": "RANGE"})
        return schema

    @staticmethod
    def _throughput(inputs: Mapping[str, Any]) -> dict[str, int]:
        return {
            "ReadCapacityUnits": int(inputs.get("readCapacity") or 0),
            "WriteCapacityUnits": int(inputs.get("writeCapacity") or 0),
        }

    @staticmethod
    def _set_pitr(ddb: Any, table: str, enabled: bool) -> None:
        ddb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled}
        )

    @staticmethod
    def _set_ttl(ddb: Any, table: str, ttl: Mapping[str, Any]) -> None:
        if not ttl.get("attributeName"):
            return
        ddb.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"AttributeName": ttl["attributeName"], "Enabled": bool(ttl.get("enabled"))},
        )


# --------------------------------------------------------------------------------------
# IAM role
# --------------------------------------------------------------------------------------
_IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


class Role(AwsResource):
    type_token = "aws:iam/role:Role"
    replace_on = ("name", "namePrefix", "path")
    inputs_known = (
        "name",
        "namePrefix",
        "assumeRolePolicy",
        "description",
        "path",
        "maxSessionDuration",
        "permissionsBoundary",
        "forceDetachPolicies",
        "inlinePolicies",
        "managedPolicyArns",
    )
    state_only = ("forceDetachPolicies",)
    unmanaged_when_absent = ("inlinePolicies", "managedPolicyArns")
    computed = ("id", "arn", "uniqueId", "createDate")

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        base = re.sub(r"[^\w+=,.@-]+", "-", name) or "role"
        role = _reused_or_new_name(news, olds, key="name", base=base, max_len=64)
        if role != UNKNOWN_MARKER and not _IAM_NAME.match(role):
            raise ProviderError(
                f"{self.type_token} {name}: role name {role!r} is invalid: up to 64 letters, digits and +=,.@_-"
            )
        news["name"] = role
        if news.get("assumeRolePolicy") is None:
            raise ProviderError(f"{self.type_token} {name}: `assumeRolePolicy` is required")
        if _known(news["assumeRolePolicy"]):
            news["assumeRolePolicy"] = _policy_json(news["assumeRolePolicy"], self.type_token, "assumeRolePolicy")
        if _known(news.get("maxSessionDuration")):
            news["maxSessionDuration"] = as_int(news, "maxSessionDuration", self.type_token)
        policies = news.get("inlinePolicies")
        if isinstance(policies, list) and all(isinstance(p, Mapping) for p in policies):
            news["inlinePolicies"] = sorted(policies, key=lambda p: str(p.get("name")))
        if isinstance(news.get("managedPolicyArns"), list):
            news["managedPolicyArns"] = sorted(str(a) for a in news["managedPolicyArns"])
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        role = str(inputs["name"])
        iam = self.client("iam", inputs)
        args: dict[str, Any] = {
            "RoleName": role,
            "AssumeRolePolicyDocument": inputs["assumeRolePolicy"],
            "Path": inputs.get("path") or "/",
        }
        if inputs.get("description") is not None:
            args["Description"] = inputs["description"]
        if inputs.get("maxSessionDuration") is not None:
            args["MaxSessionDuration"] = int(inputs["maxSessionDuration"])
        if inputs.get("permissionsBoundary"):
            args["PermissionsBoundary"] = inputs["permissionsBoundary"]
        tags = self.desired_tags(inputs)
        if tags:
            args["Tags"] = _tag_list(tags)
        with self.errors(role):
            iam.create_role(**args)
        with self.rollback_on_failure(role, inputs), self.errors(role):
            self._sync_inline(iam, role, [], inputs.get("inlinePolicies") or [])
            self._sync_managed(iam, role, [], inputs.get("managedPolicyArns") or [])
        return role, self.described(role, inputs)

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:

        iam = self.client("iam", inputs)
        with self.errors(id):
            with missing("NoSuchEntity") as probe:
                live = iam.get_role(RoleName=id)["Role"]
            if probe.gone:
                return None
            live_tags = _tag_dict(iam.list_role_tags(RoleName=id).get("Tags"))
            inline = self._inline_policies(iam, id, inputs.get("inlinePolicies") or [])
            managed = sorted(
                p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=id).get("AttachedPolicies", [])
            )
        created = live.get("CreateDate")
        result: dict[str, Any] = {
            "id": id,
            "arn": live["Arn"],
            "name": live["RoleName"],
            "uniqueId": live["RoleId"],
            "createDate": created.strftime("%Y-%m-%dT%H:%M:%SZ") if created is not None else None,
            "assumeRolePolicy": _same_policy(live.get("AssumeRolePolicyDocument"), inputs.get("assumeRolePolicy")),
            "description": live.get("Description"),
            "path": live.get("Path", "/"),
            "maxSessionDuration": int(live.get("MaxSessionDuration", 3600)),
            "permissionsBoundary": (live.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "forceDetachPolicies": bool(inputs.get("forceDetachPolicies", False)),
            "inlinePolicies": inline,
            "managedPolicyArns": managed,
            **self.tags_outputs(live_tags, inputs),
        }
        if inputs.get("namePrefix"):
            result["namePrefix"] = inputs["namePrefix"]
        return ReadResult(id, drop_none(result))

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        iam = self.client("iam", news)
        to_set, to_remove = tag_changes(old_outputs.get("tagsAll") or {}, self.desired_tags(news))
        with self.errors(id):
            if news.get("assumeRolePolicy") != old_inputs.get("assumeRolePolicy"):
                iam.update_assume_role_policy(RoleName=id, PolicyDocument=news["assumeRolePolicy"])
            if any(news.get(k) != old_inputs.get(k) for k in ("description", "maxSessionDuration")):
                iam.update_role(
                    RoleName=id,
                    Description=news.get("description") or "",
                    MaxSessionDuration=int(news.get("maxSessionDuration") or 3600),
                )
            if news.get("permissionsBoundary") != old_inputs.get("permissionsBoundary"):
                if news.get("permissionsBoundary"):
                    iam.put_role_permissions_boundary(RoleName=id, PermissionsBoundary=news["permissionsBoundary"])
                else:
                    iam.delete_role_permissions_boundary(RoleName=id)
            # Absent means "not managed here" (pulumi-aws); an empty list removes them all.
            if news.get("inlinePolicies") is not None:
                self._sync_inline(iam, id, old_inputs.get("inlinePolicies") or [], news["inlinePolicies"])
            if news.get("managedPolicyArns") is not None:
                self._sync_managed(iam, id, old_inputs.get("managedPolicyArns") or [], news["managedPolicyArns"])
            if to_set:
                iam.tag_role(RoleName=id, Tags=_tag_list(to_set))
            if to_remove:
                iam.untag_role(RoleName=id, TagKeys=to_remove)
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        iam = self.client("iam", inputs)
        with self.errors(id):
            try:
                # pulumi-aws reads every inline and attached policy into the role's state, so
                # deleting the role removes them all first.
                for policy_name in iam.list_role_policies(RoleName=id).get("PolicyNames", []):
                    iam.delete_role_policy(RoleName=id, PolicyName=policy_name)
                for attached in iam.list_attached_role_policies(RoleName=id).get("AttachedPolicies", []):
                    iam.detach_role_policy(RoleName=id, PolicyArn=attached["PolicyArn"])
                iam.delete_role(RoleName=id)
            except ClientError as exc:
                if error_code(exc) == "NoSuchEntity":
                    return
                if error_code(exc) == "DeleteConflict":
                    raise ProviderError(
                        f"{self.type_token} {id}: the role is still in use (e.g. by an instance profile); "
                        "remove it from there first"
                    ) from exc
                raise

    def _inline_policies(self, iam: Any, role: str, configured: list[Any]) -> list[dict[str, Any]]:
        texts = {p.get("name"): p.get("policy") for p in configured if isinstance(p, Mapping)}
        result = []
        for policy_name in sorted(iam.list_role_policies(RoleName=role).get("PolicyNames", [])):
            document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
            configured_text = texts.get(policy_name)
            text = _same_policy(document, configured_text if isinstance(configured_text, str) else None)
            result.append({"name": policy_name, "policy": text})
        return result

    def _sync_inline(self, iam: Any, role: str, old: list[Any], new: list[Any]) -> None:
        wanted = {p["name"]: _policy_json(p.get("policy"), self.type_token, "inlinePolicies") for p in new}
        had = {p["name"]: _policy_json(p.get("policy"), self.type_token, "inlinePolicies") for p in old}
        for policy_name, document in wanted.items():
            if had.get(policy_name) != document and document:
                iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=document)
        for policy_name in had.keys() - wanted.keys():
            iam.delete_role_policy(RoleName=role, PolicyName=policy_name)

    @staticmethod
    def _sync_managed(iam: Any, role: str, old: list[str], new: list[str]) -> None:
        for arn in sorted(set(new) - set(old)):
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        for arn in sorted(set(old) - set(new)):
            iam.detach_role_policy(RoleName=role, PolicyArn=arn)


# --------------------------------------------------------------------------------------
# SSM parameter
# --------------------------------------------------------------------------------------
_SSM_TYPES = ("String", "StringList", "SecureString")


def _secret_values(*inputs: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(i["value"]) for i in inputs if isinstance(i.get("value"), str))


class Parameter(AwsResource):
    type_token = "aws:ssm/parameter:Parameter"
    replace_on = ("name", "type", "region")
    inputs_known = (
        "name",
        "type",
        "value",
        "insecureValue",
        "description",
        "tier",
        "keyId",
        "allowedPattern",
        "dataType",
        "overwrite",
    )
    state_only = ("overwrite",)
    secret_inputs = ("value",)
    computed = ("id", "arn", "version")

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        news["name"] = _reused_or_new_name(news, olds, key="name", base=name, max_len=2048)
        kind = news.get("type")
        if kind is None:
            raise ProviderError(f"{self.type_token} {name}: `type` is required ({', '.join(_SSM_TYPES)})")
        if _known(kind) and kind not in _SSM_TYPES:
            raise ProviderError(f"{self.type_token} {name}: type {kind!r} is not one of {', '.join(_SSM_TYPES)}")
        if news.get("value") is None and news.get("insecureValue") is None:
            raise ProviderError(f"{self.type_token} {name}: one of `value` or `insecureValue` is required")
        if news.get("value") is not None and news.get("insecureValue") is not None:
            raise ProviderError(f"{self.type_token} {name}: set only one of `value` and `insecureValue`")
        for key in ("value", "insecureValue", "description"):
            if _known(news.get(key)):
                as_str(news, key, self.type_token)
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        from botocore.exceptions import ClientError

        parameter = str(inputs["name"])
        ssm = self.client("ssm", inputs)
        tags = self.desired_tags(inputs)
        with self.errors(parameter, _secret_values(inputs)):
            args = self._put_args(inputs)
            overwrite = bool(inputs.get("overwrite"))
            if not overwrite and tags:
                args["Tags"] = _tag_list(tags)
            try:
                ssm.put_parameter(**args, Overwrite=overwrite)
            except ClientError as exc:
                if error_code(exc) == "ParameterAlreadyExists":
                    raise ProviderError(
                        f"{self.type_token}: parameter {parameter!r} already exists; choose another name, "
                        "import it, or set overwrite=True"
                    ) from exc
                raise
            if overwrite and tags:
                ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=parameter, Tags=_tag_list(tags))
        return parameter, self.described(parameter, inputs)

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        from botocore.exceptions import ClientError

        ssm = self.client("ssm", inputs)
        with self.errors(id):
            try:
                live = ssm.get_parameter(Name=id, WithDecryption=True)["Parameter"]
            except ClientError as exc:
                if error_code(exc) == "ParameterNotFound":
                    return None
                raise
            found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [id]}]).get(
                "Parameters", []
            )
            meta = found[0] if found else {}
            live_tags = _tag_dict(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=id).get("TagList"))
        value_key = "insecureValue" if inputs.get("insecureValue") is not None else "value"
        result: dict[str, Any] = {
            "id": id,
            "arn": live.get("ARN"),
            "name": live["Name"],
            "type": live["Type"],
            value_key: live["Value"],
            "description": meta.get("Description"),
            "tier": meta.get("Tier", "Standard"),
            "keyId": meta.get("KeyId") if live["Type"] == "SecureString" else None,
            "allowedPattern": meta.get("AllowedPattern"),
            "dataType": live.get("DataType", "text"),
            "version": int(live.get("Version", 1)),
            "overwrite": inputs.get("overwrite"),
            "region": self.region(inputs),
            **self.tags_outputs(live_tags, inputs),
        }
        return ReadResult(id, drop_none(result))

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        ssm = self.client("ssm", news)
        fields = ("value", "insecureValue", "description", "tier", "keyId", "allowedPattern", "dataType")
        to_set, to_remove = tag_changes(old_outputs.get("tagsAll") or {}, self.desired_tags(news))
        with self.errors(id, _secret_values(news, old_inputs)):
            if any(news.get(k) != old_inputs.get(k) for k in fields):
                ssm.put_parameter(**self._put_args(news), Overwrite=True)
            if to_set:
                ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=id, Tags=_tag_list(to_set))
            if to_remove:
                ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=id, TagKeys=to_remove)
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        with self.errors(id):
            try:
                self.client("ssm", inputs).delete_parameter(Name=id)
            except ClientError as exc:
                if error_code(exc) != "ParameterNotFound":
                    raise

    @staticmethod
    def _put_args(inputs: Mapping[str, Any]) -> dict[str, Any]:
        value = inputs.get("value") if inputs.get("value") is not None else inputs.get("insecureValue")
        args: dict[str, Any] = {"Name": inputs["name"], "Value": value, "Type": inputs["type"]}
        optional = {
            "description": "Description",
            "tier": "Tier",
            "keyId": "KeyId",
            "allowedPattern": "AllowedPattern",
            "dataType": "DataType",
        }
        for key, arg in optional.items():
            if inputs.get(key) is not None:
                args[arg] = inputs[key]
        return args


AWS_RESOURCES: tuple[type[AwsResource], ...] = (Bucket, BucketVersioning, Queue, Topic, Table, Role, Parameter)

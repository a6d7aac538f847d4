"""`aws.iam.get_policy_document` computed locally, in the shape pulumi-aws writes."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.engines.local.providers.base import ProviderContext
from orchestrator.engines.local.providers.registry import call_function
from orchestrator.models import AwsSettings

TOKEN = "aws:iam/getPolicyDocument:getPolicyDocument"


def _document(tmp_path: Path, **args: object) -> dict[str, object]:
    ctx = ProviderContext(project="p", stack="s", aws=AwsSettings(), manifests_dir=tmp_path)
    answer = call_function(TOKEN, ctx, args)
    assert json.loads(answer["json"]) == json.loads(answer["minifiedJson"])
    assert answer["json"].startswith('{\n  "Version"'), "indented as the provider writes it"
    parsed: dict[str, object] = json.loads(answer["json"])
    return parsed


def test_statements_in_the_providers_shape(tmp_path: Path) -> None:
    doc = _document(tmp_path, statements=[
        {"sid": "Read", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*", "arn:aws:s3:::a/*"],
         "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
         "conditions": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["123456789012"]}]},
        {"effect": "Deny", "notActions": ["iam:*", "sts:*"], "resources": ["*"],
         "principals": [{"type": "*", "identifiers": ["*"]}]},
    ])
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::a/*"],
             "Principal": {"Service": "lambda.amazonaws.com"},
             "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}},
            {"Effect": "Deny", "NotAction": ["sts:*", "iam:*"], "Resource": "*", "Principal": "*"},
        ],
    }
    assert list(doc["Statement"][0]) == ["Sid", "Effect", "Action", "Resource", "Principal", "Condition"]  # type: ignore[index]


def test_source_and_override_documents_merge_by_sid(tmp_path: Path) -> None:
    source = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "B", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]})
    override = json.dumps({"Statement": {"Sid": "B", "Effect": "Deny", "Action": "sqs:*", "Resource": "*"}})
    doc = _document(tmp_path, sourcePolicyDocuments=[source], overridePolicyDocuments=[override],
                    statements=[{"sid": "C", "actions": ["sns:Publish"]}])
    assert [(s["Sid"], s["Effect"]) for s in doc["Statement"]] == [  # type: ignore[attr-defined]
        ("A", "Allow"), ("B", "Deny"), ("C", "Allow")]

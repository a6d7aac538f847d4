"""Every AWS type description follows pulumi-aws's schema (as the installed SDK names it),
and every type and function the engine has is listed in docs/engines.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.engines.local.providers.aws import catalog
from orchestrator.engines.local.providers.aws.schema import problems, sdk_properties, skeleton
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop

DOCS = Path(__file__).resolve().parents[2] / "docs" / "engines.md"


@pytest.mark.parametrize("spec", catalog.all_types(), ids=lambda t: t.token)
def test_the_description_follows_the_schema(spec: AwsType) -> None:
    assert problems(spec) == []


def test_the_check_finds_misnamed_and_unupdatable_properties() -> None:
    bad = AwsType(
        token="aws:sqs/queue:Queue", client="sqs",
        props=(Prop("visibilityTimeout", api="Attributes.VisibilityTimeout"),  # the SDK says ...Seconds
               Prop("delaySeconds", api="Attributes.DelaySeconds"),  # sent, never updated
               Prop("arn")),  # an output declared as an input
        create=Call("create_queue"), read=(), delete=None,
    )
    found = problems(bad)
    assert any("no property `visibilityTimeout`" in p for p in found)
    assert any("`delaySeconds` is sent to AWS but no Update changes it" in p for p in found)
    assert any("`arn` is an output" in p for p in found)


def test_the_sdk_names_nested_blocks() -> None:
    table = sdk_properties("aws:dynamodb/table:Table")
    assert table["pointInTimeRecovery"].input and table["pointInTimeRecovery"].python == "point_in_time_recovery"
    assert {p.name for p in table["pointInTimeRecovery"].nested or ()} >= {"enabled"}
    assert not table["arn"].input
    assert 'Prop("cidrBlock"' in skeleton("aws:ec2/vpc:Vpc")


def test_the_docs_list_every_type_and_function() -> None:
    text = DOCS.read_text()
    missing = [t.token for t in catalog.all_types() if f"`{t.token}`" not in text]
    missing += [f.token for f in catalog.all_functions() if f"`{f.token}`" not in text]
    assert not missing, f"docs/engines.md does not list {missing}"

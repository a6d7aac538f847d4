"""Provider functions through the engine, and what it says about the ones and the types it
does not have: one short line each, however many resources use them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from orchestrator.engines.local.engine import LocalEngine
from orchestrator.models import AwsSettings
from tests.engine.programs import items_config, write_project
from tests.support.engine_stack import Stack

FUNCTIONS_PROGRAM = '''
import pulumi
import pulumi_aws as aws

doc = aws.iam.get_policy_document(statements=[{"actions": ["sqs:SendMessage"], "resources": ["*"]}])
pulumi.export("policy", doc.json)
pulumi.export("zones", aws.get_availability_zones().names)
'''

GAPS_PROGRAM = '''
import pulumi
import pulumi_aws as aws

registries = [aws.glue.Registry(f"schemas-{i}", registry_name=f"schemas{i}") for i in range(3)]
aws.glue.CatalogTable("table", database_name=registries[0].registry_name, name="t")  # waits for an unknown name
aws.sqs.Queue("supported")
if pulumi.Config().get_bool("script"):
    aws.glue.get_script(dag_edges=[], dag_nodes=[])  # stops the program here
'''


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from orchestrator.sandbox import InProcessSandbox

    with InProcessSandbox() as sandbox:
        yield sandbox.endpoint


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_functions_answer_through_the_registry(make_stack: Callable[..., Stack], endpoint: str) -> None:
    st = make_stack("funcs")
    write_project(st.directory, "funcs", FUNCTIONS_PROGRAM)
    result = LocalEngine().update(st.spec({}, aws=AwsSettings(endpoint=endpoint)))
    assert result.ok, result.error
    assert json.loads(result.outputs["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]
    assert result.outputs["zones"][:2] == ["us-east-1a", "us-east-1b"]


def test_what_is_missing_is_named_once(make_stack: Callable[..., Stack], endpoint: str) -> None:
    st = make_stack("gaps")
    write_project(st.directory, "gaps", GAPS_PROGRAM)
    aws = AwsSettings(endpoint=endpoint)
    for result in (LocalEngine().preview(st.spec({}, aws=aws)), LocalEngine().update(st.spec({}, aws=aws))):
        assert result.status == "failed"
        assert result.error == (
            "not supported by the local engine: resource types aws:glue/catalogTable:CatalogTable, "
            "aws:glue/registry:Registry; "
            "`orchestrator stack types` lists what it supports")
        assert [d.message for d in result.diagnostics if d.severity == "error"] == [
            "resource type aws:glue/catalogTable:CatalogTable is not supported by the local engine",
            "resource type aws:glue/registry:Registry is not supported by the local engine (3 resources)",
        ]
    assert not st.state_file.exists(), "the update stopped at its preview: nothing was created"

    stopped = LocalEngine().preview(st.spec({"gaps:script": "true"}, aws=aws))
    assert stopped.status == "failed" and "provider function aws:glue/getScript:getScript;" in (stopped.error or "")
    assert "Traceback" not in (stopped.error or ""), "what the engine lacks is the story, not the traceback"
    assert "provider function aws:glue/getScript:getScript is not supported by the local engine" in [
        d.message for d in stopped.diagnostics]


def test_destroying_a_stack_never_deployed_says_so(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    for preview_only in (True, False):
        result = LocalEngine().destroy(st.spec(items_config(st.store, [])), preview_only=preview_only)
        assert result.ok and result.counts.changed == 0 and result.changes == ()
        assert [d.message for d in result.diagnostics] == [
            f"stack t/dev has never been deployed (no state at {st.state_file}): there is nothing to destroy"]

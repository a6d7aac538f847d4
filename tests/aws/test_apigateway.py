"""API Gateway through the engine: a REST API (v1) with a resource, method, integration,
deployment and stage; an HTTP API (v2) with an integration, route and stage; a quick-created
HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
v = "v1" if step == "create" else "v2"
verb = "POST" if step == "replace" else "GET"
rest = aws.apigateway.RestApi("rest", description="items " + v, tags={"team": "core"})
items = aws.apigateway.Resource("items", rest_api=rest.id, parent_id=rest.root_resource_id, path_part="items")
method = aws.apigateway.Method("items-get", rest_api=rest.id, resource_id=items.id, http_method=verb,
                               authorization="NONE")
integration = aws.apigateway.Integration("items-integration", rest_api=rest.id, resource_id=items.id,
                                         http_method=method.http_method, type="HTTP_PROXY",
                                         integration_http_method="GET", uri="https://example.com/")
deployment = aws.apigateway.Deployment("deploy", rest_api=rest.id, opts=pulumi.ResourceOptions(
    depends_on=[integration]))
stage = aws.apigateway.Stage("stage", rest_api=rest.id, deployment=deployment.id, stage_name="dev",
                             variables={"version": v})

http = aws.apigatewayv2.Api("http", protocol_type="HTTP", description="http " + v, tags={"team": "core"})
backend = aws.apigatewayv2.Integration("http-integration", api_id=http.id, integration_type="HTTP_PROXY",
                                       integration_method="GET", integration_uri="https://example.com/" + v)
route = aws.apigatewayv2.Route("http-route", api_id=http.id, route_key="GET /items", operation_name="list" + v,
                               target=backend.id.apply(lambda id: "integrations/" + id))
http_stage = aws.apigatewayv2.Stage("http-stage", api_id=http.id, auto_deploy=True,
                                    route_settings=[{"route_key": route.route_key, "throttling_burst_limit": 1,
                                                     "throttling_rate_limit": 0.5}])
quick = aws.apigatewayv2.Api("quick", protocol_type="HTTP", target="https://example.com",
                             route_key="GET /" if step != "replace" else "GET /quick")
pulumi.export("rest", rest.id)
pulumi.export("http", http.id)
pulumi.export("url", stage.invoke_url)
pulumi.export("path", items.path)
pulumi.export("http_url", http_stage.invoke_url)
pulumi.export("endpoint", quick.api_endpoint)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("apigateway").update_rest_api(restApiId=outputs["rest"], patchOperations=[
        {"op": "replace", "path": "/description", "value": "edited by hand"}])
    clients("apigatewayv2").update_api(ApiId=outputs["http"], Description="edited by hand")


@pytest.mark.types
def test_rest_and_http_apis(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        # moto has no UpdateMethod, UpdateIntegration (v1) or UpdateStage (v2): those are not changed in place here.
        updated={"rest": "update", "stage": "update", "http": "update", "http-integration": "update",
                 "http-route": "update"},
        replaced={"items-get": "replace", "items-integration": "replace", "quick": "replace"},
        drift=_hand_edit,
        drifted={"rest": "update", "http": "update"},
    ), tmp_path, endpoint)
    created = run.outputs("create")
    assert created["path"] == "/items"
    assert created["url"] == f"https://{created['rest']}.execute-api.us-east-1.amazonaws.com/dev"
    assert created["http_url"].startswith(f"https://{created['http']}.execute-api.us-east-1.amazonaws.com/")
    assert created["endpoint"]


def test_patch_operations_for_the_updates_moto_lacks() -> None:
    """UpdateMethod/UpdateIntegration/UpdateStage (v1) take patch operations; moto has only
    some of them, so the operations themselves are checked here."""
    from orchestrator.engines.local.providers.aws.services._patch import patch_operations
    from orchestrator.engines.local.providers.aws.spec import Prop

    assert patch_operations(Prop("apiKeyRequired", kind="bool"), "/apiKeyRequired", False, True) == [
        {"op": "replace", "path": "/apiKeyRequired", "value": "true"}]
    assert patch_operations(Prop("variables", kind="map"), "/variables", {"a": "1", "b/c": "2"}, {"a": "3"}) == [
        {"op": "replace", "path": "/variables/a", "value": "3"}, {"op": "remove", "path": "/variables/b~1c"}]
    assert patch_operations(Prop("binaryMediaTypes", kind="list"), "/binaryMediaTypes", ["image/png"],
                            ["image/png", "*/*"]) == [{"op": "add", "path": "/binaryMediaTypes/*~1*"}]
    assert patch_operations(Prop("timeoutMilliseconds", kind="int"), "/timeoutInMillis", 29000, 5000.0) == [
        {"op": "replace", "path": "/timeoutInMillis", "value": "5000"}]

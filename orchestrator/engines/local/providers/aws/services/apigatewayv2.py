"""API Gateway v2 (HTTP and WebSocket APIs): Api, Integration, Route, Stage. Names, defaults,
ids and ForceNew as pulumi-aws `aws.apigatewayv2.*` (terraform-provider-aws
`internal/service/apigatewayv2/`). An Api made by quick create (`routeKey` and `target`) gets
its `$default` route, integration and stage from AWS, deleted with it. A stage's
`routeSettings` (a list in pulumi-aws) is a map by route key in the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.values import render

_GONE = ("NotFoundException",)
_API = "{inputs.apiId}"


def _tagging(arn: str) -> Tagging:
    return Tagging(form="map", on_create="Tags", in_doc="Tags",
                   tag=Call("tag_resource", {"ResourceArn": arn, "Tags": "{tags}"}),
                   untag=Call("untag_resource", {"ResourceArn": arn, "TagKeys": "{keys}"}))


_API_MUTABLE = ("name", "description", "routeSelectionExpression", "apiKeySelectionExpression",
                "disableExecuteApiEndpoint", "version", "corsConfiguration")

API = AwsType(
    token="aws:apigatewayv2/api:Api",
    client="apigatewayv2",
    naming=Naming(prefix=None, max_len=128),
    props=(
        Prop("name", api="Name", read="Name"),
        Prop("protocolType", api="ProtocolType", read="ProtocolType", replace=True, required=True,
             choices=("HTTP", "WEBSOCKET")),
        Prop("description", api="Description", read="Description"),
        Prop("routeSelectionExpression", api="RouteSelectionExpression", read="RouteSelectionExpression",
             default="$request.method $request.path"),
        Prop("apiKeySelectionExpression", api="ApiKeySelectionExpression", read="ApiKeySelectionExpression",
             default="$request.header.x-api-key"),
        Prop("disableExecuteApiEndpoint", kind="bool", api="DisableExecuteApiEndpoint",
             read="DisableExecuteApiEndpoint", default=False),
        Prop("version", api="Version", read="Version"),
        Prop("corsConfiguration", kind="object", api="CorsConfiguration", read="CorsConfiguration", props=(
            Prop("allowCredentials", kind="bool", api="AllowCredentials"),
            Prop("allowHeaders", kind="list", api="AllowHeaders"),
            Prop("allowMethods", kind="list", api="AllowMethods"),
            Prop("allowOrigins", kind="list", api="AllowOrigins"),
            Prop("exposeHeaders", kind="list", api="ExposeHeaders"),
            Prop("maxAge", kind="int", api="MaxAge"),
        )),
        Prop("routeKey", api="RouteKey", read="", replace=True),
        Prop("target", api="Target", read="", replace=True),
        Prop("credentialsArn", api="CredentialsArn", read="", replace=True),
        Prop("failOnWarnings", kind="bool", default=False),
        Prop("apiEndpoint", read="ApiEndpoint", output=True),
        Prop("arn", template="arn:{partition}:apigateway:{region}::/apis/{id}"),
        Prop("executionArn", template="arn:{partition}:execute-api:{region}:{account}:{id}"),
    ),
    create=Call("create_api", id="ApiId"),
    read=(Call("get_api", {"ApiId": "{id}"}, absent=_GONE),),
    updates=(Update(Call("update_api", {"ApiId": "{id}"}), props=_API_MUTABLE, changed_only=True),),
    delete=Call("delete_api", {"ApiId": "{id}"}, absent=_GONE),
    tagging=_tagging("arn:aws:apigateway:{region}::/apis/{id}"),
)

_INTEGRATION_MUTABLE = ("connectionType", "connectionId", "description", "integrationMethod", "integrationUri",
                        "passthroughBehavior", "payloadFormatVersion", "timeoutMilliseconds", "credentialsArn",
                        "requestParameters", "requestTemplates", "templateSelectionExpression",
                        "contentHandlingStrategy")

INTEGRATION = AwsType(
    token="aws:apigatewayv2/integration:Integration",
    client="apigatewayv2",
    props=(
        Prop("apiId", api="ApiId", read="", replace=True, required=True),
        Prop("integrationType", api="IntegrationType", read="IntegrationType", replace=True, required=True),
        Prop("integrationSubtype", api="IntegrationSubtype", read="IntegrationSubtype", replace=True),
        Prop("connectionType", api="ConnectionType", read="ConnectionType", default="INTERNET"),
        Prop("connectionId", api="ConnectionId", read="ConnectionId"),
        Prop("description", api="Description", read="Description"),
        Prop("integrationMethod", api="IntegrationMethod", read="IntegrationMethod"),
        Prop("integrationUri", api="IntegrationUri", read="IntegrationUri"),
        Prop("passthroughBehavior", api="PassthroughBehavior", read="PassthroughBehavior", computed=True),
        Prop("payloadFormatVersion", api="PayloadFormatVersion", read="PayloadFormatVersion", default="1.0"),
        Prop("timeoutMilliseconds", kind="int", api="TimeoutInMillis", read="TimeoutInMillis", computed=True),
        Prop("credentialsArn", api="CredentialsArn", read="CredentialsArn"),
        Prop("requestParameters", kind="map", api="RequestParameters", read="RequestParameters"),
        Prop("requestTemplates", kind="map", api="RequestTemplates", read="RequestTemplates"),
        Prop("templateSelectionExpression", api="TemplateSelectionExpression", read="TemplateSelectionExpression"),
        Prop("contentHandlingStrategy", api="ContentHandlingStrategy", read="ContentHandlingStrategy"),
        Prop("integrationResponseSelectionExpression", read="IntegrationResponseSelectionExpression",
             output=True),
    ),
    create=Call("create_integration", id="IntegrationId"),
    read=(Call("get_integration", {"ApiId": _API, "IntegrationId": "{id}"}, absent=_GONE),),
    updates=(Update(Call("update_integration", {"ApiId": _API, "IntegrationId": "{id}"}),
                    props=_INTEGRATION_MUTABLE, changed_only=True),),
    delete=Call("delete_integration", {"ApiId": _API, "IntegrationId": "{id}"}, absent=_GONE),
)

_ROUTE_MUTABLE = ("routeKey", "target", "authorizationType", "authorizerId", "apiKeyRequired", "operationName",
                  "authorizationScopes", "routeResponseSelectionExpression", "modelSelectionExpression",
                  "requestModels")

ROUTE = AwsType(
    token="aws:apigatewayv2/route:Route",
    client="apigatewayv2",
    props=(
        Prop("apiId", api="ApiId", read="", replace=True, required=True),
        Prop("routeKey", api="RouteKey", read="RouteKey", required=True),
        Prop("target", api="Target", read="Target"),
        Prop("authorizationType", api="AuthorizationType", read="AuthorizationType", default="NONE"),
        Prop("authorizerId", api="AuthorizerId", read="AuthorizerId"),
        Prop("apiKeyRequired", kind="bool", api="ApiKeyRequired", read="ApiKeyRequired", default=False),
        Prop("operationName", api="OperationName", read="OperationName"),
        Prop("authorizationScopes", kind="list", api="AuthorizationScopes", read="AuthorizationScopes"),
        Prop("routeResponseSelectionExpression", api="RouteResponseSelectionExpression",
             read="RouteResponseSelectionExpression"),
        Prop("modelSelectionExpression", api="ModelSelectionExpression", read="ModelSelectionExpression"),
        Prop("requestModels", kind="map", api="RequestModels", read="RequestModels"),
    ),
    create=Call("create_route", id="RouteId"),
    read=(Call("get_route", {"ApiId": _API, "RouteId": "{id}"}, absent=_GONE),),
    updates=(Update(Call("update_route", {"ApiId": _API, "RouteId": "{id}"}), props=_ROUTE_MUTABLE,
                    changed_only=True),),
    delete=Call("delete_route", {"ApiId": _API, "RouteId": "{id}"}, absent=_GONE),
)


def _route_settings(items: Any) -> dict[str, Any]:
    names = {"dataTraceEnabled": "DataTraceEnabled", "detailedMetricsEnabled": "DetailedMetricsEnabled",
             "loggingLevel": "LoggingLevel", "throttlingBurstLimit": "ThrottlingBurstLimit",
             "throttlingRateLimit": "ThrottlingRateLimit"}
    settings: dict[str, Any] = {}
    for item in items or ():
        one = {names[k]: v for k, v in item.items() if k in names and v is not None}
        if "ThrottlingBurstLimit" in one:
            one["ThrottlingBurstLimit"] = int(one["ThrottlingBurstLimit"])
        settings[str(item["routeKey"])] = one
    return settings


class StageCode(DeclaredResource):
    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"RouteSettings": _route_settings(inputs["routeSettings"])} if inputs.get("routeSettings") else {}

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if old_inputs.get("routeSettings") != news.get("routeSettings"):
            self.client(news).update_stage(ApiId=news["apiId"], StageName=id,
                                           RouteSettings=_route_settings(news.get("routeSettings")))

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        fields = self.fields(inputs, id=outputs["id"])
        path = "" if outputs["id"] == "$default" else outputs["id"]
        scheme = "wss" if str(doc.get("protocol", "")).upper() == "WEBSOCKET" else "https"
        outputs["invokeUrl"] = render(f"{scheme}://{_API}.execute-api.{{region}}.amazonaws.com/{path}", fields)
        return outputs


_STAGE_MUTABLE = ("autoDeploy", "deploymentId", "description", "stageVariables", "defaultRouteSettings",
                  "clientCertificateId")

STAGE = AwsType(
    token="aws:apigatewayv2/stage:Stage",
    client="apigatewayv2",
    naming=Naming(prefix=None, max_len=128),
    props=(
        Prop("apiId", api="ApiId", read="", replace=True, required=True),
        Prop("name", api="StageName", read="StageName", replace=True),
        Prop("autoDeploy", kind="bool", api="AutoDeploy", read="AutoDeploy", default=False),
        Prop("deploymentId", api="DeploymentId", read="DeploymentId", computed=True),
        Prop("description", api="Description", read="Description"),
        Prop("stageVariables", kind="map", api="StageVariables", read="StageVariables"),
        Prop("clientCertificateId", api="ClientCertificateId", read="ClientCertificateId"),
        Prop("defaultRouteSettings", kind="object", api="DefaultRouteSettings", read="DefaultRouteSettings",
             computed=True, props=(
                 Prop("dataTraceEnabled", kind="bool", api="DataTraceEnabled"),
                 Prop("detailedMetricsEnabled", kind="bool", api="DetailedMetricsEnabled"),
                 Prop("loggingLevel", api="LoggingLevel"),
                 Prop("throttlingBurstLimit", kind="int", api="ThrottlingBurstLimit"),
                 Prop("throttlingRateLimit", kind="float", api="ThrottlingRateLimit"),
             )),
        Prop("routeSettings", kind="any", read=""),
        Prop("arn", template=f"arn:{{partition}}:apigateway:{{region}}::/apis/{_API}/stages/{{id}}"),
        Prop("executionArn", template=f"arn:{{partition}}:execute-api:{{region}}:{{account}}:{_API}/{{id}}"),
        Prop("invokeUrl", output=True),
    ),
    create=Call("create_stage", id="StageName"),
    read=(Call("get_stage", {"ApiId": _API, "StageName": "{id}"}, absent=_GONE),),
    updates=(Update(Call("update_stage", {"ApiId": _API, "StageName": "{id}"}), props=_STAGE_MUTABLE,
                    changed_only=True),),
    delete=Call("delete_stage", {"ApiId": _API, "StageName": "{id}"}, absent=_GONE),
    tagging=_tagging(f"arn:aws:apigateway:{{region}}::/apis/{_API}/stages/{{id}}"),
    impl=StageCode,
)

TYPES = (API, INTEGRATION, ROUTE, STAGE)

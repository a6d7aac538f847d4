"""API Gateway (REST APIs, v1): RestApi, Resource, Method, Integration, Deployment, Stage.
Names, defaults, ids and ForceNew as pulumi-aws `aws.apigateway.*` (terraform-provider-aws
`internal/service/apigateway/`). Changes go through patch operations (`_patch.py`). A REST
API's OpenAPI `body` is imported with PutRestApi (mode `overwrite`) and kept as written (AWS
does not give it back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from orchestrator.engines.local.providers.aws.convert import block_to_api
from orchestrator.engines.local.providers.aws.services._patch import Patched
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging

_GONE = ("NotFoundException",)
_API = "{inputs.restApi}"


def _tagging(arn: str) -> Tagging:
    return Tagging(form="map", on_create="tags", in_doc="tags",
                   tag=Call("tag_resource", {"resourceArn": arn, "tags": "{tags}"}),
                   untag=Call("untag_resource", {"resourceArn": arn, "tagKeys": "{keys}"}))


class RestApiCode(Patched):
    PATCH = ("update_rest_api", {"restApiId": "{id}"})
    PATHS: ClassVar[Mapping[str, str]] = {"endpointConfiguration": "/endpointConfiguration/types/0"}

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        block = inputs.get("endpointConfiguration")
        if not block or not block.get("types"):
            return {}
        return {"endpointConfiguration": {**block_to_api(self.spec.prop("endpointConfiguration").props, block),
                                          "types": [block["types"]]}}

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        self._put_body(id, inputs)

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if old_inputs.get("body") != news.get("body"):
            self._put_body(id, news)
        old = {**old_inputs, "endpointConfiguration": _endpoint_type(old_inputs)}
        super().after_update(id, old, old_outputs, {**news, "endpointConfiguration": _endpoint_type(news)})

    def _put_body(self, id: str, inputs: Mapping[str, Any]) -> None:
        if inputs.get("body"):
            self.client(inputs).put_rest_api(restApiId=id, mode=inputs.get("putRestApiMode") or "overwrite",
                                             failOnWarnings=bool(inputs.get("failOnWarnings")),
                                             body=str(inputs["body"]).encode())

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        if not outputs.get("rootResourceId"):
            resources = self.client(inputs).get_resources(restApiId=outputs["id"], limit=500)["items"]
            outputs["rootResourceId"] = next((r["id"] for r in resources if r.get("path") == "/"), "")
        return outputs


def _endpoint_type(inputs: Mapping[str, Any]) -> Any:
    return (inputs.get("endpointConfiguration") or {}).get("types")


REST_API = AwsType(
    token="aws:apigateway/restApi:RestApi",
    client="apigateway",
    naming=Naming(prefix=None),
    props=(
        Prop("name", api="name", read="name"),
        Prop("description", api="description", read="description"),
        Prop("body", read=""),
        Prop("putRestApiMode", default="overwrite", choices=("overwrite", "merge")),
        Prop("failOnWarnings", kind="bool", default=False),
        Prop("endpointConfiguration", kind="object", api="endpointConfiguration", read="endpointConfiguration",
             computed=True, props=(Prop("types", read="types[0]"),  # one type, a list of one in the API
                                   Prop("ipAddressType", api="ipAddressType", read="ipAddressType"),
                                   Prop("vpcEndpointIds", kind="list", api="vpcEndpointIds"))),
        Prop("binaryMediaTypes", kind="list", api="binaryMediaTypes", read="binaryMediaTypes", computed=True),
        Prop("minimumCompressionSize", api="minimumCompressionSize", read="minimumCompressionSize"),
        Prop("apiKeySource", api="apiKeySource", read="apiKeySource", computed=True),
        Prop("disableExecuteApiEndpoint", kind="bool", api="disableExecuteApiEndpoint",
             read="disableExecuteApiEndpoint", default=False),
        Prop("policy", kind="json", api="policy", read="policy", computed=True),
        Prop("arn", template="arn:{partition}:apigateway:{region}::/restapis/{id}"),
        Prop("executionArn", template="arn:{partition}:execute-api:{region}:{account}:{id}"),
        Prop("rootResourceId", read="rootResourceId", output=True),
        Prop("createdDate", read="createdDate", output=True),
    ),
    create=Call("create_rest_api", id="id"),
    read=(Call("get_rest_api", {"restApiId": "{id}"}, absent=_GONE),),
    delete=Call("delete_rest_api", {"restApiId": "{id}"}, absent=_GONE),
    tagging=_tagging("arn:aws:apigateway:{region}::/restapis/{id}"),
    impl=RestApiCode,
)


class ResourceCode(Patched):
    PATCH = ("update_resource", {"restApiId": _API, "resourceId": "{id}"})


RESOURCE = AwsType(
    token="aws:apigateway/resource:Resource",
    client="apigateway",
    props=(
        Prop("restApi", api="restApiId", read="", replace=True, required=True),
        Prop("parentId", api="parentId", read="parentId", required=True),
        Prop("pathPart", api="pathPart", read="pathPart", required=True),
        Prop("path", read="path", output=True),
    ),
    create=Call("create_resource", id="id"),
    read=(Call("get_resource", {"restApiId": _API, "resourceId": "{id}"}, absent=_GONE),),
    delete=Call("delete_resource", {"restApiId": _API, "resourceId": "{id}"}, absent=_GONE),
    impl=ResourceCode,
)

_AT_METHOD = {"restApiId": _API, "resourceId": "{inputs.resourceId}", "httpMethod": "{inputs.httpMethod}"}


class MethodCode(Patched):
    PATCH = ("update_method", _AT_METHOD)


METHOD = AwsType(
    token="aws:apigateway/method:Method",
    client="apigateway",
    props=(
        Prop("restApi", api="restApiId", read="", replace=True, required=True),
        Prop("resourceId", api="resourceId", read="", replace=True, required=True),
        Prop("httpMethod", api="httpMethod", read="httpMethod", replace=True, required=True),
        Prop("authorization", api="authorizationType", read="authorizationType", required=True),
        Prop("authorizerId", api="authorizerId", read="authorizerId"),
        Prop("apiKeyRequired", kind="bool", api="apiKeyRequired", read="apiKeyRequired", default=False),
        Prop("operationName", api="operationName", read="operationName"),
        Prop("requestModels", kind="map", api="requestModels", read="requestModels"),
        Prop("requestParameters", kind="map", api="requestParameters", read="requestParameters"),
        Prop("requestValidatorId", api="requestValidatorId", read="requestValidatorId"),
        Prop("authorizationScopes", kind="list", api="authorizationScopes", read="authorizationScopes"),
    ),
    create=Call("put_method"),
    id="agm-{inputs.restApi}-{inputs.resourceId}-{inputs.httpMethod}",
    read=(Call("get_method", _AT_METHOD, absent=_GONE),),
    delete=Call("delete_method", _AT_METHOD, absent=_GONE),
    impl=MethodCode,
)


class IntegrationCode(Patched):
    PATCH = ("update_integration", _AT_METHOD)
    PATHS: ClassVar[Mapping[str, str]] = {"integrationHttpMethod": "/httpMethod"}


INTEGRATION = AwsType(
    token="aws:apigateway/integration:Integration",
    client="apigateway",
    props=(
        Prop("restApi", api="restApiId", read="", replace=True, required=True),
        Prop("resourceId", api="resourceId", read="", replace=True, required=True),
        Prop("httpMethod", api="httpMethod", read="", replace=True, required=True),
        Prop("type", api="type", read="type", required=True),
        Prop("integrationHttpMethod", api="integrationHttpMethod", read="httpMethod"),
        Prop("uri", api="uri", read="uri"),
        Prop("connectionType", api="connectionType", read="connectionType", default="INTERNET"),
        Prop("connectionId", api="connectionId", read="connectionId"),
        Prop("credentials", api="credentials", read="credentials"),
        Prop("passthroughBehavior", api="passthroughBehavior", read="passthroughBehavior", computed=True),
        Prop("requestTemplates", kind="map", api="requestTemplates", read="requestTemplates"),
        Prop("requestParameters", kind="map", api="requestParameters", read="requestParameters"),
        Prop("contentHandling", api="contentHandling", read="contentHandling"),
        Prop("timeoutMilliseconds", kind="int", api="timeoutInMillis", read="timeoutInMillis", default=29000),
        Prop("cacheKeyParameters", kind="list", api="cacheKeyParameters", read="cacheKeyParameters"),
        Prop("cacheNamespace", api="cacheNamespace", read="cacheNamespace", computed=True),
    ),
    create=Call("put_integration"),
    id="agi-{inputs.restApi}-{inputs.resourceId}-{inputs.httpMethod}",
    read=(Call("get_integration", _AT_METHOD, absent=_GONE),),
    delete=Call("delete_integration", _AT_METHOD, absent=_GONE),
    impl=IntegrationCode,
)


class DeploymentCode(Patched):
    PATCH = ("update_deployment", {"restApiId": _API, "deploymentId": "{id}"})


DEPLOYMENT = AwsType(
    token="aws:apigateway/deployment:Deployment",
    client="apigateway",
    props=(
        Prop("restApi", api="restApiId", read="", replace=True, required=True),
        Prop("description", api="description", read="description"),
        Prop("variables", kind="map", api="variables", read="", replace=True),
        Prop("triggers", kind="map", replace=True),
        Prop("createdDate", read="createdDate", output=True),
    ),
    create=Call("create_deployment", id="id"),
    read=(Call("get_deployment", {"restApiId": _API, "deploymentId": "{id}"}, absent=_GONE),),
    delete=Call("delete_deployment", {"restApiId": _API, "deploymentId": "{id}"}, absent=_GONE),
    impl=DeploymentCode,
)


class StageCode(Patched):
    PATCH = ("update_stage", {"restApiId": _API, "stageName": "{inputs.stageName}"})
    PATHS: ClassVar[Mapping[str, str]] = {"deployment": "/deploymentId", "xrayTracingEnabled": "/tracingEnabled"}


_STAGE_ARN = f"arn:{{partition}}:apigateway:{{region}}::/restapis/{_API}/stages/{{inputs.stageName}}"

STAGE = AwsType(
    token="aws:apigateway/stage:Stage",
    client="apigateway",
    props=(
        Prop("restApi", api="restApiId", read="", replace=True, required=True),
        Prop("stageName", api="stageName", read="stageName", replace=True, required=True),
        Prop("deployment", api="deploymentId", read="deploymentId", required=True),
        Prop("description", api="description", read="description"),
        Prop("variables", kind="map", api="variables", read="variables"),
        Prop("cacheClusterEnabled", kind="bool", api="cacheClusterEnabled", read="cacheClusterEnabled",
             default=False),
        Prop("cacheClusterSize", api="cacheClusterSize", read="cacheClusterSize"),
        Prop("xrayTracingEnabled", kind="bool", api="tracingEnabled", read="tracingEnabled", default=False),
        Prop("documentationVersion", api="documentationVersion", read="documentationVersion"),
        Prop("clientCertificateId", api="clientCertificateId", read="clientCertificateId"),
        Prop("arn", template=_STAGE_ARN),
        Prop("executionArn",
             template=f"arn:{{partition}}:execute-api:{{region}}:{{account}}:{_API}/{{inputs.stageName}}"),
        Prop("invokeUrl", template=f"https://{_API}.execute-api.{{region}}.amazonaws.com/{{inputs.stageName}}"),
        Prop("webAclArn", read="webAclArn", output=True),
    ),
    create=Call("create_stage"),
    id="ags-{inputs.restApi}-{inputs.stageName}",
    read=(Call("get_stage", {"restApiId": _API, "stageName": "{inputs.stageName}"}, absent=_GONE),),
    delete=Call("delete_stage", {"restApiId": _API, "stageName": "{inputs.stageName}"}, absent=_GONE),
    tagging=_tagging(_STAGE_ARN),
    impl=StageCode,
)

TYPES = (REST_API, RESOURCE, METHOD, INTEGRATION, DEPLOYMENT, STAGE)

"""AppSync: GraphQL APIs (with their schema), API keys, data sources and resolvers. Names,
defaults, ids and ForceNew as pulumi-aws `aws.appsync.*` (terraform-provider-aws
`internal/service/appsync/`): a data source is `<api>-<name>`, a resolver
`<api>-<type>-<field>`, an API key `<api>:<key>`.

Beyond terraform's ForceNew, the parts of an id force a replace (AWS::AppSync's CloudFormation
contract says "Replacement" for each): AWS cannot move a data source or an API key to another
API nor rename a data source, and terraform's update would change the old object in place of
the one asked for. A data source's `region` fields default to the provider's region, as
terraform sends them. The schema is applied after the API is created (StartSchemaCreation,
then waiting for it to be taken); AWS cannot give it back as written, so it is not read back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, ProviderError
from orchestrator.engines.local.providers.inputs import random_suffix

_GONE = ("NotFoundException",)
_API = "{inputs.apiId}"
_SCHEMA_WAIT_S = 120.0

# ---------------------------------------------------------------- GraphQL API

_LAMBDA_AUTHORIZER = (
    Prop("authorizerResultTtlInSeconds", api="authorizerResultTtlInSeconds", kind="int", default=300),
    Prop("authorizerUri", api="authorizerUri"),
    Prop("identityValidationExpression", api="identityValidationExpression"),
)
_OPENID_CONNECT = (
    Prop("authTtl", api="authTTL", kind="int"),
    Prop("clientId", api="clientId"),
    Prop("iatTtl", api="iatTTL", kind="int"),
    Prop("issuer", api="issuer"),
)
_COGNITO = (
    Prop("appIdClientRegex", api="appIdClientRegex"),
    Prop("awsRegion", api="awsRegion", computed=True),
    Prop("userPoolId", api="userPoolId"),
)

_API_MUTABLE = ("name", "authenticationType", "additionalAuthenticationProviders", "enhancedMetricsConfig",
                "introspectionConfig", "lambdaAuthorizerConfig", "logConfig", "mergedApiExecutionRoleArn",
                "openidConnectConfig", "queryDepthLimit", "resolverCountLimit", "userPoolConfig", "xrayEnabled")


class GraphQLApiCode(DeclaredResource):
    """A Cognito user pool's `awsRegion` is the provider's unless given (AWS requires one;
    terraform sends the current region); waits for the schema to be taken after the create
    and after a change of it."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        region = self.region(news)
        if isinstance(news.get("userPoolConfig"), dict):
            news["userPoolConfig"] = _with_region(news["userPoolConfig"], region)
        providers = news.get("additionalAuthenticationProviders")
        if isinstance(providers, list):
            news["additionalAuthenticationProviders"] = [
                {**p, "userPoolConfig": _with_region(p.get("userPoolConfig"), region)} if isinstance(p, dict) else p
                for p in providers]
        return news

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        if inputs.get("schema"):
            self._wait_for_schema(id, inputs)

    def after_update(self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any],
                     news: Mapping[str, Any]) -> None:
        if news.get("schema") and news.get("schema") != old_inputs.get("schema"):
            self._wait_for_schema(id, news)

    def _wait_for_schema(self, id: str, inputs: Mapping[str, Any]) -> None:
        deadline = time.monotonic() + _SCHEMA_WAIT_S
        while True:
            status = self.client(inputs).get_schema_creation_status(apiId=id)
            if status.get("status") in ("SUCCESS", "ACTIVE"):
                return
            if status.get("status") != "PROCESSING" or time.monotonic() > deadline:
                raise ProviderError(f"{self.type_token} {id}: the schema was not taken "
                                    f"({status.get('status')}): {status.get('details') or 'no details'}")
            time.sleep(1)


def _with_region(block: Any, region: str) -> Any:
    if not isinstance(block, dict):
        return block
    return {**block, "awsRegion": block.get("awsRegion") or region}


GRAPHQL_API = AwsType(
    token="aws:appsync/graphQLApi:GraphQLApi",
    client="appsync",
    naming=Naming(prefix=None, max_len=65),
    props=(
        Prop("name", api="name"),
        Prop("authenticationType", api="authenticationType", required=True),
        Prop("additionalAuthenticationProviders", kind="list", api="additionalAuthenticationProviders", props=(
            Prop("authenticationType", api="authenticationType"),
            Prop("lambdaAuthorizerConfig", kind="object", api="lambdaAuthorizerConfig", props=_LAMBDA_AUTHORIZER),
            Prop("openidConnectConfig", kind="object", api="openIDConnectConfig", props=_OPENID_CONNECT),
            Prop("userPoolConfig", kind="object", api="userPoolConfig", props=_COGNITO),
        )),
        Prop("apiType", api="apiType", default="GRAPHQL", replace=True, choices=("GRAPHQL", "MERGED")),
        Prop("enhancedMetricsConfig", kind="object", api="enhancedMetricsConfig", props=(
            Prop("dataSourceLevelMetricsBehavior", api="dataSourceLevelMetricsBehavior"),
            Prop("operationLevelMetricsConfig", api="operationLevelMetricsConfig"),
            Prop("resolverLevelMetricsBehavior", api="resolverLevelMetricsBehavior"),
        )),
        Prop("introspectionConfig", api="introspectionConfig", default="ENABLED"),
        Prop("lambdaAuthorizerConfig", kind="object", api="lambdaAuthorizerConfig", props=_LAMBDA_AUTHORIZER),
        Prop("logConfig", kind="object", api="logConfig", props=(
            Prop("cloudwatchLogsRoleArn", api="cloudWatchLogsRoleArn"),
            Prop("excludeVerboseContent", api="excludeVerboseContent", kind="bool", default=False),
            Prop("fieldLogLevel", api="fieldLogLevel"),
        )),
        Prop("mergedApiExecutionRoleArn", api="mergedApiExecutionRoleArn"),
        Prop("openidConnectConfig", kind="object", api="openIDConnectConfig", props=_OPENID_CONNECT),
        Prop("queryDepthLimit", api="queryDepthLimit", kind="int", default=0),
        Prop("resolverCountLimit", api="resolverCountLimit", kind="int", default=0),
        Prop("schema", api="definition", read="", on_create=False),
        Prop("userPoolConfig", kind="object", api="userPoolConfig", props=(
            *_COGNITO, Prop("defaultAction", api="defaultAction"))),
        Prop("visibility", api="visibility", default="GLOBAL", replace=True, choices=("GLOBAL", "PRIVATE")),
        Prop("xrayEnabled", api="xrayEnabled", kind="bool", default=False),
        Prop("arn", read="arn", output=True),
        Prop("uris", read="uris", kind="map", output=True),
    ),
    create=Call("create_graphql_api", id="graphqlApi.apiId"),
    read=(Call("get_graphql_api", {"apiId": "{id}"}, result="graphqlApi", absent=_GONE),),
    updates=(
        Update(Call("update_graphql_api", {"apiId": "{id}"}), props=_API_MUTABLE),
        Update(Call("start_schema_creation", {"apiId": "{id}"}), props=("schema",)),
    ),
    delete=Call("delete_graphql_api", {"apiId": "{id}"}, absent=_GONE),
    tagging=Tagging(form="map", on_create="tags", in_doc="tags",
                    tag=Call("tag_resource", {"resourceArn": "{outputs.arn}", "tags": "{tags}"}),
                    untag=Call("untag_resource", {"resourceArn": "{outputs.arn}", "tagKeys": "{keys}"})),
    impl=GraphQLApiCode,
)

# ---------------------------------------------------------------- API key


def _epoch(expires: Any) -> int:
    try:
        return int(datetime.fromisoformat(str(expires).replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise ProviderError(f"aws:appsync/apiKey:ApiKey: expires {expires!r} is not an RFC 3339 time "
                            "(such as 2030-01-01T00:00:00Z)") from None


def _rfc3339(epoch: Any) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiKeyCode(DeclaredResource):
    """AppSync lists a GraphQL API's keys (there is no call that reads one); the key's id is its
    value; `expires` is RFC 3339 in pulumi-aws and seconds since 1970 in the API."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("expires") not in (None, UNKNOWN_MARKER):
            news["expires"] = _rfc3339(_epoch(news["expires"]))
        return news

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        args: dict[str, Any] = {"apiId": inputs["apiId"], "description": inputs.get("description")}
        if inputs.get("expires"):
            args["expires"] = _epoch(inputs["expires"])
        with self.errors(f"key of {inputs['apiId']}", inputs):
            key = self.client(inputs).create_api_key(**args)["apiKey"]
        id_ = f"{inputs['apiId']}:{key['id']}"
        return id_, self.described(id_, inputs)

    def update(self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any],
               news: dict[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"apiId": news["apiId"], "id": id.split(":", 1)[1]}
        if news.get("description") != old_inputs.get("description"):
            args["description"] = news.get("description")
        if news.get("expires") and news.get("expires") != old_inputs.get("expires"):
            args["expires"] = _epoch(news["expires"])
        with self.errors(id, news):
            self.client(news).update_api_key(**args)
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        api_id, _, key_id = id.partition(":")
        with self.errors(id, inputs), missing(*_GONE):
            self.client(inputs).delete_api_key(apiId=api_id, id=key_id)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        api_id, _, key_id = id.partition(":")
        pages = self.client(inputs).get_paginator("list_api_keys").paginate(apiId=api_id)
        with missing(*_GONE) as probe:
            keys = [k for page in pages for k in page.get("apiKeys", ())]
        found = None if probe.gone else next((k for k in keys if k.get("id") == key_id), None)
        return None if found is None else {**found, "expires": _rfc3339(found.get("expires"))}


API_KEY = AwsType(
    token="aws:appsync/apiKey:ApiKey",
    client="appsync",
    props=(
        Prop("apiId", read="", required=True, replace=True),
        Prop("description", read="description", default="Managed by Pulumi"),
        Prop("expires", read="expires", computed=True),  # AWS: 7 days after the create
        Prop("apiKeyId", read="id", output=True),
        Prop("key", read="id", output=True, secret=True),
    ),
    create=Call("create_api_key"),
    read=(),
    delete=Call("delete_api_key", absent=_GONE),
    impl=ApiKeyCode,
)

# ---------------------------------------------------------------- data source

_DATA_SOURCE_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_REGIONAL_BLOCKS = ("dynamodbConfig", "elasticsearchConfig", "opensearchserviceConfig")


class DataSourceCode(DeclaredResource):
    """A data source's name is a GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`), so its autoname is
    `<resource>_<7 hex>`; `type` is upper-cased (terraform's StateFunc); the blocks' `region`
    is the provider's unless given."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("name") is None:
            base = re.sub(r"[^_0-9A-Za-z]+", "_", name).strip("_") or "source"
            news["name"] = olds.get("name") or f"{base if base[0].isalpha() else '_' + base}_{random_suffix(7)}"
        if isinstance(news.get("name"), str) and news["name"] != UNKNOWN_MARKER \
                and not _DATA_SOURCE_NAME.fullmatch(news["name"]):
            raise ProviderError(f"{self.type_token} {name}: name {news['name']!r} is invalid: a letter or "
                                "underscore, then letters, digits and underscores")
        if isinstance(news.get("type"), str):
            news["type"] = news["type"].upper()
        region = self.region(news)
        for block in _REGIONAL_BLOCKS:
            if isinstance(news.get(block), dict):
                news[block] = {**news[block], "region": news[block].get("region") or region}
        database = news.get("relationalDatabaseConfig")
        if isinstance(database, dict) and isinstance(database.get("httpEndpointConfig"), dict):
            endpoint = database["httpEndpointConfig"]
            news["relationalDatabaseConfig"] = {
                **database, "httpEndpointConfig": {**endpoint, "region": endpoint.get("region") or region}}
        return news


_DATA_SOURCE_MUTABLE = ("description", "type", "serviceRoleArn", "dynamodbConfig", "elasticsearchConfig",
                        "opensearchserviceConfig", "eventBridgeConfig", "httpConfig", "lambdaConfig",
                        "relationalDatabaseConfig")
_DATA_SOURCE_KEY = {"apiId": _API, "name": "{inputs.name}"}

DATA_SOURCE = AwsType(
    token="aws:appsync/dataSource:DataSource",
    client="appsync",
    props=(
        Prop("apiId", api="apiId", read="", required=True, replace=True),
        Prop("name", api="name", replace=True),
        Prop("type", api="type", required=True),
        Prop("description", api="description"),
        Prop("serviceRoleArn", api="serviceRoleArn"),
        Prop("dynamodbConfig", kind="object", api="dynamodbConfig", props=(
            Prop("tableName", api="tableName"),
            Prop("region", api="awsRegion"),
            Prop("useCallerCredentials", api="useCallerCredentials", kind="bool"),
            Prop("versioned", api="versioned", kind="bool"),
            Prop("deltaSyncConfig", kind="object", api="deltaSyncConfig", props=(
                Prop("baseTableTtl", api="baseTableTTL", kind="int"),
                Prop("deltaSyncTableName", api="deltaSyncTableName"),
                Prop("deltaSyncTableTtl", api="deltaSyncTableTTL", kind="int"),
            )),
        )),
        Prop("elasticsearchConfig", kind="object", api="elasticsearchConfig", props=(
            Prop("endpoint", api="endpoint"), Prop("region", api="awsRegion"))),
        Prop("opensearchserviceConfig", kind="object", api="openSearchServiceConfig", props=(
            Prop("endpoint", api="endpoint"), Prop("region", api="awsRegion"))),
        Prop("eventBridgeConfig", kind="object", api="eventBridgeConfig", props=(
            Prop("eventBusArn", api="eventBusArn"),)),
        Prop("httpConfig", kind="object", api="httpConfig", props=(
            Prop("endpoint", api="endpoint"),
            Prop("authorizationConfig", kind="object", api="authorizationConfig", props=(
                Prop("authorizationType", api="authorizationType", default="AWS_IAM"),
                Prop("awsIamConfig", kind="object", api="awsIamConfig", props=(
                    Prop("signingRegion", api="signingRegion"),
                    Prop("signingServiceName", api="signingServiceName"),
                )),
            )),
        )),
        Prop("lambdaConfig", kind="object", api="lambdaConfig", props=(
            Prop("functionArn", api="lambdaFunctionArn"),)),
        Prop("relationalDatabaseConfig", kind="object", api="relationalDatabaseConfig", props=(
            Prop("sourceType", api="relationalDatabaseSourceType", default="RDS_HTTP_ENDPOINT"),
            Prop("httpEndpointConfig", kind="object", api="rdsHttpEndpointConfig", props=(
                Prop("awsSecretStoreArn", api="awsSecretStoreArn"),
                Prop("databaseName", api="databaseName"),
                Prop("dbClusterIdentifier", api="dbClusterIdentifier"),
                Prop("region", api="awsRegion"),
                Prop("schema", api="schema"),
            )),
        )),
        Prop("arn", read="dataSourceArn", output=True),
    ),
    id="{inputs.apiId}-{inputs.name}",
    create=Call("create_data_source"),
    read=(Call("get_data_source", _DATA_SOURCE_KEY, result="dataSource", absent=_GONE),),
    updates=(Update(Call("update_data_source", _DATA_SOURCE_KEY), props=_DATA_SOURCE_MUTABLE),),
    delete=Call("delete_data_source", _DATA_SOURCE_KEY, absent=_GONE),
    impl=DataSourceCode,
)

# ---------------------------------------------------------------- resolver

_RESOLVER_MUTABLE = ("dataSource", "kind", "requestTemplate", "responseTemplate", "code", "runtime",
                     "maxBatchSize", "pipelineConfig", "cachingConfig", "syncConfig")
_RESOLVER_KEY = {"apiId": _API, "typeName": "{inputs.type}", "fieldName": "{inputs.field}"}

RESOLVER = AwsType(
    token="aws:appsync/resolver:Resolver",
    client="appsync",
    props=(
        Prop("apiId", api="apiId", read="", required=True, replace=True),
        Prop("type", api="typeName", required=True, replace=True),
        Prop("field", api="fieldName", required=True, replace=True),
        Prop("dataSource", api="dataSourceName"),
        Prop("kind", api="kind", default="UNIT", choices=("UNIT", "PIPELINE")),
        Prop("requestTemplate", api="requestMappingTemplate"),
        Prop("responseTemplate", api="responseMappingTemplate"),
        Prop("code", api="code"),
        Prop("runtime", kind="object", api="runtime", props=(
            Prop("name", api="name"), Prop("runtimeVersion", api="runtimeVersion"))),
        Prop("maxBatchSize", api="maxBatchSize", kind="int"),
        Prop("pipelineConfig", kind="object", api="pipelineConfig", props=(
            Prop("functions", api="functions", kind="list"),)),
        Prop("cachingConfig", kind="object", api="cachingConfig", props=(
            Prop("cachingKeys", api="cachingKeys", kind="list"), Prop("ttl", api="ttl", kind="int"))),
        Prop("syncConfig", kind="object", api="syncConfig", props=(
            Prop("conflictDetection", api="conflictDetection"),
            Prop("conflictHandler", api="conflictHandler"),
            Prop("lambdaConflictHandlerConfig", kind="object", api="lambdaConflictHandlerConfig", props=(
                Prop("lambdaConflictHandlerArn", api="lambdaConflictHandlerArn"),)),
        )),
        Prop("arn", read="resolverArn", output=True),
    ),
    id="{inputs.apiId}-{inputs.type}-{inputs.field}",
    create=Call("create_resolver"),
    read=(Call("get_resolver", _RESOLVER_KEY, result="resolver", absent=_GONE),),
    updates=(Update(Call("update_resolver", _RESOLVER_KEY), props=_RESOLVER_MUTABLE),),
    delete=Call("delete_resolver", _RESOLVER_KEY, absent=_GONE),
)

TYPES = (GRAPHQL_API, API_KEY, DATA_SOURCE, RESOLVER)

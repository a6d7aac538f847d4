"""AppSync in the sandbox: a stand-in for the GraphQL API calls moto lacks.

moto (5.2) keeps GraphQL APIs, their API keys and schemas, but has no data sources and no
resolvers: `CreateDataSource`/`GetDataSource`/`UpdateDataSource`/`DeleteDataSource`/
`ListDataSources` and `CreateResolver`/`GetResolver`/`UpdateResolver`/`DeleteResolver`/
`ListResolvers` answer "not implemented". This module adds them to moto's AppSync backend
and its REST routes, answering as the AppSync API reference documents them: the shapes of
botocore's model, ARNs `arn:aws:appsync:<region>:<account>:apis/<api>/datasources/<name>` and
`.../types/<type>/resolvers/<field>`, `NotFoundException` for a missing API, data source or
resolver, `BadRequestException` for a second one of the same name, and both removed with
their API (they live on it). Nothing runs a resolver: GraphQL queries are out of scope.

It also brings the parts of a GraphQL API moto gets wrong closer to AWS: ids of 26 lower-case
letters and digits (moto: a UUID, which the `<api>-<name>` ids of pulumi-aws cannot be split
on), its `GRAPHQL` and `REALTIME` endpoints, the settings moto drops (`apiType`,
`introspectionConfig`, `queryDepthLimit`, `resolverCountLimit`, `enhancedMetricsConfig`,
`mergedApiExecutionRoleArn`, `owner`), API keys named as AWS names them (`da2-...`), and
`NotFoundException` (not an internal error) for a missing API or key on delete and update.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

_DATA_SOURCE_FIELDS = ("name", "description", "type", "serviceRoleArn", "dynamodbConfig", "lambdaConfig",
                       "elasticsearchConfig", "openSearchServiceConfig", "httpConfig", "relationalDatabaseConfig",
                       "eventBridgeConfig", "metricsConfig")
_RESOLVER_FIELDS = ("typeName", "fieldName", "dataSourceName", "requestMappingTemplate", "responseMappingTemplate",
                    "kind", "pipelineConfig", "syncConfig", "cachingConfig", "maxBatchSize", "runtime", "code",
                    "metricsConfig")
# Settings of a GraphQL API that moto does not keep, with what AWS answers when none is given.
_API_SETTINGS = {"apiType": "GRAPHQL", "introspectionConfig": "ENABLED", "queryDepthLimit": 0,
                 "resolverCountLimit": 0, "enhancedMetricsConfig": None, "mergedApiExecutionRoleArn": None}
# A data source's type and the block that configures it (NONE needs none).
_CONFIG_OF_TYPE = {"AWS_LAMBDA": "lambdaConfig", "AMAZON_DYNAMODB": "dynamodbConfig",
                   "AMAZON_ELASTICSEARCH": "elasticsearchConfig",
                   "AMAZON_OPENSEARCH_SERVICE": "openSearchServiceConfig", "HTTP": "httpConfig",
                   "RELATIONAL_DATABASE": "relationalDatabaseConfig", "AMAZON_EVENTBRIDGE": "eventBridgeConfig"}
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ROUTES = {
    "{0}/v1/apis/(?P<api_id>[^/]+)/datasources$": "data sources",
    "{0}/v1/apis/(?P<api_id>[^/]+)/datasources/(?P<name>[^/]+)$": "a data source",
    # moto's `types/(?P<type_name>.+)$` route already reaches resolvers; the operation is then
    # told apart by botocore's model of the request (method and path).
}


def close() -> None:
    from moto.appsync import urls
    from moto.appsync.responses import AppSyncResponse

    for route in _ROUTES:
        urls.url_paths.setdefault(route, AppSyncResponse.dispatch)
    for name, handler in _HANDLERS.items():
        setattr(AppSyncResponse, name, handler)
    _aws_shaped_apis()


# ---------------------------------------------------------------- errors and lookups


def _not_found(message: str) -> Exception:
    from moto.appsync.exceptions import AppSyncExceptions

    error = AppSyncExceptions("NotFoundException", message)
    error.code = 404
    return error


def _bad_request(message: str) -> Exception:
    from moto.appsync.exceptions import BadRequestException

    return BadRequestException(message)


def _api(response: Any, api_id: str) -> Any:
    api = response.appsync_backend.graphql_apis.get(api_id)
    if api is None:
        raise _not_found(f"GraphQL API {api_id} not found.")
    return api


def _data_sources(api: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = api.__dict__.setdefault("sandbox_data_sources", {})
    return found


def _resolvers(api: Any) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = api.__dict__.setdefault("sandbox_resolvers", {})
    return found


def _given(response: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    values = {f: response._get_param(f) for f in fields}
    return {f: v for f, v in values.items() if v is not None}


def _result(key: str, value: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult({key: value})


# ---------------------------------------------------------------- data sources


def _checked_data_source(response: Any, api: Any, name: str) -> dict[str, Any]:
    if not _NAME.fullmatch(name or ""):
        raise _bad_request(f"Data source name {name!r} must match [_A-Za-z][_0-9A-Za-z]*.")
    source = _given(response, _DATA_SOURCE_FIELDS)
    source["name"] = name
    block = _CONFIG_OF_TYPE.get(source.get("type", ""))
    if block is not None and block not in source:
        raise _bad_request(f"A data source of type {source['type']} needs its {block}.")
    source["dataSourceArn"] = f"{api.arn}/datasources/{name}"
    return source


def create_data_source(self: Any) -> Any:
    api = _api(self, self._get_param("apiId"))
    name = self._get_param("name")
    if name in _data_sources(api):
        raise _bad_request(f"Data source with name {name} already exists.")
    source = _checked_data_source(self, api, name)
    _data_sources(api)[name] = source
    return _result("dataSource", source)


def get_data_source(self: Any) -> Any:
    return _result("dataSource", _data_source(self))


def update_data_source(self: Any) -> Any:
    api = _api(self, self._get_param("apiId"))
    found = _data_source(self)
    source = _checked_data_source(self, api, found["name"])
    _data_sources(api)[found["name"]] = source
    return _result("dataSource", source)


def delete_data_source(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    found = _data_source(self)
    del _data_sources(_api(self, self._get_param("apiId")))[found["name"]]
    return EmptyResult()


def list_data_sources(self: Any) -> Any:
    from moto.core.responses import ActionResult

    api = _api(self, self._get_param("apiId"))
    return ActionResult({"dataSources": list(_data_sources(api).values())})


def _data_source(response: Any) -> dict[str, Any]:
    api = _api(response, response._get_param("apiId"))
    name = response._get_param("name")
    found = _data_sources(api).get(name)
    if found is None:
        raise _not_found(f"No data source found named {name}.")
    return found


# ---------------------------------------------------------------- resolvers


def _checked_resolver(response: Any, api: Any, type_name: str, field_name: str) -> dict[str, Any]:
    resolver = _given(response, _RESOLVER_FIELDS)
    resolver.update(typeName=type_name, fieldName=field_name)
    resolver.setdefault("kind", "UNIT")
    source = resolver.get("dataSourceName")
    if resolver["kind"] == "UNIT" and source is not None and source not in _data_sources(api):
        raise _not_found(f"No data source found named {source}.")
    if resolver["kind"] == "PIPELINE" and "pipelineConfig" not in resolver:
        raise _bad_request("A pipeline resolver needs its pipelineConfig.")
    resolver["resolverArn"] = f"{api.arn}/types/{type_name}/resolvers/{field_name}"
    return resolver


def create_resolver(self: Any) -> Any:
    api = _api(self, self._get_param("apiId"))
    key = (self._get_param("typeName"), self._get_param("fieldName"))
    if key in _resolvers(api):
        raise _bad_request("Only one resolver is allowed per field.")
    resolver = _checked_resolver(self, api, *key)
    _resolvers(api)[key] = resolver
    return _result("resolver", resolver)


def get_resolver(self: Any) -> Any:
    return _result("resolver", _resolver(self))


def update_resolver(self: Any) -> Any:
    api = _api(self, self._get_param("apiId"))
    found = _resolver(self)
    key = (found["typeName"], found["fieldName"])
    _resolvers(api)[key] = _checked_resolver(self, api, *key)
    return _result("resolver", _resolvers(api)[key])


def delete_resolver(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    found = _resolver(self)
    del _resolvers(_api(self, self._get_param("apiId")))[(found["typeName"], found["fieldName"])]
    return EmptyResult()


def list_resolvers(self: Any) -> Any:
    from moto.core.responses import ActionResult

    api = _api(self, self._get_param("apiId"))
    type_name = self._get_param("typeName")
    return ActionResult({"resolvers": [r for (t, _), r in _resolvers(api).items() if t == type_name]})


def _resolver(response: Any) -> dict[str, Any]:
    api = _api(response, response._get_param("apiId"))
    type_name, field_name = response._get_param("typeName"), response._get_param("fieldName")
    found = _resolvers(api).get((type_name, field_name))
    if found is None:
        raise _not_found(f"No resolver found for {type_name}.{field_name}.")
    return found


_HANDLERS: dict[str, Callable[[Any], Any]] = {
    f.__name__: f for f in (create_data_source, get_data_source, update_data_source, delete_data_source,
                            list_data_sources, create_resolver, get_resolver, update_resolver, delete_resolver,
                            list_resolvers)
}


# ---------------------------------------------------------------- GraphQL APIs as AWS shapes them


def _aws_shaped_apis() -> None:
    from moto.appsync.models import GraphqlAPI, GraphqlAPIKey
    from moto.appsync.responses import AppSyncResponse
    from moto.moto_api._internal import mock_random

    def token(length: int) -> str:
        return "".join(mock_random.choice(_ID_ALPHABET) for _ in range(length))

    api_init = GraphqlAPI.__init__

    def init_api(self: Any, *args: Any, **kwargs: Any) -> None:
        api_init(self, *args, **kwargs)
        moto_id, self.api_id = self.api_id, token(26)
        self.arn = self.arn.replace(moto_id, self.api_id)
        host = token(26)
        self.sandbox_uris = {"GRAPHQL": f"https://{host}.appsync-api.{self.region}.amazonaws.com/graphql",
                             "REALTIME": f"wss://{host}.appsync-realtime-api.{self.region}.amazonaws.com/graphql"}
        self.sandbox_settings = dict(_API_SETTINGS)

    key_init = GraphqlAPIKey.__init__

    def init_key(self: Any, *args: Any, **kwargs: Any) -> None:
        key_init(self, *args, **kwargs)
        self.key_id = f"da2-{token(26)}"

    GraphqlAPI.__init__ = init_api  # type: ignore[method-assign]
    GraphqlAPIKey.__init__ = init_key  # type: ignore[method-assign]
    for operation in ("create_graphql_api", "update_graphql_api", "get_graphql_api"):
        setattr(AppSyncResponse, operation, _with_settings(getattr(AppSyncResponse, operation)))
    AppSyncResponse.list_graphql_apis = _listed_with_settings(  # type: ignore[method-assign,assignment]
        AppSyncResponse.list_graphql_apis)
    for operation in (*_GRAPHQL_ONLY, *_KEY_OPERATIONS):
        setattr(AppSyncResponse, operation, _api_must_exist(getattr(AppSyncResponse, operation)))


def _shaped(api: Any, answer: dict[str, Any]) -> dict[str, Any]:
    settings = getattr(api, "sandbox_settings", {})
    return {**answer, "apiId": api.api_id, "arn": api.arn, "uris": getattr(api, "sandbox_uris", answer.get("uris")),
            "owner": api.backend.account_id, **{k: v for k, v in settings.items() if v is not None}}


def _with_settings(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def handler(self: Any) -> Any:
        from moto.core.responses import ActionResult

        result = original(self)
        answer = result.result["graphqlApi"]
        api = self.appsync_backend.graphql_apis[answer["apiId"]]
        settings = api.__dict__.setdefault("sandbox_settings", dict(_API_SETTINGS))
        if original.__name__ != "get_graphql_api":  # UpdateGraphqlApi takes all but apiType
            settings.update(_given(self, tuple(_API_SETTINGS)))
        return ActionResult({"graphqlApi": _shaped(api, answer)})

    handler.__name__ = original.__name__
    return handler


def _listed_with_settings(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def list_graphql_apis(self: Any) -> Any:
        from moto.core.responses import ActionResult

        apis = self.appsync_backend.graphql_apis
        listed = original(self).result["graphqlApis"]
        return ActionResult({"graphqlApis": [_shaped(apis[a["apiId"]], a) for a in listed]})

    return list_graphql_apis


# Calls on a GraphQL API, and calls on the keys of a GraphQL or an Events API.
_GRAPHQL_ONLY = ("update_graphql_api", "delete_graphql_api", "start_schema_creation", "get_schema_creation_status")
_KEY_OPERATIONS = ("create_api_key", "update_api_key", "delete_api_key")
_HOUR_S = 3600


def _api_must_exist(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A missing API or key is AWS's NotFoundException, not moto's KeyError (an HTTP 500). A
    key's `expires` is rounded down to the hour, as the AppSync API reference says it is."""

    def handler(self: Any) -> Any:
        backend, api_id = self.appsync_backend, self._get_param("apiId")
        api = backend.graphql_apis.get(api_id)
        if api is None and original.__name__ in _KEY_OPERATIONS:
            api = backend.events_apis.get(api_id)
        if api is None:
            raise _not_found(f"GraphQL API {api_id} not found.")
        key_id = self._get_param("id")
        if original.__name__ in ("update_api_key", "delete_api_key") and key_id not in api.api_keys:
            raise _not_found(f"API key {key_id} not found.")
        if isinstance(self.params, dict) and isinstance(self.params.get("expires"), int):
            self.params["expires"] -= self.params["expires"] % _HOUR_S
        return original(self)

    handler.__name__ = original.__name__
    return handler

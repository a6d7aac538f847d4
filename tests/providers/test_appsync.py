"""AppSync in the default run: the sandbox's stand-in for the data source and resolver calls
moto lacks, as boto3 sees it, and a quick life of each AppSync type through its provider (the
whole engine case is tests/aws/test_appsync.py, under `make test-types`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orchestrator.engines.local.providers.base import ProviderContext
from tests.providers.test_more_services import _life

Boto = Callable[[str], Any]
SCHEMA = "type Track { id: ID! } type Query { track(id: ID!): Track  tracks: [Track] } schema { query: Query }"


def _error(call: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _api(boto: Boto) -> str:
    appsync = boto("appsync")
    api_id: str = appsync.create_graphql_api(name="music", authenticationType="API_KEY")["graphqlApi"]["apiId"]
    appsync.start_schema_creation(apiId=api_id, definition=SCHEMA.encode())
    return api_id


def test_the_sandbox_keeps_data_sources_and_resolvers_as_aws_does(boto: Boto) -> None:
    appsync = boto("appsync")
    api_id = _api(boto)
    api = appsync.get_graphql_api(apiId=api_id)["graphqlApi"]
    assert len(api_id) == 26 and api_id.isalnum() and api["uris"]["GRAPHQL"].startswith("https://")
    made = appsync.create_data_source(apiId=api_id, name="tracks", type="AMAZON_DYNAMODB",
                                      serviceRoleArn="arn:aws:iam::123456789012:role/reader",
                                      dynamodbConfig={"tableName": "tracks", "awsRegion": "us-east-1"})["dataSource"]
    assert made["dataSourceArn"] == f"{api['arn']}/datasources/tracks"
    assert appsync.get_data_source(apiId=api_id, name="tracks")["dataSource"] == made
    appsync.update_data_source(apiId=api_id, name="tracks", type="NONE", description="echo")
    assert appsync.get_data_source(apiId=api_id, name="tracks")["dataSource"]["type"] == "NONE"
    resolver = appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="track", dataSourceName="tracks",
                                       requestMappingTemplate="{}", responseMappingTemplate="$ctx.result")["resolver"]
    assert resolver["kind"] == "UNIT"
    assert resolver["resolverArn"] == f"{api['arn']}/types/Query/resolvers/track"
    assert [r["fieldName"] for r in appsync.list_resolvers(apiId=api_id, typeName="Query")["resolvers"]] == ["track"]
    assert _error(lambda: appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="track")) == (
        "BadRequestException", 400)
    assert _error(lambda: appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="tracks",
                                                  dataSourceName="absent")) == ("NotFoundException", 404)
    assert _error(lambda: appsync.get_data_source(apiId=api_id, name="absent")) == ("NotFoundException", 404)
    expires = int(time.time()) + 3 * 86400 + 1234
    key = appsync.create_api_key(apiId=api_id, expires=expires)["apiKey"]
    assert key["id"].startswith("da2-") and key["expires"] == expires - expires % 3600  # rounded down to the hour
    appsync.delete_resolver(apiId=api_id, typeName="Query", fieldName="track")
    assert _error(lambda: appsync.get_resolver(apiId=api_id, typeName="Query", fieldName="track"))[0] == (
        "NotFoundException")
    appsync.delete_graphql_api(apiId=api_id)  # its data sources go with it
    assert _error(lambda: appsync.get_data_source(apiId=api_id, name="tracks"))[0] == "NotFoundException"
    assert _error(lambda: appsync.delete_graphql_api(apiId=api_id))[0] == "NotFoundException"
    assert _error(lambda: appsync.update_graphql_api(apiId=api_id, name="x", authenticationType="API_KEY"))[0] == (
        "NotFoundException")
    assert _error(lambda: appsync.delete_api_key(apiId=api_id, id="da2-none"))[0] == "NotFoundException"


def test_each_appsync_type_through_its_provider(ctx: ProviderContext, boto: Boto) -> None:
    api = _life(ctx, "aws:appsync/graphQLApi:GraphQLApi", "music",
                {"authenticationType": "AMAZON_COGNITO_USER_POOLS", "schema": SCHEMA,
                 "userPoolConfig": {"userPoolId": "us-east-1_listeners", "defaultAction": "ALLOW"}},
                {"xrayEnabled": True, "queryDepthLimit": 5.0}, {"visibility": "PRIVATE"})
    assert api["uris"]["GRAPHQL"].endswith("/graphql") and api["name"].startswith("music-")
    assert api["userPoolConfig"]["awsRegion"] == "us-east-1"  # the provider's, as AWS requires one
    api_id = _api(boto)
    boto("appsync").create_data_source(apiId=api_id, name="echo", type="NONE")
    source = _life(ctx, "aws:appsync/dataSource:DataSource", "tracks", {"apiId": api_id, "type": "none"},
                   {"description": "two"}, {"name": "other"})
    assert source["type"] == "NONE" and source["name"].startswith("tracks_")
    _life(ctx, "aws:appsync/resolver:Resolver", "track",
          {"apiId": api_id, "type": "Query", "field": "track", "dataSource": "echo", "requestTemplate": "{}",
           "responseTemplate": "$ctx.result"}, {"responseTemplate": "$util.toJson($ctx.result)"}, {"field": "tracks"})
    key = _life(ctx, "aws:appsync/apiKey:ApiKey", "key", {"apiId": api_id},
                {"description": "two", "expires": "2040-01-01T00:00:00Z"}, {"apiId": "other"})
    assert key["key"] == key["apiKeyId"] and key["expires"] == "2040-01-01T00:00:00Z"

"""AppSync through the engine: a GraphQL API with its schema, an API key, a data source and a
resolver (data sources and resolvers answered by the sandbox's stand-in, see
`orchestrator/sandbox_gaps/appsync.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
api = aws.appsync.GraphQLApi("catalog", authentication_type="API_KEY", xray_enabled=step != "create",
                             schema="""
type Album { id: ID! title: String }
type Query { album(id: ID!): Album  albums: [Album] }
schema { query: Query }
""")
key = aws.appsync.ApiKey("catalog-key", api_id=api.id,
                         description="for the shop" if step == "create" else "for the shop and the app")
source = aws.appsync.DataSource("albums", api_id=api.id, type="NONE",
                                name="albums" if step != "replace" else "albums_v2",
                                description="local" if step == "create" else "local, echoed")
resolver = aws.appsync.Resolver("album", api_id=api.id, type="Query", data_source=source.name,
                                field="album" if step != "replace" else "albums",
                                request_template='{"version": "2018-05-29", "payload": $util.toJson($ctx.args)}',
                                response_template="$util.toJson($ctx.result)" if step == "create"
                                else "$util.toJson($ctx.result.album)")
pulumi.export("api", api.id)
pulumi.export("endpoint", api.uris["GRAPHQL"])
pulumi.export("key", pulumi.Output.unsecret(key.key))
pulumi.export("source", source.name)
pulumi.export("resolver", resolver.arn)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    appsync = clients("appsync")
    appsync.update_resolver(apiId=outputs["api"], typeName="Query", fieldName="albums",
                            dataSourceName=outputs["source"], requestMappingTemplate="{}",
                            responseMappingTemplate="$ctx.result")
    appsync.update_api_key(apiId=outputs["api"], id=outputs["key"], description="rotated by hand")


@pytest.mark.types
def test_graphql_api_key_data_source_and_resolver(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"catalog": "update", "catalog-key": "update", "albums": "update", "album": "update"},
        replaced={"albums": "replace", "album": "replace"},
        drift=_hand_edit,
        drifted={"album": "update", "catalog-key": "update"},
    ), tmp_path, endpoint)
    created, replaced = run.outputs("create"), run.outputs("replace")
    assert created["endpoint"] == replaced["endpoint"]
    assert created["endpoint"].endswith(".appsync-api.us-east-1.amazonaws.com/graphql")
    assert created["key"].startswith("da2-") and replaced["source"] == "albums_v2"
    assert replaced["resolver"].endswith(f"apis/{created['api']}/types/Query/resolvers/albums")

"""API Gateway in the sandbox."""

from __future__ import annotations

from typing import Any


def close() -> None:
    """API Gateway imports Swagger 2.0 definitions (PutRestApi and a RestApi's `body`) as well as
    OpenAPI 3; moto refuses Swagger 2.0 ("Only OpenAPI 3.x.x are currently supported") though
    its importer reads both the same way: `paths`, their methods, responses and
    `x-amazon-apigateway-integration`. A Swagger 2.0 document goes through that importer.
    AWS also reads the `x-amazon-apigateway-any-method` key as the method ANY (moto made a
    method of that name)."""
    from moto.apigateway.models import APIGatewayBackend

    original = APIGatewayBackend.put_rest_api

    def put_rest_api(self: Any, function_id: str, api_doc: dict[str, Any], fail_on_warnings: bool,
                     mode: str = "merge") -> Any:
        if str(api_doc.get("swagger", "")).startswith("2"):
            # moto's validator knows OpenAPI 3 only, so the warnings check cannot judge Swagger 2.0.
            api_doc = {**{k: v for k, v in api_doc.items() if k != "swagger"}, "openapi": "3.0.1"}
            fail_on_warnings = False
        if isinstance(api_doc.get("paths"), dict):
            api_doc = {**api_doc, "paths": {path: _any_method(methods) for path, methods in api_doc["paths"].items()}}
        return original(self, function_id, api_doc, fail_on_warnings, mode)

    APIGatewayBackend.put_rest_api = put_rest_api  # type: ignore[method-assign]


def _any_method(methods: Any) -> Any:
    if not isinstance(methods, dict) or _ANY_METHOD not in methods:
        return methods
    return {("ANY" if key == _ANY_METHOD else key): value for key, value in methods.items()}


_ANY_METHOD = "x-amazon-apigateway-any-method"

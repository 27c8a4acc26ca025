"""GET /v1/openapi.json documents every route; the tests check every response against it."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate
from starlette.routing import Route

from servers import Running
from tessera.api.app import create_app
from tessera.api.errors import method_not_allowed
from tessera.config import Settings


def served_operations() -> set[tuple[str, str]]:
    app = create_app(Settings())
    return {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route) and route.endpoint is not method_not_allowed
        for method in route.methods or ()
        if method != "HEAD"
    }


def test_the_document_is_valid_openapi_and_served(server: Running) -> None:
    """The served document is a valid OpenAPI 3.0 document, served as application/json."""
    response = httpx.get(f"{server.base_url}/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    validate(response.json())


def test_every_route_is_documented_and_every_documented_operation_is_served(
    server: Running,
) -> None:
    """The routes of the app and the operations of the document are the same set."""
    doc = httpx.get(f"{server.base_url}/v1/openapi.json").json()
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == served_operations()


def test_shared_operations_use_clerks_schemas(server: Running) -> None:
    """Create sign-in token answers Clerk's SignInToken schema, additionalProperties false."""
    doc = httpx.get(f"{server.base_url}/v1/openapi.json").json()
    ok = doc["paths"]["/v1/sign_in_tokens"]["post"]["responses"]["200"]
    assert ok == {"$ref": "#/components/responses/SignInToken"}
    assert doc["components"]["schemas"]["SignInToken"]["additionalProperties"] is False

"""Tessera's OpenAPI document, served at ``GET /v1/openapi.json``.

Operations Tessera shares with Clerk use Clerk's own definitions (``clerk_openapi.json``, made
by ``scripts/extract_clerk_openapi.py``); Tessera's additions are described here. Every
operation also lists the errors any request can meet (bad body, bad key, …), all in Clerk's
error shape, so generated clients and API fuzzers know every answer they can get.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from tessera import __version__, json_values, users
from tessera.api.openapi_limits import tighten
from tessera.api.openapi_redemption import REDEMPTION_OPERATIONS, REDIRECT_URL_PARAM

__all__ = [
    "CLERK_OPERATIONS",
    "IDEMPOTENT_OPERATIONS",
    "TESSERA_OPERATIONS",
    "document",
    "document_bytes",
]

# (path under /v1, method) of each Clerk operation Tessera serves.
CLERK_OPERATIONS = [
    ("/sign_in_tokens", "post"),
    ("/sign_in_tokens/{sign_in_token_id}/revoke", "post"),
    ("/users", "get"),
    ("/users", "post"),
    ("/users/count", "get"),
    ("/users/{user_id}", "get"),
    ("/users/{user_id}", "patch"),
    ("/users/{user_id}", "delete"),
    ("/users/{user_id}/ban", "post"),
    ("/users/{user_id}/unban", "post"),
    ("/sessions", "get"),
    ("/sessions/{session_id}", "get"),
    ("/sessions/{session_id}/revoke", "post"),
    ("/jwks", "get"),
]

# Creates a client may retry with an Idempotency-Key (see api/idempotency.py).
IDEMPOTENT_OPERATIONS = [("/v1/sign_in_tokens", "post"), ("/v1/users", "post")]

_ERRORS = {"$ref": "#/components/responses/ClerkErrors"}
# Bad body, bad key, no such record, wrong method, body over 1 MiB, not JSON, bad parameter.
_COMMON_ERRORS = ("400", "401", "404", "405", "413", "415", "422")


def _json(schema: dict[str, Any], description: str = "Success") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _token_id() -> dict[str, Any]:
    return {
        "name": "sign_in_token_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }


_TOKEN = {"$ref": "#/components/schemas/SignInToken"}
_PAGE = {"type": "integer", "minimum": 1, "maximum": 500, "default": 10}

TESSERA_OPERATIONS: dict[str, dict[str, Any]] = {
    "/v1/sign_in_tokens": {
        "get": {
            "operationId": "ListSignInTokens",
            "summary": "List sign-in tokens, newest first (tokens themselves are never shown)",
            "tags": ["Sign-in Tokens"],
            "parameters": [
                {"name": "user_id", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["pending", "accepted", "revoked"]},
                },
                {"name": "limit", "in": "query", "schema": _PAGE},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["data", "total_count"],
                        "properties": {
                            "data": {"type": "array", "items": _TOKEN},
                            "total_count": {"type": "integer", "format": "int64"},
                        },
                    }
                )
            },
        }
    },
    "/v1/sign_in_tokens/{sign_in_token_id}": {
        "get": {
            "operationId": "GetSignInToken",
            "summary": "Retrieve a sign-in token (without its token or url)",
            "tags": ["Sign-in Tokens"],
            "parameters": [_token_id()],
            "responses": {"200": _json(_TOKEN)},
        }
    },
    "/v1/users/{user_id}/sign_in_tokens/revoke": {
        "post": {
            "operationId": "RevokeUserSignInTokens",
            "summary": "Revoke every pending sign-in token of a user",
            "tags": ["Sign-in Tokens"],
            "parameters": [
                {"name": "user_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["object", "user_id", "revoked_count"],
                        "properties": {
                            "object": {"type": "string", "enum": ["sign_in_token_revocation"]},
                            "user_id": {"type": "string"},
                            "revoked_count": {"type": "integer"},
                        },
                    }
                )
            },
        }
    },
    **REDEMPTION_OPERATIONS,
    "/healthz": {
        "get": {
            "operationId": "Health",
            "summary": "Liveness",
            "tags": ["Operations"],
            "security": [],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["status"],
                        "properties": {"status": {"type": "string", "enum": ["ok"]}},
                    }
                )
            },
        }
    },
    "/v1/openapi.json": {
        "get": {
            "operationId": "OpenAPI",
            "summary": "This document",
            "tags": ["Operations"],
            "security": [],
            "responses": {"200": _json({"type": "object"})},
        }
    },
}


def _idempotent(operation: dict[str, Any]) -> None:
    """Document the Idempotency-Key header and the 409 it can bring."""
    operation.setdefault("parameters", []).append(
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Up to 255 visible ASCII characters. The same key and request "
            "within 24 hours get the first response again (Idempotent-Replayed: true); the "
            "same key with another request, or while the first still runs, is a 409.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }
    )
    operation["responses"]["409"] = dict(_ERRORS)


def _paginated_sessions(operation: dict[str, Any]) -> None:
    """``GET /v1/sessions?paginated=true`` answers ``{"data": [...], "total_count": N}``."""
    session = {"$ref": "#/components/schemas/Session"}
    page = {
        "type": "object",
        "additionalProperties": False,
        "required": ["data", "total_count"],
        "properties": {
            "data": {"type": "array", "items": session},
            "total_count": {"type": "integer", "format": "int64"},
        },
    }
    listing = {"type": "array", "items": session}
    description = "The sessions; with paginated=true, one page of them and their total count"
    operation["responses"]["200"] = _json({"oneOf": [listing, page]}, description)


def _user_limits(operation: dict[str, Any]) -> None:
    """Say in the create-user schema what the server enforces (see tessera/users.py)."""
    fields = operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    fields["email_address"]["maxItems"] = users.MAX_EMAIL_ADDRESSES
    for name in ("public_metadata", "private_metadata"):
        fields[name]["description"] += (
            f". At most {users.MAX_METADATA_BYTES} bytes as compact JSON, nested at most "
            f"{json_values.MAX_DEPTH} levels, integers within 64 bits (signed)."
        )


def _with_common_errors(operation: dict[str, Any]) -> dict[str, Any]:
    responses = operation.setdefault("responses", {})
    if operation.get("security") != []:
        for status in _COMMON_ERRORS:
            responses.setdefault(status, dict(_ERRORS))
    responses.setdefault("500", dict(_ERRORS))
    responses.setdefault("503", dict(_ERRORS))  # the database stayed busy (with Retry-After)
    return operation


def _issuer_jwks(paths: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``{iss}/.well-known/jwks.json``: one instance's keys, without a secret key."""
    operation: dict[str, Any] = copy.deepcopy(paths["/v1/jwks"]["get"])
    operation.update(operationId="GetInstanceJWKS", security=[])
    operation["summary"] = "The JWKS of the instance whose tokens carry this issuer"
    operation["parameters"] = [
        {"name": "instance_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    return operation


@cache
def document_bytes() -> bytes:
    """The OpenAPI 3.0 document as served: built once per process."""
    clerk = json.loads((resources.files("tessera.api") / "clerk_openapi.json").read_text())
    paths: dict[str, dict[str, Any]] = {}
    for path, method in CLERK_OPERATIONS:
        operation = copy.deepcopy(clerk["paths"][path][method])
        paths.setdefault("/v1" + path, {})[method] = operation
    for path, operations in copy.deepcopy(TESSERA_OPERATIONS).items():
        paths.setdefault(path, {}).update(operations)
    for operations in paths.values():
        for operation in operations.values():
            _with_common_errors(operation)
    paths["/v1/jwks"]["get"]["security"] = []
    paths["/.well-known/jwks.json"] = {"get": {**paths["/v1/jwks"]["get"], "security": []}}
    paths["/.well-known/jwks.json"]["get"]["operationId"] = "GetWellKnownJWKS"
    paths["/instances/{instance_id}/.well-known/jwks.json"] = {"get": _issuer_jwks(paths)}
    create = paths["/v1/sign_in_tokens"]["post"]["requestBody"]["content"]["application/json"]
    create["schema"]["properties"]["redirect_url"] = REDIRECT_URL_PARAM
    _paginated_sessions(paths["/v1/sessions"]["get"])
    _user_limits(paths["/v1/users"]["post"])
    for path, method in IDEMPOTENT_OPERATIONS:
        _idempotent(paths[path][method])
    tighten(paths, clerk["components"])
    components = clerk["components"]
    components.setdefault("responses", {}).setdefault(
        "ClerkErrors", _json({"$ref": "#/components/schemas/ClerkErrors"}, "Request failed")
    )
    doc = {
        "openapi": "3.0.3",
        "info": {
            "title": "Tessera",
            "version": __version__,
            "description": "Self-hosted sign-in tokens, wire-compatible with Clerk's Backend API.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": components,
    }
    return json.dumps(doc).encode()


def document() -> dict[str, Any]:
    """The OpenAPI 3.0 document (a fresh copy)."""
    result: dict[str, Any] = json.loads(document_bytes())
    return result

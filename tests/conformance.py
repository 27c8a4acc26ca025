"""Checks every response a test sees against Tessera's own OpenAPI document."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import httpx
from openapi_schema_validator import OAS30Validator

from tessera.api.openapi import document


@cache
def _doc() -> dict[str, Any]:
    return document()


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    return [
        (re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), path)
        for path in _doc()["paths"]
    ]


def operation_for(method: str, path: str) -> dict[str, Any] | None:
    for pattern, template in _patterns():
        if pattern.match(path):
            found: dict[str, Any] | None = _doc()["paths"][template].get(method.lower())
            return found
    return None


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, _, kind, name = node["$ref"].split("/", 3)
        node = _doc()["components"][kind][name]
    return node


def check(response: httpx.Response) -> None:
    """Raise AssertionError if ``response`` is not what the document says it can be."""
    request = response.request
    operation = operation_for(request.method, request.url.path)
    status = str(response.status_code)
    if operation is None:  # unknown route or method: must be the documented error shape
        assert status in ("404", "405"), f"{request.method} {request.url.path} is not documented"
        operation = {"responses": {status: {"$ref": "#/components/responses/ClerkErrors"}}}
    responses = operation["responses"]
    assert status in responses, (
        f"{request.method} {request.url.path} answered undocumented {status}"
    )
    content = _resolve(responses[status]).get("content", {})
    if "application/json" not in content:
        return
    assert response.headers["content-type"] == "application/json"
    schema = {**content["application/json"]["schema"], "components": _doc()["components"]}
    OAS30Validator(schema).validate(response.json())


def hook(response: httpx.Response) -> None:
    response.read()
    check(response)

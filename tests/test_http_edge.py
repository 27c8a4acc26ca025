"""The HTTP edge: what a 405 says, and what the access log writes of a request."""

from __future__ import annotations

import re

import httpx
import pytest

from servers import Running
from tessera.api import openapi

DOCUMENT = openapi.document()
METHODS = ("get", "post", "patch", "delete", "put")


def declared(path: str) -> set[str]:
    """The methods the OpenAPI document gives ``path`` (HEAD wherever GET is)."""
    methods = {m.upper() for m in DOCUMENT["paths"][path] if m in METHODS}
    return methods | ({"HEAD"} if "GET" in methods else set())


UNDECLARED = [
    (path, method)
    for path in sorted(DOCUMENT["paths"])
    for method in ("PUT", "PATCH", "DELETE", "OPTIONS")
    if method not in declared(path)
]


@pytest.mark.parametrize(("path", "method"), UNDECLARED)
def test_a_405_allows_every_method_the_path_answers(
    server: Running, path: str, method: str
) -> None:
    """A method the path does not take answers 405 in Clerk's shape, Allow naming every method
    of the path, whichever route (or hot route) would have taken the others. A literal path
    is not a value of a parametrised one: PATCH /v1/users/count is not a user's update."""
    concrete = re.sub(r"\{\w+\}", "x_1", path)
    headers = {"Authorization": f"Bearer {server.secret_key}"}
    response = httpx.request(method, server.base_url + concrete, headers=headers)
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert allowed == declared(path)

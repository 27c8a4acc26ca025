"""Every malformed request gets Clerk's error shape with a precise code, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conftest import make_user
from servers import Running
from snapshot import snapshot

TOKENS = "/v1/sign_in_tokens"


def assert_clerk_error(
    response: httpx.Response, status: int, code: str, param: str | None = None
) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"errors"}
    (error,) = body["errors"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["long_message"], str) and error["long_message"]
    if param is not None:
        assert error["meta"] == {"param_name": param}
        assert param in error["long_message"]


@pytest.fixture
def user_id(api: httpx.Client) -> str:
    return str(make_user(api, email_address=["bad@example.com"])["id"])


RAW_BODIES = [
    (b"{", 400, "request_body_invalid"),
    (b'{"user_id": "x",}', 400, "request_body_invalid"),
    (b"[]", 400, "request_body_invalid"),
    (b'"user_id"', 400, "request_body_invalid"),
    (b"1", 400, "request_body_invalid"),
    (b"null", 400, "request_body_invalid"),
    (b"\xff\xfe", 400, "request_body_invalid"),
    (b"[" * 100_000, 400, "request_body_invalid"),
]


@pytest.mark.parametrize(("raw", "status", "code"), RAW_BODIES)
def test_a_body_that_is_not_a_json_object_is_400(
    server: Running, api: httpx.Client, raw: bytes, status: int, code: str
) -> None:
    """Bodies that are not JSON, or not an object, are request_body_invalid."""
    before = snapshot(server.database_url)
    response = api.post(TOKENS, content=raw, headers={"content-type": "application/json"})
    assert_clerk_error(response, status, code)
    assert snapshot(server.database_url) == before


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("user_id", None, "form_param_missing"),
        ("user_id", 1, "form_param_value_invalid"),
        ("user_id", True, "form_param_value_invalid"),
        ("user_id", ["user_x"], "form_param_value_invalid"),
        ("user_id", "", "form_param_value_invalid"),
        ("expires_in_seconds", "60", "form_param_value_invalid"),
        ("expires_in_seconds", True, "form_param_value_invalid"),
        ("expires_in_seconds", 1.5, "form_param_value_invalid"),
        ("expires_in_seconds", 60.0, "form_param_value_invalid"),
        ("expires_in_seconds", 0, "form_param_value_invalid"),
        ("expires_in_seconds", -1, "form_param_value_invalid"),
        ("expires_in_seconds", 2**63, "form_param_value_invalid"),
        ("expires_in_seconds", 2**64 + 1, "form_param_value_invalid"),
        ("expires_in_seconds", 10**30, "form_param_value_invalid"),
        ("expires_in_seconds", {"s": 1}, "form_param_value_invalid"),
        ("org_id", "org_123", "form_param_value_invalid"),
    ],
)
def test_a_parameter_of_the_wrong_type_or_range_is_422_naming_it(
    server: Running, api: httpx.Client, user_id: str, field: str, value: Any, code: str
) -> None:
    """Wrong types and out-of-range values are 422 with the parameter's name in meta."""
    body: dict[str, Any] = {"user_id": user_id, field: value}
    before = snapshot(server.database_url)
    assert_clerk_error(api.post(TOKENS, json=body), 422, code, field)
    assert snapshot(server.database_url) == before


def test_1e309_is_an_invalid_integer_not_a_parse_error(
    server: Running, api: httpx.Client, user_id: str
) -> None:
    """A number beyond a double is valid JSON, so it is a 422 for the parameter."""
    raw = f'{{"user_id": "{user_id}", "expires_in_seconds": 1e309}}'.encode()
    response = api.post(TOKENS, content=raw, headers={"content-type": "application/json"})
    assert_clerk_error(response, 422, "form_param_value_invalid", "expires_in_seconds")


def test_an_empty_body_is_a_missing_user_id(api: httpx.Client) -> None:
    """A create with no body at all (as @clerk/backend sends `{}`) is form_param_missing."""
    assert_clerk_error(api.post(TOKENS), 422, "form_param_missing", "user_id")


def test_a_body_that_is_not_json_by_content_type_is_415(api: httpx.Client, user_id: str) -> None:
    """Form-encoded or text bodies are refused with unsupported_content_type."""
    response = api.post(TOKENS, data={"user_id": user_id})
    assert_clerk_error(response, 415, "unsupported_content_type")
    response = api.post(TOKENS, content=b"{}", headers={"content-type": "text/plain"})
    assert_clerk_error(response, 415, "unsupported_content_type")


def test_json_with_a_charset_is_accepted(api: httpx.Client, user_id: str) -> None:
    """application/json; charset=utf-8 is JSON."""
    response = api.post(
        TOKENS,
        content=f'{{"user_id": "{user_id}"}}'.encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


def test_a_body_over_one_mebibyte_is_413(server: Running, api: httpx.Client, user_id: str) -> None:
    """Oversized bodies are refused before they are parsed, declared or streamed."""
    big = b'{"user_id": "' + b"x" * (1024 * 1024) + b'"}'
    before = snapshot(server.database_url)
    response = api.post(TOKENS, content=big, headers={"content-type": "application/json"})
    assert_clerk_error(response, 413, "request_body_too_large")

    def chunks() -> Any:
        yield big  # no Content-Length: sent chunked

    response = api.post(TOKENS, content=chunks(), headers={"content-type": "application/json"})
    assert_clerk_error(response, 413, "request_body_too_large")
    assert snapshot(server.database_url) == before


@pytest.mark.parametrize(
    "token_id",
    [
        "..%2F..%2Fetc%2Fpasswd",
        "sit_' OR '1'='1",
        "sit_1%3B DROP TABLE sign_in_tokens",
        "sit_ÅÄÖ" + "a" * 24,
        "sit_%00",
        "sit_" + "a" * 5000,
    ],
)
def test_odd_ids_are_plain_404s(server: Running, api: httpx.Client, token_id: str) -> None:
    """Traversal, SQL metacharacters, unicode and huge ids find nothing and change nothing."""
    before = snapshot(server.database_url)
    assert_clerk_error(api.post(f"{TOKENS}/{token_id}/revoke"), 404, "resource_not_found")
    assert_clerk_error(api.get(f"{TOKENS}/{token_id}"), 404, "resource_not_found")
    assert snapshot(server.database_url) == before


def test_unknown_routes_are_404_and_wrong_methods_405(api: httpx.Client) -> None:
    """Routing errors come in Clerk's shape too."""
    assert_clerk_error(api.get("/v1/nothing_here"), 404, "resource_not_found")
    assert_clerk_error(api.delete(TOKENS), 405, "method_not_allowed")
    assert_clerk_error(api.put("/v1/users"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "authorization_header_format_invalid"),
        ("Basic dXNlcjpwYXNz", "authorization_header_format_invalid"),
        ("Bearer", "authorization_header_format_invalid"),
        ("Bearer sk_test_short", "clerk_key_invalid"),
        ("Bearer sk_live_" + "A" * 49, "clerk_key_invalid"),
        ("Bearer pk_test_abc", "clerk_key_invalid"),
    ],
)
def test_missing_malformed_or_wrong_keys_are_401(
    server: Running, header: str | None, code: str
) -> None:
    """Authorization problems are 401 with the contract's codes, and never echo the key."""
    headers = {"authorization": header} if header else {}
    response = httpx.post(f"{server.base_url}{TOKENS}", json={"user_id": "x"}, headers=headers)
    assert_clerk_error(response, 401, code)
    if header and " " in header:
        assert header.split()[-1] not in response.text


def test_a_well_formed_but_unknown_key_is_401(server: Running) -> None:
    """A key with a valid checksum that was never registered is clerk_key_invalid."""
    from tessera.keys import new_secret_key

    with server.client(new_secret_key()) as other:
        assert_clerk_error(other.get(TOKENS), 401, "clerk_key_invalid")


@pytest.mark.parametrize(
    ("path", "body", "code", "param"),
    [
        (
            "/v1/users",
            {"email_address": ["not-an-email"]},
            "form_param_format_invalid",
            "email_address",
        ),
        ("/v1/users", {"email_address": 5}, "form_param_value_invalid", "email_address"),
        ("/v1/users", {"public_metadata": [1]}, "form_param_value_invalid", "public_metadata"),
        ("/v1/users", {"first_name": 7}, "form_param_value_invalid", "first_name"),
    ],
)
def test_bad_user_fields_are_422(
    server: Running, api: httpx.Client, path: str, body: dict[str, Any], code: str, param: str
) -> None:
    """User parameters are checked like token parameters."""
    before = snapshot(server.database_url)
    assert_clerk_error(api.post(path, json=body), 422, code, param)
    assert snapshot(server.database_url) == before


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=abc", "offset=-1", "limit=\u0661"]
)
def test_bad_paging_is_422(api: httpx.Client, query: str) -> None:
    """limit and offset must be whole numbers in range."""
    param = query.split("=")[0]
    assert_clerk_error(api.get(f"/v1/users?{query}"), 422, "form_param_value_invalid", param)
    assert_clerk_error(api.get(f"{TOKENS}?{query}"), 422, "form_param_value_invalid", param)

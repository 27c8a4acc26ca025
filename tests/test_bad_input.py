"""Every malformed request gets Clerk's error shape with a precise code, and changes nothing."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from cli_helpers import Cli
from conftest import make_user
from redeeming import new_token, ticket_in
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


# Valid JSON that Python can decode but not store: a lone surrogate (escaped, since it cannot
# be UTF-8), nesting far past any metadata, integers beyond 64 bits and numbers beyond a double.
SURROGATE = '"\\ud800"'
DEEP = "[" * 300 + "]" * 300
BAD_VALUES = [
    (
        "POST",
        "/v1/users",
        f'{{"first_name": {SURROGATE}}}',
        "form_param_format_invalid",
        "first_name",
    ),
    (
        "POST",
        "/v1/users",
        f'{{"email_address": [{SURROGATE}]}}',
        "form_param_format_invalid",
        "email_address",
    ),
    (
        "POST",
        "/v1/users",
        f'{{"public_metadata": {{{SURROGATE}: 1}}}}',
        "form_param_format_invalid",
        "public_metadata",
    ),
    (
        "POST",
        "/v1/users",
        f'{{"private_metadata": {{"a": [{SURROGATE}]}}}}',
        "form_param_format_invalid",
        "private_metadata",
    ),
    (
        "POST",
        "/v1/users",
        f'{{"public_metadata": {{"a": {DEEP}}}}}',
        "form_param_value_invalid",
        "public_metadata",
    ),
    (
        "POST",
        "/v1/users",
        f'{{"public_metadata": {{"a": {2**64}}}}}',
        "form_param_value_invalid",
        "public_metadata",
    ),
    (
        "POST",
        "/v1/users",
        f'{{"public_metadata": {{"a": {-(2**63) - 1}}}}}',
        "form_param_value_invalid",
        "public_metadata",
    ),
    (
        "POST",
        "/v1/users",
        '{"public_metadata": {"a": 1e309}}',
        "form_param_value_invalid",
        "public_metadata",
    ),
    (
        "POST",
        "/v1/users",
        '{"private_metadata": {"a": -1e309}}',
        "form_param_value_invalid",
        "private_metadata",
    ),
    (
        "POST",
        "/v1/users",
        f'{{"public_metadata": {{"a": {10**30}, "b": 1e309}}}}',
        "form_param_value_invalid",
        "public_metadata",
    ),
    (
        "PATCH",
        "/v1/users/{user}",
        f'{{"last_name": {SURROGATE}}}',
        "form_param_format_invalid",
        "last_name",
    ),
    (
        "PATCH",
        "/v1/users/{user}",
        f'{{"public_metadata": {{"a": {DEEP}}}}}',
        "form_param_value_invalid",
        "public_metadata",
    ),
    (
        "PATCH",
        "/v1/users/{user}",
        f'{{"private_metadata": {{"n": {2**70}}}}}',
        "form_param_value_invalid",
        "private_metadata",
    ),
    (
        "PATCH",
        "/v1/users/{user}",
        '{"public_metadata": {"n": 1e309}}',
        "form_param_value_invalid",
        "public_metadata",
    ),
    ("POST", TOKENS, f'{{"user_id": {SURROGATE}}}', "form_param_format_invalid", "user_id"),
    (
        "POST",
        TOKENS,
        f'{{"user_id": "{{user}}", "redirect_url": {SURROGATE}}}',
        "form_param_format_invalid",
        "redirect_url",
    ),
    (
        "PATCH",
        "/v1/instance",
        f'{{"after_sign_in_url": {SURROGATE}}}',
        "form_param_format_invalid",
        "after_sign_in_url",
    ),
    (
        "PATCH",
        "/v1/instance",
        f'{{"sign_in_url": {SURROGATE}}}',
        "form_param_format_invalid",
        "sign_in_url",
    ),
    (
        "PATCH",
        "/v1/instance",
        f'{{"allowed_redirect_urls": [{SURROGATE}]}}',
        "form_param_format_invalid",
        "allowed_redirect_urls",
    ),
    (
        "POST",
        "/v1/client/sign_ins",
        f'{{"strategy": "ticket", "ticket": {SURROGATE}}}',
        "form_param_format_invalid",
        "ticket",
    ),
    (
        "POST",
        "/v1/tickets/accept",
        f'{{"ticket": {SURROGATE}}}',
        "form_param_format_invalid",
        "ticket",
    ),
    (
        "POST",
        "/v1/users/{user}/ban",
        f'{{"note": {SURROGATE}}}',
        "form_param_format_invalid",
        "note",
    ),
]


@pytest.mark.parametrize(("method", "path", "raw", "code", "param"), BAD_VALUES)
def test_json_that_cannot_be_stored_is_422_naming_the_parameter(
    server: Running,
    api: httpx.Client,
    user_id: str,
    method: str,
    path: str,
    raw: str,
    code: str,
    param: str,
) -> None:
    """Lone surrogates, deep nesting, huge integers and 1e309 are refused, never a 500."""
    path, raw = path.replace("{user}", user_id), raw.replace("{user}", user_id)
    before = snapshot(server.database_url)
    headers = {"content-type": "application/json"}
    response = api.request(method, path, content=raw.encode(), headers=headers)
    assert_clerk_error(response, 422, code, param)
    assert snapshot(server.database_url) == before


def test_a_lone_surrogate_in_a_parameter_name_is_422(server: Running, api: httpx.Client) -> None:
    """A key that cannot be echoed as UTF-8 is named with the surrogate escaped."""
    before = snapshot(server.database_url)
    raw = f"{{{SURROGATE}: 1}}".encode()
    response = api.post("/v1/users", content=raw, headers={"content-type": "application/json"})
    assert_clerk_error(response, 422, "form_param_format_invalid", "\\ud800")
    assert snapshot(server.database_url) == before


@pytest.mark.parametrize(
    "request_line",
    [
        "GET /v1/users?email_address=%ED%A0%80",
        "GET /v1/users?external_id=%ED%A0%80",
        "GET /v1/sign_in_tokens?user_id=%ED%A0%80",
        "GET /v1/sessions?user_id=%ED%A0%80",
        "GET /v1/users/user_%ED%A0%80",
        "GET /v1/tickets/accept?ticket=%ED%A0%80",
    ],
)
def test_an_encoded_surrogate_in_a_url_is_never_a_500(
    server: Running, api: httpx.Client, request_line: str
) -> None:
    """Percent-encoded bytes that are not UTF-8 are read as replacement characters."""
    before = snapshot(server.database_url)
    method, target = request_line.split(" ")
    response = api.request(method, target)
    assert response.status_code < 500, response.text
    assert snapshot(server.database_url) == before


def test_an_encoded_surrogate_in_a_form_body_is_never_a_500(
    server: Running, api: httpx.Client
) -> None:
    """A form-encoded ticket of bytes that are not UTF-8 is just an invalid ticket."""
    before = snapshot(server.database_url)
    form = {"content-type": "application/x-www-form-urlencoded"}
    response = api.post(
        "/v1/client/sign_ins", content=b"strategy=ticket&ticket=%ED%A0%80", headers=form
    )
    assert_clerk_error(response, 400, "ticket_invalid_code")
    after = snapshot(server.database_url)
    after.pop("rate_limits"), before.pop("rate_limits")  # a failed redemption is counted
    assert after == before


def _emails(count: int) -> list[str]:
    return [f"many{n}@example.com" for n in range(count)]


def _nested(levels: int) -> str:
    """A metadata object ``levels`` deep, itself included."""
    return '{"a": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


@pytest.mark.parametrize(
    ("field", "ok", "too_large"),
    [
        ("email_address", _emails(100), _emails(101)),
        ("public_metadata", {"a": "x" * 8184}, {"a": "x" * 8185}),
        ("private_metadata", {"a": "é" * 4092}, {"a": "é" * 4093}),
    ],
)
def test_limits_hold_at_their_edge_and_past_it_are_422(
    server: Running, api: httpx.Client, field: str, ok: Any, too_large: Any
) -> None:
    """At most 100 email addresses; a metadata object is at most 8192 bytes as compact JSON."""
    before = snapshot(server.database_url)
    response = api.post("/v1/users", json={field: too_large})
    assert_clerk_error(response, 422, "form_param_exceeds_allowed_size", field)
    assert snapshot(server.database_url) == before
    assert api.post("/v1/users", json={field: ok}).status_code == 200


def test_metadata_over_the_limit_is_refused_on_update_too(
    server: Running, api: httpx.Client, user_id: str
) -> None:
    """PATCH checks each metadata object like create."""
    before = snapshot(server.database_url)
    response = api.patch(f"/v1/users/{user_id}", json={"public_metadata": {"a": "x" * 9000}})
    assert_clerk_error(response, 422, "form_param_exceeds_allowed_size", "public_metadata")
    assert snapshot(server.database_url) == before


def test_metadata_may_nest_32_levels_not_33(server: Running, api: httpx.Client) -> None:
    """The depth limit counts the metadata object itself as the first level."""
    headers = {"content-type": "application/json"}
    before = snapshot(server.database_url)
    deep = f'{{"public_metadata": {_nested(33)}}}'.encode()
    response = api.post("/v1/users", content=deep, headers=headers)
    assert_clerk_error(response, 422, "form_param_value_invalid", "public_metadata")
    assert snapshot(server.database_url) == before
    fits = f'{{"public_metadata": {_nested(32)}}}'.encode()
    assert api.post("/v1/users", content=fits, headers=headers).status_code == 200


def test_duplicate_addresses_are_dropped_keeping_the_first_order(api: httpx.Client) -> None:
    """Addresses are normalized and deduplicated; the first occurrence keeps its place."""
    sent = ["B@example.com", "a@example.com", "b@example.com", " A@EXAMPLE.COM"]
    user = make_user(api, email_address=sent)
    stored = [e["email_address"] for e in user["email_addresses"]]
    assert stored == ["b@example.com", "a@example.com"]


def test_big_integers_within_64_bits_are_kept_exactly(api: httpx.Client) -> None:
    """Integers at the edges of the signed 64-bit range, and large floats, round-trip."""
    metadata = {"max": 2**63 - 1, "min": -(2**63), "float": 1e300, "negative": -1.5e19}
    user = make_user(api, public_metadata=metadata)
    assert user["public_metadata"] == metadata
    assert api.get(f"/v1/users/{user['id']}").json()["public_metadata"] == metadata


def test_the_document_states_the_limits(api: httpx.Client) -> None:
    """/v1/openapi.json says what the server enforces on a new user."""
    operation = api.get("/v1/openapi.json").json()["paths"]["/v1/users"]["post"]
    fields = operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert fields["email_address"]["maxItems"] == 100
    for name in ("public_metadata", "private_metadata"):
        assert "At most 8192 bytes" in fields[name]["description"]
        assert "nested at most 32 levels" in fields[name]["description"]


@pytest.mark.parametrize("agent", [b"a\x00b", b"\xff\xfe\xed\xa0\x80", b"a\x1bb"])
def test_odd_bytes_in_a_stored_header_are_never_a_500(
    server: Running, api: httpx.Client, agent: bytes
) -> None:
    """The User-Agent kept with a session may hold any byte a client sends."""
    ticket = ticket_in(new_token(api)["url"])
    body = f'{{"strategy": "ticket", "ticket": "{ticket}"}}'.encode()
    host, port = server.base_url.removeprefix("http://").split(":")
    request = (
        b"POST /v1/client/sign_ins HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        b"Content-Type: application/json\r\nUser-Agent: " + agent + b"\r\n"
        b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(request)
        answer = b"".join(iter(lambda: connection.recv(65536), b""))
    status = int(answer.split(b" ", 2)[1])
    assert status in (200, 400), answer


@pytest.mark.parametrize(
    "metadata",
    [
        '{"a": ' + "[" * 40 + "]" * 40 + "}",
        '{"a": 1e309}',
        f'{{"a": {2**64}}}',
        '{"a": "\\ud800"}',
        '{"a": "' + "x" * 9000 + '"}',
    ],
    ids=["33 levels", "1e309", "2**64", "surrogate", "9 KB"],
)
def test_the_cli_keeps_the_same_limits(server: Running, cli: Cli, metadata: str) -> None:
    """`tessera users create`, direct or through the API, refuses what the API refuses."""
    before = snapshot(server.database_url)
    result = cli("users", "create", "--email", "cli@example.com", "--public-metadata", metadata)
    assert result.code != 0
    assert "public_metadata" in result.err
    assert snapshot(server.database_url) == before

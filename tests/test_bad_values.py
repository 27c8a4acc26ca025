"""Valid JSON that cannot be stored, and the limits on a user's fields: each a 422 in Clerk's
shape naming the parameter, on every route that takes a body, with nothing stored."""

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
from test_bad_input import TOKENS, assert_clerk_error

# A lone surrogate (escaped: it cannot be UTF-8), nesting far past any metadata, integers
# beyond 64 bits and numbers beyond a double: Python decodes each, no store keeps it.
SURROGATE = '"\\ud800"'
DEEP = "[" * 300 + "]" * 300
FORMAT, VALUE = "form_param_format_invalid", "form_param_value_invalid"
CREATE, UPDATE = "POST /v1/users", "PATCH /v1/users/{user}"
INSTANCE, SIGN_IN = "PATCH /v1/instance", "POST /v1/client/sign_ins"
BAD_VALUES = [
    (CREATE, "first_name", SURROGATE, FORMAT),
    (CREATE, "email_address", '["a\\ud800@example.com"]', FORMAT),
    (CREATE, "public_metadata", f"{{{SURROGATE}: 1}}", FORMAT),
    (CREATE, "private_metadata", f'{{"a": [{SURROGATE}]}}', FORMAT),
    (CREATE, "unsafe_metadata", f'{{"a": {SURROGATE}}}', FORMAT),
    (CREATE, "public_metadata", f'{{"a": {DEEP}}}', VALUE),
    (CREATE, "public_metadata", f'{{"a": {2**64}}}', VALUE),
    (CREATE, "public_metadata", f'{{"a": {-(2**63) - 1}}}', VALUE),
    (CREATE, "public_metadata", '{"a": 1e309}', VALUE),
    (CREATE, "private_metadata", '{"a": -1e309}', VALUE),
    (CREATE, "public_metadata", f'{{"a": {10**30}, "b": 1e309}}', VALUE),
    (UPDATE, "last_name", SURROGATE, FORMAT),
    (UPDATE, "public_metadata", f'{{"a": {DEEP}}}', VALUE),
    (UPDATE, "private_metadata", f'{{"n": {2**70}}}', VALUE),
    (UPDATE, "public_metadata", '{"n": 1e309}', VALUE),
    (f"POST {TOKENS}", "user_id", SURROGATE, FORMAT),
    (f"POST {TOKENS}", "redirect_url", SURROGATE, FORMAT),
    (INSTANCE, "after_sign_in_url", SURROGATE, FORMAT),
    (INSTANCE, "sign_in_url", SURROGATE, FORMAT),
    (INSTANCE, "allowed_redirect_urls", f"[{SURROGATE}]", FORMAT),
    (SIGN_IN, "ticket", SURROGATE, FORMAT),
    ("POST /v1/tickets/accept", "ticket", SURROGATE, FORMAT),
    ("POST /v1/users/{user}/ban", "note", SURROGATE, FORMAT),
]


@pytest.fixture
def user_id(api: httpx.Client) -> str:
    return str(make_user(api, email_address=["values@example.com"])["id"])


@pytest.mark.parametrize(("route", "param", "value", "code"), BAD_VALUES)
def test_json_that_cannot_be_stored_is_422_naming_the_parameter(
    server: Running, api: httpx.Client, user_id: str, route: str, param: str, value: str, code: str
) -> None:
    """Lone surrogates, deep nesting, huge integers and 1e309 are refused, never a 500."""
    method, path = route.replace("{user}", user_id).split(" ")
    others = {"ticket": '"strategy": "ticket", ', "redirect_url": f'"user_id": "{user_id}", '}
    raw = "{" + others.get(param, "") + f'"{param}": {value}' + "}"
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

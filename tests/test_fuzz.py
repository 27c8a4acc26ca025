"""Arbitrary JSON and arbitrary bytes never get a 500: always Clerk's error shape or a success."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servers import Running
from snapshot import snapshot

# Text as a client may send it: any code point, lone surrogates (valid JSON, escaped, but not
# UTF-8) included.
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
TEXT = st.text(max_size=40) | st.tuples(st.text(max_size=8), SURROGATES).map("".join)


def _nest(depth: int) -> Any:
    value: Any = []
    for level in range(depth - 1):
        value = {"k": value} if level % 2 else [value]
    return value


DEEP = st.integers(1, 300).map(_nest)  # arrays and objects, up to 300 deep
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)  # infinities are written 1e309: see as_json
    | TEXT
    | DEEP,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "user_id",
        "expires_in_seconds",
        "org_id",
        "redirect_url",
        "email_address",
        "external_id",
        "first_name",
        "last_name",
        "username",
        "public_metadata",
        "private_metadata",
        "sign_in_url",
        "after_sign_in_url",
        "allowed_redirect_urls",
        "strategy",
        "ticket",
    ]
)
# A parameter's value is most often text or a list of text, the shapes routes read.
VALUES = TEXT | st.lists(TEXT, max_size=3) | JSON
BODIES = st.dictionaries(FIELDS | TEXT, VALUES, max_size=5) | JSON
ROUTES = [
    ("POST", "/v1/sign_in_tokens"),
    ("POST", "/v1/users"),
    ("PATCH", "/v1/users/user_0000000000000000000000000000"),
    ("PATCH", "/v1/instance"),
    ("POST", "/v1/client/sign_ins"),
    ("POST", "/v1/tickets/accept"),
]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def as_json(value: Any) -> bytes:
    """``value`` as JSON text, with lone surrogates escaped and an infinity as ``1e309`` (valid
    JSON that no double holds), so that what Python can decode is exactly what is sent."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=True)
    return text.replace("-Infinity", "-1e309").replace("Infinity", "1e309").encode()


def assert_answer(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if (
        response.status_code >= 400
        and response.headers["content-type"] != "text/html; charset=utf-8"
    ):
        errors = response.json()["errors"]
        assert all({"message", "long_message", "code"} <= set(e) for e in errors)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), ROUTES)
@FUZZ
@given(body=BODIES)
def test_any_json_body_gets_an_answer_not_a_500(
    api: httpx.Client, method: str, path: str, body: Any
) -> None:
    """Every JSON value, in every field, is answered in Clerk's shape; never a server error."""
    headers = {"content-type": "application/json"}
    assert_answer(api.request(method, path, content=as_json(body), headers=headers))


@pytest.mark.slow
@FUZZ
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
    ),
)
def test_any_bytes_get_an_answer_and_change_nothing(
    server: Running, api: httpx.Client, raw: bytes, content_type: str
) -> None:
    """Random bytes under any content type never reach a 500 and never store anything."""
    before = snapshot(server.database_url)
    headers = {"content-type": content_type} if content_type else {}
    assert_answer(api.post("/v1/sign_in_tokens", content=raw, headers=headers))
    assert snapshot(server.database_url) == before

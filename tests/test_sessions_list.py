"""GET /v1/sessions: its filters, and Clerk's paginated shape ({"data", "total_count"})."""

from __future__ import annotations

import httpx
import pytest

from conftest import make_user
from redeeming import error_code, new_token, sign_in
from servers import ManualClock, Running


def start_session(server: Running, api: httpx.Client, user_id: str) -> dict[str, str]:
    response = sign_in(server.base_url, new_token(api, user_id)["token"])
    assert response.status_code == 200, response.text
    session_id = response.json()["response"]["created_session_id"]
    session: dict[str, str] = api.get(f"/v1/sessions/{session_id}").json()
    return session


@pytest.fixture
def started(server: Running, api: httpx.Client, clock: ManualClock) -> list[dict[str, str]]:
    """Four sessions, newest last: three of one user, one of another; the second revoked."""
    ann, bob = make_user(api)["id"], make_user(api)["id"]
    made = []
    for user_id in (ann, ann, bob, ann):
        clock.advance(1)
        made.append(start_session(server, api, user_id))
    assert api.post(f"/v1/sessions/{made[1]['id']}/revoke").status_code == 200
    return made


def test_paginated_answers_a_page_and_the_total_count(
    api: httpx.Client, started: list[dict[str, str]]
) -> None:
    """paginated=true: {"data": the page, "total_count": every match}; false or absent: the
    plain array."""
    ids = [s["id"] for s in started][::-1]
    page = api.get("/v1/sessions", params={"paginated": "true", "limit": "2", "offset": "1"})
    assert page.status_code == 200
    assert [s["id"] for s in page.json()["data"]] == ids[1:3]
    assert page.json()["total_count"] == 4
    plain = api.get("/v1/sessions", params={"paginated": "false", "limit": "2"}).json()
    assert [s["id"] for s in plain] == ids[:2]


def test_paginated_counts_with_every_filter(
    api: httpx.Client, started: list[dict[str, str]]
) -> None:
    ann = started[0]["user_id"]

    def total(**params: str) -> int:
        body = api.get("/v1/sessions", params={**params, "paginated": "true"}).json()
        assert len(body["data"]) == min(body["total_count"], 10)
        count: int = body["total_count"]
        return count

    assert total(user_id=ann) == 3
    assert total(user_id=ann, status="active") == 2
    assert total(status="revoked") == 1
    assert total(client_id=started[2]["client_id"]) == 1
    assert total(status="abandoned") == 0
    assert total(user_id="user_nobody") == 0


@pytest.mark.parametrize(
    ("params", "param_name"),
    [
        ({"paginated": "maybe"}, "paginated"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"offset": "x"}, "offset"),
        ({"status": "sleepy"}, "status"),
        ({"user_id": "user_\x00"}, "user_id"),
        ({"client_id": "\x00"}, "client_id"),
    ],
)
def test_a_bad_value_is_422_naming_its_parameter(
    api: httpx.Client, params: dict[str, str], param_name: str
) -> None:
    response = api.get("/v1/sessions", params=params)
    assert (response.status_code, error_code(response)) == (422, "form_param_value_invalid")
    assert response.json()["errors"][0]["meta"] == {"param_name": param_name}

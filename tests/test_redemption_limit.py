"""The redemption rate limit throttles failures only: a genuine ticket always goes through,
and a refusal by the limit writes nothing."""

from __future__ import annotations

import httpx

from redeeming import error_code, new_token, press_continue, running, sign_in
from servers import ManualClock, Running
from snapshot import snapshot

FORGED = "tsit_" + "A" * 43 + "AAAAAA"  # well-shaped, wrong checksum


def forged(n: int) -> str:
    """A well-formed ticket for no token: a real ticket's shape, a checksum that fails."""
    return f"tsit_{n:043d}AAAAAA"


def test_thirty_five_forged_tickets_do_not_lock_out_a_genuine_one(
    server: Running, api: httpx.Client
) -> None:
    """Past the default limit of 30 failures, genuine tickets still redeem on both routes."""
    for n in range(35):
        assert sign_in(server.base_url, forged(n)).status_code in (400, 429)
    assert error_code(sign_in(server.base_url, FORGED)) == "too_many_requests"
    token = new_token(api)
    response = sign_in(server.base_url, token["token"])
    assert response.status_code == 200, response.text
    page_token = new_token(api)
    done = press_continue(server.base_url, page_token["token"])
    assert done.status_code == 200, done.text
    assert "You are signed in" in done.text
    assert api.get(f"/v1/sign_in_tokens/{page_token['id']}").json()["status"] == "accepted"


def test_an_over_limit_failure_answers_429_and_writes_nothing(
    database_url: str, secret_key: str, clock: ManualClock
) -> None:
    """Once the budget is spent, a forged or used ticket answers 429 and no row changes."""
    with (
        running(
            database_url, secret_key, clock, redeem_rate_limit=3, redeem_rate_window=60
        ) as server,
        server.client() as api,
    ):
        used = new_token(api)
        assert sign_in(server.base_url, used["token"]).status_code == 200
        for n in range(3):
            assert sign_in(server.base_url, forged(n)).status_code == 400
        before = snapshot(database_url)
        for ticket in (FORGED, used["token"]):
            limited = sign_in(server.base_url, ticket)
            assert limited.status_code == 429
            assert error_code(limited) == "too_many_requests"
            assert 1 <= int(limited.headers["retry-after"]) <= 60
            html = press_continue(server.base_url, ticket)
            assert html.status_code == 429 and "retry-after" in html.headers
        assert snapshot(database_url) == before

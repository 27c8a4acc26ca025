"""GET /v1/users and /v1/users/count: what is refused (422 naming the parameter, before any
query runs), and the migration that gave users last_active_at."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from redeeming import error_code
from tessera import keys, users
from tessera.clock import from_ms, to_ms
from tessera.store import database as database_module
from tessera.store import open_store
from tessera.store.database import migrations
from tessera.user_query import TimeRange, UserQuery


@pytest.mark.parametrize(
    ("params", "param_name"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"order_by": "bogus"}, "order_by"),
        ({"order_by": "--created_at"}, "order_by"),
        ({"order_by": ""}, "order_by"),
        ({"banned": "maybe"}, "banned"),
        ({"created_at_after": "yesterday"}, "created_at_after"),
        ({"created_at_before": "1.5"}, "created_at_before"),
        ({"last_active_at_since": "99999999999999999999"}, "last_active_at_since"),
        ({"last_active_at_after": "-9999999999999999999"}, "last_active_at_after"),
        ({"last_sign_in_at_after": "0x10"}, "last_sign_in_at_after"),
        ({"starting_after": "nobody"}, "starting_after"),
        ({"starting_after": "user_" + "0" * 27, "order_by": "username"}, "starting_after"),
        ({"starting_after": "user_" + "0" * 27, "offset": "1"}, "starting_after"),
        ({"query": "a\x00b"}, "query"),
        ({"username": "a\x00b"}, "username"),
    ],
)
def test_a_bad_value_is_422_naming_its_parameter(
    api: httpx.Client, params: dict[str, str], param_name: str
) -> None:
    response = api.get("/v1/users", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "form_param_value_invalid"
    assert response.json()["errors"][0]["meta"] == {"param_name": param_name}
    if param_name not in ("limit", "offset", "order_by", "starting_after"):
        count = api.get("/v1/users/count", params=params)
        assert (count.status_code, error_code(count)) == (422, "form_param_value_invalid")


def test_more_than_a_hundred_values_of_one_parameter_is_422(api: httpx.Client) -> None:
    params = [("username", f"u{n}") for n in range(101)]
    response = api.get("/v1/users", params=params)
    assert (response.status_code, error_code(response)) == (422, "form_param_value_invalid")
    assert api.get("/v1/users", params=params[:100]).json() == []


async def test_migrating_sets_last_active_at_to_the_last_sign_in(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before users had last_active_at a redemption set only last_sign_in_at: the migration
    carries it over, so activity filters see users who signed in before the upgrade."""
    with monkeypatch.context() as before:
        before.setattr(database_module, "migrations", lambda: [m for m in migrations() if m[0] < 6])
        store = await open_store(empty_database_url)
    now = datetime.now(UTC)
    try:
        instance = await keys.create_instance(store, "old", now=now)
        signed = await users.create(store, instance.id, now=now)
        idle = await users.create(store, instance.id, now=now)
        await store.db.execute(
            "UPDATE users SET last_sign_in_at = ? WHERE id = ?", to_ms(now), signed.id
        )
    finally:
        await store.close()
    store = await open_store(empty_database_url)
    try:
        assert (await users.get(store, instance.id, signed.id)).last_active_at == from_ms(
            to_ms(now)
        )
        assert (await users.get(store, instance.id, idle.id)).last_active_at is None
        active = UserQuery(last_active_at=TimeRange(since=to_ms(now)))
        assert await users.count_users(store, instance.id, active) == 1
    finally:
        await store.close()

"""Instances are isolated: one instance's key never sees or changes another's records."""

from __future__ import annotations

import httpx

from conftest import in_store, make_user
from servers import ManualClock, Running
from tessera import keys


def second_instance_key(server: Running, clock: ManualClock) -> str:
    async def create(store: keys.Store) -> str:
        instance = await keys.create_instance(store, "second", now=clock())
        _, secret = await keys.create_key(store, instance.id, now=clock())
        return secret

    return in_store(server.database_url, create)


def test_each_key_sees_only_its_own_instance(
    server: Running, api: httpx.Client, clock: ManualClock
) -> None:
    """Users and tokens of instance A are 404 (and absent from lists) for instance B's key."""
    user = make_user(api, email_address=["shared@example.com"], external_id="e1")
    token = api.post("/v1/sign_in_tokens", json={"user_id": user["id"]}).json()
    with server.client(second_instance_key(server, clock)) as other:
        assert other.get(f"/v1/users/{user['id']}").status_code == 404
        assert other.get("/v1/users").json() == []
        assert other.get("/v1/sign_in_tokens").json() == {"data": [], "total_count": 0}
        assert other.get(f"/v1/sign_in_tokens/{token['id']}").status_code == 404
        assert other.post(f"/v1/sign_in_tokens/{token['id']}/revoke").status_code == 404
        assert other.post("/v1/sign_in_tokens", json={"user_id": user["id"]}).status_code == 404
        assert other.patch(f"/v1/users/{user['id']}", json={"first_name": "x"}).status_code == 404
        assert other.post(f"/v1/users/{user['id']}/ban").status_code == 404
        assert other.delete(f"/v1/users/{user['id']}").status_code == 404
        assert other.post(f"/v1/users/{user['id']}/sign_in_tokens/revoke").status_code == 404
        # The same email and external id are free in another instance.
        mine = make_user(other, email_address=["shared@example.com"], external_id="e1")
        assert mine["id"] != user["id"]
        assert [u["id"] for u in other.get("/v1/users").json()] == [mine["id"]]
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "pending"
    assert api.get(f"/v1/users/{user['id']}").json()["first_name"] is None

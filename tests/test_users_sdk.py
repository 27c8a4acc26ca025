"""Looking users and sessions up with Clerk's official Python SDK (clerk-backend-api)."""

from __future__ import annotations

import pytest
from clerk_backend_api import Clerk, models

from redeeming import sign_in
from servers import ManualClock, Running


@pytest.fixture
def people(clerk: Clerk, clock: ManualClock) -> dict[str, models.User]:
    """Three users a second apart; the newest is banned."""
    made = {}
    for name, last in (("alice", "Liddell"), ("alicia", "Keys"), ("bob", "Builder")):
        clock.advance(1)
        made[name] = clerk.users.create(
            email_address=[f"{name}@example.com"],
            username=name,
            first_name=name.title(),
            last_name=last,
            external_id=f"ext-{name}",
        )
    clerk.users.ban(user_id=made["bob"].id)
    return made


def listed(clerk: Clerk, people: dict[str, models.User], **request: object) -> list[str]:
    """The names the SDK's users.list answers; its users.count must agree."""
    by_id = {user.id: name for name, user in people.items()}
    found = [by_id[user.id] for user in clerk.users.list(request=request)]  # type: ignore[arg-type]
    if "limit" not in request:
        filters = {k: v for k, v in request.items() if k != "order_by"}
        count = clerk.users.count(request=filters)  # type: ignore[arg-type]
        assert (count.object, count.total_count) == ("total_count", len(found))
    return found


def test_a_lookup_by_username_finds_that_user_only(
    clerk: Clerk, people: dict[str, models.User]
) -> None:
    """The lookup an app takes the first result of must find the right person or no one."""
    assert listed(clerk, people, username=["alice"]) == ["alice"]
    assert listed(clerk, people, username=["ALICE"]) == []
    assert listed(clerk, people, username=["alice", "bob"]) == ["bob", "alice"]


def test_every_kind_of_filter_through_the_sdk(clerk: Clerk, people: dict[str, models.User]) -> None:
    ids = {name: user.id for name, user in people.items()}
    assert listed(clerk, people, email_address=["Alicia@Example.com"]) == ["alicia"]
    assert listed(clerk, people, user_id=[ids["alice"], ids["bob"]]) == ["bob", "alice"]
    assert listed(clerk, people, user_id=["-" + ids["alice"]]) == ["bob", "alicia"]
    assert listed(clerk, people, external_id=["+ext-bob"]) == ["bob"]
    assert listed(clerk, people, query="ALIC") == ["alicia", "alice"]
    assert listed(clerk, people, email_address_query="ICIA@") == ["alicia"]
    assert listed(clerk, people, username_query="li") == ["alicia", "alice"]
    assert listed(clerk, people, name_query="keys") == ["alicia"]
    assert listed(clerk, people, banned=True) == ["bob"]
    assert listed(clerk, people, banned=False, query="ali") == ["alicia", "alice"]
    alicia = people["alicia"].created_at
    assert listed(clerk, people, created_at_after=alicia) == ["bob"]
    assert listed(clerk, people, created_at_before=alicia) == ["alice"]
    assert listed(clerk, people, phone_number=["+15555550100"]) == []
    assert listed(clerk, people, web3_wallet=["0xabc"]) == []
    assert listed(clerk, people, organization_id=["org_1"]) == []


def test_order_limit_and_offset_through_the_sdk(
    clerk: Clerk, people: dict[str, models.User]
) -> None:
    assert listed(clerk, people, order_by="+created_at") == ["alice", "alicia", "bob"]
    assert listed(clerk, people, order_by="-last_name") == ["alice", "alicia", "bob"]
    assert listed(clerk, people, order_by="username", limit=1, offset=1) == ["alicia"]


def test_activity_filters_through_the_sdk(
    server: Running, clerk: Clerk, people: dict[str, models.User], clock: ManualClock
) -> None:
    """A redemption sets last_sign_in_at and last_active_at, both filterable."""
    clock.advance(5)
    ticket = clerk.sign_in_tokens.create(request={"user_id": people["alice"].id}).token
    assert sign_in(server.base_url, ticket).status_code == 200
    alice = clerk.users.get(user_id=people["alice"].id)
    assert alice.last_active_at == alice.last_sign_in_at is not None
    at = alice.last_sign_in_at
    assert listed(clerk, people, last_sign_in_at_after=at - 1) == ["alice"]
    assert listed(clerk, people, last_active_at_after=at - 1) == ["alice"]
    assert listed(clerk, people, last_active_at_before=at) == []
    assert listed(clerk, people, order_by="-last_active_at") == ["alice", "bob", "alicia"]
    sessions = clerk.sessions.list(user_id=alice.id, status=models.QueryParamStatus.ACTIVE)
    assert [s.user_id for s in sessions] == [alice.id]
    assert clerk.sessions.list(user_id=people["bob"].id) == []


def test_a_bad_value_is_the_sdks_422(clerk: Clerk) -> None:
    with pytest.raises(models.ClerkErrors) as raised:
        clerk.users.list(request={"order_by": "bogus"})
    assert raised.value.data.errors[0].code == "form_param_value_invalid"
    with pytest.raises(models.ClerkErrors) as raised:
        clerk.users.list(request={"limit": 501})
    assert raised.value.data.errors[0].meta == {"param_name": "limit"}

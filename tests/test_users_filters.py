"""GET /v1/users and /v1/users/count over raw HTTP: every filter Clerk's document declares.

Values of one parameter match any of them; different parameters must all match. Each test
works on the same four users, made one second apart (see ``people``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conftest import in_store, make_user
from redeeming import new_token, sign_in
from servers import ManualClock, Running
from tessera import keys
from tessera.store import Store

Params = list[tuple[str, str]] | dict[str, str]


@pytest.fixture
def people(api: httpx.Client, clock: ManualClock) -> dict[str, dict[str, Any]]:
    """ann, bob, cat and dan, created in that order; dan is banned and has no email."""
    fields: dict[str, dict[str, Any]] = {
        "ann": {
            "email_address": ["ann@example.com"],
            "username": "ann_smith",
            "first_name": "Ann",
            "last_name": "Smith",
            "external_id": "ext-1",
        },
        "bob": {
            "email_address": ["bob@example.com", "bob.work@corp.test"],
            "username": "bob",
            "first_name": "Bob",
            "last_name": "Jones",
            "external_id": "ext-2",
        },
        "cat": {"email_address": ["cat%50@example.com"], "username": "c_t", "first_name": "Cat"},
        "dan": {"username": "Dan"},
    }
    made = {}
    for name, body in fields.items():
        clock.advance(1)
        made[name] = make_user(api, **body)
    assert api.post(f"/v1/users/{made['dan']['id']}/ban").status_code == 200
    return made


def names(api: httpx.Client, people: dict[str, dict[str, Any]], params: Params) -> list[str]:
    """Who GET /v1/users answers, in order, by name; the count route must agree."""
    response = api.get("/v1/users", params=params)
    assert response.status_code == 200, response.text
    by_id = {user["id"]: name for name, user in people.items()}
    found = [by_id[user["id"]] for user in response.json()]
    count = api.get("/v1/users/count", params=params)
    assert count.json() == {"object": "total_count", "total_count": len(found)}
    return found


def test_exact_filters_match_any_of_their_values_and_all_parameters_together(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    """username, email_address, user_id and external_id: OR within, AND across."""
    ids = {name: user["id"] for name, user in people.items()}
    assert names(api, people, {"username": "ann_smith"}) == ["ann"]
    assert names(api, people, {"username": "ANN_SMITH"}) == []
    assert names(api, people, [("username", "ann_smith"), ("username", "bob")]) == ["bob", "ann"]
    assert names(api, people, {"email_address": " BOB.work@corp.test"}) == ["bob"]
    assert names(api, people, [("user_id", ids["ann"]), ("user_id", ids["cat"])]) == [
        "cat",
        "ann",
    ]
    assert names(api, people, {"external_id": "ext-2"}) == ["bob"]
    both = [("username", "ann_smith"), ("email_address", "bob@example.com")]
    assert names(api, people, both) == []
    assert names(api, people, {"username": "nobody"}) == []
    assert names(api, people, {"username": ""}) == []


def test_a_minus_excludes_a_user_id_or_external_id_and_a_plus_includes(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    """Clerk's -id excludes, +id (sent encoded) and a bare id include."""
    ids = {name: user["id"] for name, user in people.items()}
    assert names(api, people, {"user_id": "-" + ids["ann"]}) == ["dan", "cat", "bob"]
    assert names(api, people, {"user_id": "+" + ids["ann"]}) == ["ann"]
    signed = [("user_id", ids["ann"]), ("user_id", ids["bob"]), ("user_id", "-" + ids["ann"])]
    assert names(api, people, signed) == ["bob"]
    # Users without an external id are not among the excluded ones.
    assert names(api, people, {"external_id": "-ext-1"}) == ["dan", "cat", "bob"]


def test_query_matches_part_of_an_email_username_id_or_name_in_any_case(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    """query looks in every email address, the username, the id and the names."""
    assert names(api, people, {"query": "SMITH"}) == ["ann"]
    assert names(api, people, {"query": "corp.TEST"}) == ["bob"]
    assert names(api, people, {"query": "ann sm"}) == ["ann"]
    assert names(api, people, {"query": people["cat"]["id"][5:20].lower()}) == ["cat"]
    assert names(api, people, {"query": "@EXAMPLE"}) == ["cat", "bob", "ann"]


def test_like_wildcards_in_a_search_are_the_characters_themselves(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    """% and _ (and \\) match only themselves: they are escaped before the LIKE."""
    assert names(api, people, {"query": "%"}) == ["cat"]
    assert names(api, people, {"username_query": "_"}) == ["cat", "ann"]
    assert names(api, people, {"email_address_query": "t%5"}) == ["cat"]
    assert names(api, people, {"query": "\\"}) == []


def test_field_queries_search_only_their_field(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    """email_address_query, username_query and name_query: partial, case-insensitive."""
    assert names(api, people, {"email_address_query": "EXAMPLE"}) == ["cat", "bob", "ann"]
    assert names(api, people, {"email_address_query": "smith"}) == []
    assert names(api, people, {"username_query": "AN"}) == ["dan", "ann"]
    assert names(api, people, {"name_query": "jONES"}) == ["bob"]
    assert names(api, people, {"name_query": "ann smith"}) == ["ann"]
    assert names(api, people, {"name_query": "dan"}) == []


def test_banned_filters_either_way(api: httpx.Client, people: dict[str, dict[str, Any]]) -> None:
    assert names(api, people, {"banned": "true"}) == ["dan"]
    assert names(api, people, {"banned": "false"}) == ["cat", "bob", "ann"]


def test_created_at_bounds_are_strict_milliseconds(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    bob = str(people["bob"]["created_at"])
    assert names(api, people, {"created_at_before": bob}) == ["ann"]
    assert names(api, people, {"created_at_after": bob}) == ["dan", "cat"]
    assert names(api, people, {"created_at_after": bob, "created_at_before": bob}) == []


def test_sign_in_and_activity_times_filter_and_users_without_them_match_no_bound(
    server: Running, api: httpx.Client, clock: ManualClock, people: dict[str, dict[str, Any]]
) -> None:
    """A redemption sets last_sign_in_at and last_active_at; a user never signed in has
    neither, so no bound on them matches it."""
    clock.advance(10)
    response = sign_in(server.base_url, new_token(api, people["bob"]["id"])["token"])
    assert response.status_code == 200, response.text
    bob = api.get(f"/v1/users/{people['bob']['id']}").json()
    at = bob["last_sign_in_at"]
    assert bob["last_active_at"] == at
    for field in ("last_sign_in_at", "last_active_at"):
        assert names(api, people, {f"{field}_after": str(at - 1)}) == ["bob"]
        assert names(api, people, {f"{field}_after": str(at)}) == []
        assert names(api, people, {f"{field}_before": str(at + 1)}) == ["bob"]
        assert names(api, people, {f"{field}_before": str(at)}) == []
    assert names(api, people, {"last_active_at_since": str(at)}) == ["bob"]
    assert names(api, people, {"last_active_at_since": str(at + 1)}) == []


def test_filters_on_what_tessera_does_not_store_match_no_user(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    """Phone numbers, web3 wallets, OAuth accounts and organizations: Tessera keeps none, so
    no user has one; excluding an organization excludes no one."""
    for params in (
        {"phone_number": "+15555550100"},
        {"web3_wallet": "0x0000000000000000000000000000000000000000"},
        {"phone_number_query": "555"},
        {"provider": "oauth_google", "provider_user_id": "12345"},
        {"provider": "oauth_google"},
        {"organization_id": "org_1"},
    ):
        assert names(api, people, params) == [], params
    assert names(api, people, {"organization_id": "-org_1"}) == ["dan", "cat", "bob", "ann"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("created_at", ["ann", "bob", "cat", "dan"]),
        ("+created_at", ["ann", "bob", "cat", "dan"]),
        ("-created_at", ["dan", "cat", "bob", "ann"]),
        ("username", ["ann", "bob", "cat", "dan"]),
        ("-username", ["dan", "cat", "bob", "ann"]),
        ("first_name", ["ann", "bob", "cat", "dan"]),
        ("-first_name", ["cat", "bob", "ann", "dan"]),
        ("-last_name", ["ann", "bob", "dan", "cat"]),
        ("email_address", ["ann", "bob", "cat", "dan"]),
        ("-phone_number", ["dan", "cat", "bob", "ann"]),
        ("web3wallet", ["ann", "bob", "cat", "dan"]),
        ("-last_sign_in_at", ["dan", "cat", "bob", "ann"]),
    ],
)
def test_order_by_sorts_by_the_field_with_missing_values_last(
    api: httpx.Client, people: dict[str, dict[str, Any]], order_by: str, expected: list[str]
) -> None:
    """Text in any case; users without the value last; ties by created_at, same direction."""
    assert names(api, people, {"order_by": order_by}) == expected


def test_order_by_keeps_the_first_value_and_reads_an_unencoded_plus(
    api: httpx.Client, people: dict[str, dict[str, Any]], clock: ManualClock
) -> None:
    twice = [("order_by", "username"), ("order_by", "-created_at")]
    assert names(api, people, twice) == ["ann", "bob", "cat", "dan"]
    response = api.get("/v1/users?order_by=+created_at")  # the + arrives as a space
    assert [u["id"] for u in response.json()] == [
        people[n]["id"] for n in ("ann", "bob", "cat", "dan")
    ]
    clock.advance(1)
    api.patch(f"/v1/users/{people['ann']['id']}", json={"first_name": "Anne"})
    assert names(api, people, {"order_by": "-updated_at"})[0] == "ann"


@pytest.mark.parametrize("order_by", ["-created_at", "+created_at"])
def test_starting_after_walks_every_user_once(
    api: httpx.Client, people: dict[str, dict[str, Any]], order_by: str
) -> None:
    """Pages after a cursor, in either created_at direction, meet every user exactly once,
    also when the cursor's user is deleted between two pages."""
    everyone = names(api, people, {"order_by": order_by})
    first = api.get("/v1/users", params={"order_by": order_by, "limit": "1"}).json()
    cursor = first[0]["id"]
    assert api.delete(f"/v1/users/{cursor}").status_code == 200
    seen = [first[0]["id"]]
    while True:
        page = api.get(
            "/v1/users", params={"order_by": order_by, "limit": "2", "starting_after": cursor}
        ).json()
        seen += [u["id"] for u in page]
        if len(page) < 2:
            break
        cursor = page[-1]["id"]
    assert seen == [people[name]["id"] for name in everyone]


def test_undeclared_parameters_are_ignored(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    """What the document does not declare for the operation changes nothing; the count takes
    no page or order."""
    everyone = ["dan", "cat", "bob", "ann"]
    assert names(api, people, {"nickname": "ann", "paginated": "true"}) == everyone
    count = api.get("/v1/users/count", params={"limit": "1", "order_by": "bogus"})
    assert count.json() == {"object": "total_count", "total_count": 4}


def test_limit_and_offset_page_any_order(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    page = api.get("/v1/users", params={"order_by": "username", "limit": "2", "offset": "1"})
    assert [u["username"] for u in page.json()] == ["bob", "c_t"]


def second_instance_key(server: Running, clock: ManualClock) -> str:
    async def create(store: Store) -> str:
        instance = await keys.create_instance(store, "second", now=clock())
        _, secret = await keys.create_key(store, instance.id, now=clock())
        return secret

    return in_store(server.database_url, create)


def test_no_filter_reaches_another_instances_users(
    server: Running, api: httpx.Client, clock: ManualClock, people: dict[str, dict[str, Any]]
) -> None:
    """Every lookup, partial match and cursor stays inside the key's instance."""
    ann = people["ann"]
    with server.client(second_instance_key(server, clock)) as other:
        for params in (
            {"user_id": ann["id"]},
            {"email_address": "ann@example.com"},
            {"username": "ann_smith"},
            {"external_id": "ext-1"},
            {"query": "ann"},
            {"email_address_query": "ann@"},
            {"name_query": "smith"},
            {"starting_after": people["dan"]["id"]},
            {"order_by": "email_address"},
        ):
            assert other.get("/v1/users", params=params).json() == [], params
            count = other.get("/v1/users/count", params=params).json()
            assert count["total_count"] == 0, params


def test_every_declared_parameter_changes_the_answer(
    api: httpx.Client, people: dict[str, dict[str, Any]]
) -> None:
    """Each query parameter /v1/openapi.json declares for the list and the count is read: a
    value that should narrow or reorder the answer does (a new one would fail here)."""
    document = api.get("/v1/openapi.json").json()
    special = {
        "limit": "1",
        "offset": "1",
        "order_by": "created_at",
        "starting_after": people["dan"]["id"],
        "banned": "true",
    }
    for path in ("/v1/users", "/v1/users/count"):
        everyone = api.get(path).json()
        for parameter in document["paths"][path]["get"]["parameters"]:
            if "$ref" in parameter:
                parameter = document["components"]["parameters"][parameter["$ref"].split("/")[-1]]
            name = parameter["name"]
            if name in special:
                value = special[name]
            elif name.endswith(("_before", "_after", "_since")):
                value = "0" if name.endswith("_before") else "9000000000000000"
            else:
                value = "zzz"
            answer = api.get(path, params={name: value})
            assert answer.status_code == 200, (path, name, answer.text)
            assert answer.json() != everyone, (path, name)

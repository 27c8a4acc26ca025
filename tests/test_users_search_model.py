"""The users search against a plain Python model of Clerk's semantics, on both databases.

Hypothesis draws users whose texts are made of LIKE's own wildcards and backslash, and
queries mixing every stored filter; the store must answer exactly the users the model picks
(OR within a filter, AND across filters), and count as many.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera import keys, users
from tessera.models import User
from tessera.store import Store, open_store
from tessera.user_query import OrderBy, Selection, UserQuery

TEXT = st.text(alphabet="aB_%\\ ", min_size=1, max_size=3)
MAYBE = st.none() | TEXT
PEOPLE = st.lists(
    st.fixed_dictionaries(
        {
            "username": MAYBE,
            "first_name": MAYBE,
            "last_name": MAYBE,
            "external_id": MAYBE,
            "email": MAYBE,
            "banned": st.booleans(),
        }
    ),
    min_size=3,
    max_size=5,
)
PICK = st.lists(st.integers(0, 5), max_size=2)
QUERY = st.fixed_dictionaries(
    {},
    optional={
        "usernames": st.lists(TEXT, max_size=2),
        "emails": PICK,
        "ids": st.tuples(PICK, PICK),
        "external_ids": st.tuples(st.lists(TEXT, max_size=2), st.lists(TEXT, max_size=2)),
        "query": TEXT,
        "email_address_query": TEXT,
        "username_query": TEXT,
        "name_query": TEXT,
        "banned": st.booleans(),
        "descending": st.booleans(),
    },
)


@pytest.fixture
def store_loop(database_url: str) -> Iterator[tuple[Store, asyncio.AbstractEventLoop]]:
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(open_store(database_url))
    try:
        yield store, loop
    finally:
        loop.run_until_complete(store.close())
        loop.close()


def _name(user: User) -> str:
    return f"{user.first_name or ''} {user.last_name or ''}".lower()


def _in(text: str | None, part: str | None) -> bool:
    return part is None or part.lower() in (text or "").lower()


def expected(made: list[User], q: UserQuery) -> list[str]:
    """The ids the model says ``q`` finds, in created_at order."""

    def matches(u: User) -> bool:
        emails = [e.email_address for e in u.email_addresses]
        ext = u.external_id
        return all(
            (
                not q.email_addresses or bool(set(emails) & set(q.email_addresses)),
                not q.usernames or u.username in q.usernames,
                not q.user_ids.include or u.id in q.user_ids.include,
                u.id not in q.user_ids.exclude,
                not q.external_ids.include or ext in q.external_ids.include,
                ext is None or ext not in q.external_ids.exclude,
                q.query is None
                or any(_in(t, q.query) for t in (u.id, u.username, _name(u), *emails)),
                q.email_address_query is None or any(_in(e, q.email_address_query) for e in emails),
                _in(u.username, q.username_query),
                _in(_name(u), q.name_query),
                q.banned is None or u.banned == q.banned,
            )
        )

    found = [u.id for u in made if matches(u)]
    return found[::-1] if q.order_by.descending else found


def query_of(drawn: dict[str, object], made: list[User]) -> UserQuery:
    def ids(picks: object) -> tuple[str, ...]:
        return tuple(made[i].id for i in picks if i < len(made))  # type: ignore[attr-defined]

    emails = [e.email_address for u in made for e in u.email_addresses]
    include, exclude = drawn.get("ids", ([], []))  # type: ignore[misc]
    ext_in, ext_out = drawn.get("external_ids", ([], []))  # type: ignore[misc]
    return UserQuery(
        usernames=tuple(drawn.get("usernames", ())),  # type: ignore[arg-type]
        email_addresses=tuple(emails[i] for i in drawn.get("emails", ()) if i < len(emails)),  # type: ignore[attr-defined]
        user_ids=Selection(ids(include), ids(exclude)),
        external_ids=Selection(tuple(ext_in), tuple(ext_out)),
        query=drawn.get("query"),  # type: ignore[arg-type]
        email_address_query=drawn.get("email_address_query"),  # type: ignore[arg-type]
        username_query=drawn.get("username_query"),  # type: ignore[arg-type]
        name_query=drawn.get("name_query"),  # type: ignore[arg-type]
        banned=drawn.get("banned"),  # type: ignore[arg-type]
        order_by=OrderBy("created_at", bool(drawn.get("descending", True))),
        limit=500,
    )


async def _make(store: Store, people: list[dict[str, object]]) -> tuple[str, list[User]]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    instance = await keys.create_instance(store, "model", now=now)
    made, taken = [], set()
    for n, person in enumerate(people):
        fields = {k: person[k] for k in ("username", "first_name", "last_name", "external_id")}
        for unique in ("username", "external_id"):  # unique per instance
            if fields[unique] in taken:
                fields[unique] = None
            taken.add(fields[unique])
        email = person["email"]
        address = [f"{email.replace(' ', '')}{n}@x.io"] if isinstance(email, str) else []
        user = await users.create(
            store, instance.id, email_addresses=address, now=now + timedelta(seconds=n), **fields
        )
        if person["banned"]:
            user = await users.ban(store, instance.id, user.id, banned=True, now=now)
        made.append(user)
    return instance.id, made


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=PEOPLE, drawn=QUERY)
def test_the_store_finds_what_the_model_finds(
    store_loop: tuple[Store, asyncio.AbstractEventLoop],
    people: list[dict[str, object]],
    drawn: dict[str, object],
) -> None:
    store, loop = store_loop

    async def run() -> None:
        instance_id, made = await _make(store, people)
        query = query_of(drawn, made)
        found = [u.id for u in await users.list_users(store, instance_id, query)]
        assert found == expected(made, query)
        assert await users.count_users(store, instance_id, query) == len(found)

    loop.run_until_complete(run())

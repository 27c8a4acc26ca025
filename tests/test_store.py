"""The store's repositories, each run on SQLite and on PostgreSQL through ``database_url``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from tessera import ids
from tessera.errors import IdentifierExists
from tessera.models import ApiKey, EmailAddress, Instance, SignInToken, User
from tessera.store import Store, UniqueViolation, open_store
from tessera.user_query import Selection, UserQuery

T = TypeVar("T")
NOW = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


async def new_instance(store: Store, name: str = "test") -> Instance:
    instance = Instance(id=ids.new_id("ins", NOW), name=name, created_at=NOW)
    await store.instances.create(instance)
    return instance


def a_user(instance: Instance, *emails: str, **fields: Any) -> User:
    addresses = tuple(EmailAddress(ids.new_id("idn", NOW), e, NOW) for e in emails)
    return User(
        id=ids.new_id("user", NOW),
        instance_id=instance.id,
        created_at=fields.pop("created_at", NOW),
        updated_at=NOW,
        email_addresses=addresses,
        **fields,
    )


def a_token(user: User, *, instance_id: str | None = None) -> SignInToken:
    return SignInToken(
        id=ids.new_id("sit", NOW),
        instance_id=instance_id or user.instance_id,
        user_id=user.id,
        token_hash=ids.new_id("hash", NOW),
        status="pending",
        expires_at=NOW + timedelta(days=30),
        created_at=NOW,
        updated_at=NOW,
    )


async def user_with_token(store: Store) -> tuple[User, SignInToken]:
    user = a_user(await new_instance(store), "ann@example.com")
    await store.users.insert(user)
    token = a_token(user)
    assert await store.tokens.insert(token)
    return user, token


def at_once(
    database_url: str, threads: int, each: int, act: Callable[[Store], Awaitable[T]]
) -> list[T]:
    """Run ``act`` ``threads * each`` times at the same moment: every thread opens its own
    store (its own connection or pool) and starts ``each`` calls together after a barrier."""
    barrier = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []

    async def worker() -> None:
        own = await open_store(database_url, pool_size=each)
        try:
            barrier.wait(30)
            results.extend(await asyncio.gather(*(act(own) for _ in range(each))))
        finally:
            await own.close()

    def run() -> None:
        try:
            asyncio.run(worker())
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    assert not errors, errors
    return results


async def test_an_instance_round_trips_and_the_oldest_is_the_default(store: Store) -> None:
    """Instances read back as written; ``first`` is the oldest one."""
    first = await new_instance(store, "first")
    second = Instance(id=ids.new_id("ins", LATER), name="second", created_at=LATER)
    await store.instances.create(second)
    assert await store.instances.get(first.id) == first
    assert await store.instances.first() == first
    assert await store.instances.all() == sorted([first, second], key=lambda i: i.id)
    assert await store.instances.get("ins_missing") is None


async def test_a_key_is_found_by_its_hash_until_it_is_revoked_once(store: Store) -> None:
    """A key is found by hash while live; revoking succeeds once and hides it."""
    instance = await new_instance(store)
    key = ApiKey(ids.new_id("ak", NOW), instance.id, "ab" * 32, "sk_test_abcd", NOW)
    await store.instances.add_key(key)
    assert await store.instances.key_by_hash("ab" * 32) == key
    assert await store.instances.revoke_key(instance.id, key.id, now=LATER) is True
    assert await store.instances.revoke_key(instance.id, key.id, now=LATER) is False
    assert await store.instances.key_by_hash("ab" * 32) is None
    [revoked] = await store.instances.keys(instance.id)
    assert revoked.revoked_at == LATER


async def test_a_second_key_with_the_same_hash_is_a_unique_violation(store: Store) -> None:
    """Key hashes are unique; the violation names the key_hash constraint on both databases."""
    instance = await new_instance(store)
    await store.instances.add_key(ApiKey(ids.new_id("ak", NOW), instance.id, "cd" * 32, "p", NOW))
    with pytest.raises(UniqueViolation) as caught:
        await store.instances.add_key(
            ApiKey(ids.new_id("ak", NOW), instance.id, "cd" * 32, "p", NOW)
        )
    assert "key_hash" in caught.value.detail


async def test_a_user_round_trips_with_metadata_and_emails_in_order(store: Store) -> None:
    """Every column reads back as written: metadata as JSON, emails in order, banned a bool."""
    user = a_user(
        await new_instance(store),
        "b@example.com",
        "a@example.com",
        external_id="ext-1",
        username="ann",
        first_name="Ann",
        last_name=None,
        public_metadata={"plan": "pro", "n": [1, 2]},
        private_metadata={"note": "é"},
    )
    await store.users.insert(user)
    found = await store.users.get(user.instance_id, user.id)
    assert found == user
    assert found is not None and found.banned is False
    assert await store.users.get("ins_other", user.id) is None


@pytest.mark.parametrize(
    ("taken", "param"),
    [
        ({"emails": ("ann@example.com",)}, "email_address"),
        ({"username": "ann"}, "username"),
        ({"external_id": "ext-1"}, "external_id"),
    ],
)
async def test_a_taken_identifier_is_refused_and_leaves_no_user_behind(
    store: Store, taken: dict[str, Any], param: str
) -> None:
    """A taken email, username or external id raises IdentifierExists naming it; the refused
    user's row is rolled back with its email addresses."""
    instance = await new_instance(store)
    await store.users.insert(
        a_user(instance, "ann@example.com", username="ann", external_id="ext-1")
    )
    fields = {k: v for k, v in taken.items() if k != "emails"}
    refused = a_user(instance, *taken.get("emails", ("other@example.com",)), **fields)
    with pytest.raises(IdentifierExists) as caught:
        await store.users.insert(refused)
    assert caught.value.param == param
    assert await store.users.get(instance.id, refused.id) is None
    assert (
        await store.users.search(instance.id, UserQuery(email_addresses=("other@example.com",)))
        == []
    )


async def test_search_finds_by_email_or_external_id_newest_first(store: Store) -> None:
    """Search filters by email or external id, orders newest first and pages."""
    instance = await new_instance(store)
    old = a_user(instance, "old@example.com", external_id="x1")
    new = a_user(instance, "new@example.com", external_id="x2", created_at=LATER)
    for user in (old, new):
        await store.users.insert(user)
    page = await store.users.search(instance.id, UserQuery())
    assert [u.id for u in page] == [new.id, old.id]
    second = await store.users.search(instance.id, UserQuery(limit=1, offset=1))
    assert [u.id for u in second] == [old.id]
    by_email = await store.users.search(
        instance.id, UserQuery(email_addresses=("old@example.com",))
    )
    assert [u.id for u in by_email] == [old.id]
    by_ext = await store.users.search(
        instance.id, UserQuery(external_ids=Selection(("x2", "nope")))
    )
    assert [u.id for u in by_ext] == [new.id]


async def test_update_sets_columns_and_refuses_a_taken_username(store: Store) -> None:
    """Update changes the named columns and updated_at; a taken username is IdentifierExists;
    an unknown user is None."""
    instance = await new_instance(store)
    ann, bob = a_user(instance, username="ann"), a_user(instance, username="bob")
    for user in (ann, bob):
        await store.users.insert(user)
    changes = {"first_name": "Bob", "public_metadata": {"k": True}}
    updated = await store.users.update(instance.id, bob.id, changes, now=LATER)
    assert updated is not None
    assert (updated.first_name, updated.public_metadata, updated.updated_at) == (
        "Bob",
        {"k": True},
        LATER,
    )
    with pytest.raises(IdentifierExists) as caught:
        await store.users.update(instance.id, bob.id, {"username": "ann"}, now=LATER)
    assert caught.value.param == "username"
    assert await store.users.update(instance.id, "user_missing", changes, now=LATER) is None


async def test_delete_removes_the_user_and_revokes_its_pending_tokens(store: Store) -> None:
    """Deleting a user revokes its pending tokens and frees its email; only once."""
    user, token = await user_with_token(store)
    assert await store.users.delete(user.instance_id, user.id, now=LATER) is True
    assert await store.users.delete(user.instance_id, user.id, now=LATER) is False
    revoked = await store.tokens.get(user.instance_id, token.id)
    assert revoked is not None and (revoked.status, revoked.updated_at) == ("revoked", LATER)
    await store.users.insert(a_user(Instance(user.instance_id, "t", NOW), "ann@example.com"))


async def test_a_ban_revokes_pending_tokens_and_an_unban_does_not_restore_them(
    store: Store,
) -> None:
    """A ban revokes pending tokens in the same transaction; an unban only clears banned."""
    user, token = await user_with_token(store)
    banned = await store.users.set_banned(user.instance_id, user.id, True, now=LATER)
    assert banned is not None and banned.banned is True
    unbanned = await store.users.set_banned(user.instance_id, user.id, False, now=LATER)
    assert unbanned is not None and unbanned.banned is False
    after = await store.tokens.get(user.instance_id, token.id)
    assert after is not None and after.status == "revoked"
    assert await store.users.set_banned(user.instance_id, "user_missing", True, now=LATER) is None


async def test_a_token_is_stored_only_for_a_user_of_its_instance(store: Store) -> None:
    """Insert refuses a token whose user is missing or in another instance."""
    user, token = await user_with_token(store)
    other = await new_instance(store, "other")
    assert await store.tokens.insert(a_token(user, instance_id=other.id)) is False
    assert await store.tokens.get(user.instance_id, token.id) == token
    assert await store.tokens.get(other.id, token.id) is None


async def test_token_search_filters_by_user_and_status_and_counts(store: Store) -> None:
    """Search pages newest first and counts every match, filtered by user and status."""
    user, first = await user_with_token(store)
    second = a_token(user)
    assert await store.tokens.insert(second)
    await store.tokens.revoke(user.instance_id, first.id, now=LATER)
    page, total = await store.tokens.search(
        user.instance_id, user_id=user.id, status=None, limit=1, offset=0
    )
    assert total == 2 and len(page) == 1
    pending, count = await store.tokens.search(
        user.instance_id, user_id=None, status="pending", limit=10, offset=0
    )
    assert (count, [t.id for t in pending]) == (1, [second.id])


async def test_revoke_flips_a_pending_token_exactly_once(store: Store) -> None:
    """pending → revoked returns the new row once, then None."""
    user, token = await user_with_token(store)
    revoked = await store.tokens.revoke(user.instance_id, token.id, now=LATER)
    assert revoked is not None and (revoked.status, revoked.updated_at) == ("revoked", LATER)
    assert await store.tokens.revoke(user.instance_id, token.id, now=LATER) is None


async def test_revoke_all_of_a_user_counts_only_pending_tokens(store: Store) -> None:
    """Revoke-all changes each pending token once and reports how many."""
    user, token = await user_with_token(store)
    assert await store.tokens.insert(a_token(user))
    await store.tokens.revoke(user.instance_id, token.id, now=LATER)
    assert await store.tokens.revoke_all_of_user(user.instance_id, user.id, now=LATER) == 1
    assert await store.tokens.revoke_all_of_user(user.instance_id, user.id, now=LATER) == 0


async def test_fifty_concurrent_revokes_of_one_token_exactly_one_wins(
    store: Store, database_url: str
) -> None:
    """Fifty revokes at once from five connections or pools: exactly one returns the token."""
    user, token = await user_with_token(store)

    async def revoke(own: Store) -> SignInToken | None:
        return await own.tokens.revoke(user.instance_id, token.id, now=LATER)

    results = await asyncio.to_thread(at_once, database_url, 5, 10, revoke)
    assert len(results) == 50
    assert [r.id for r in results if r is not None] == [token.id]


async def test_concurrent_users_with_one_email_exactly_one_is_created(
    store: Store, database_url: str
) -> None:
    """Twenty users created at once with the same email: one stored, nineteen refused."""
    instance = await new_instance(store)

    async def create(own: Store) -> str:
        try:
            await own.users.insert(a_user(instance, "same@example.com"))
        except IdentifierExists as exc:
            return exc.param
        return "created"

    results = await asyncio.to_thread(at_once, database_url, 4, 5, create)
    assert sorted(results) == ["created"] + ["email_address"] * 19
    found = await store.users.search(instance.id, UserQuery(email_addresses=("same@example.com",)))
    assert len(found) == 1

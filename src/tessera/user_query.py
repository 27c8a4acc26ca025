"""Which users a list or count asks for: Clerk's ``GET /users`` filters as plain values.

No HTTP and no SQL: ``api/user_params.py`` reads a query string into a :class:`UserQuery`,
``store/user_search.py`` turns one into a WHERE clause. Values of one filter match any of them
(OR); different filters must all match (AND). A filter on something Tessera does not store
(phone numbers, web3 wallets, OAuth accounts, organization memberships) matches no user.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ORDER_FIELDS", "OrderBy", "Selection", "TimeRange", "UserQuery"]

# Clerk's order_by fields; web3wallet and phone_number are accepted and order by nothing
# Tessera stores (so by the tie-breaker, created_at then id, in the same direction).
ORDER_FIELDS = (
    "created_at",
    "updated_at",
    "email_address",
    "web3wallet",
    "first_name",
    "last_name",
    "phone_number",
    "username",
    "last_active_at",
    "last_sign_in_at",
)


@dataclass(frozen=True)
class Selection:
    """Values to include (any of them) and values to exclude (none of them)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def signed(cls, values: list[str]) -> Selection:
        """Clerk's ``+id`` / ``-id`` / ``id`` (include, exclude, include)."""
        include = [v.removeprefix("+") for v in values if not v.startswith("-")]
        exclude = [v[1:] for v in values if v.startswith("-")]
        return cls(tuple(include), tuple(exclude))


@dataclass(frozen=True)
class TimeRange:
    """Unix milliseconds: strictly after ``after``, at or after ``since``, strictly before
    ``before``; a user without the timestamp matches no bound."""

    after: int | None = None
    since: int | None = None
    before: int | None = None


@dataclass(frozen=True)
class OrderBy:
    field: str = "created_at"
    descending: bool = True


@dataclass(frozen=True)
class UserQuery:
    email_addresses: tuple[str, ...] = ()  # exact, as stored (lower case)
    usernames: tuple[str, ...] = ()  # exact
    user_ids: Selection = Selection()
    external_ids: Selection = Selection()
    organization_ids: Selection = Selection()
    query: str | None = None  # partial, case-insensitive: emails, username, id, names
    email_address_query: str | None = None
    username_query: str | None = None
    name_query: str | None = None
    banned: bool | None = None
    created_at: TimeRange = TimeRange()
    last_sign_in_at: TimeRange = TimeRange()
    last_active_at: TimeRange = TimeRange()
    # Filters on what Tessera does not store: any value given matches no user.
    unstored: tuple[str, ...] = ()
    order_by: OrderBy = OrderBy()
    starting_after: str | None = None  # a user id: keyset pagination on created_at
    limit: int = 10
    offset: int = 0

    @property
    def matches_nobody(self) -> bool:
        return bool(self.unstored or self.organization_ids.include)

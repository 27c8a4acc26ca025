"""A :class:`~tessera.user_query.UserQuery` as SQL: one WHERE clause and one ORDER BY, every
value bound, the same text for SQLite and PostgreSQL.

Exact lookups (email, username, external id, id) use the unique indexes. Partial matches compare
``LOWER(column) LIKE LOWER(?)`` with ``%``, ``_`` and ``\\`` of the searched text escaped, so
they mean the text itself. Text orderings compare ``LOWER(column)``; a user without the value
sorts last either way; ties fall to ``created_at`` then ``id`` in the same direction.
"""

from __future__ import annotations

from typing import Any

from tessera.crypto import ALPHABET
from tessera.ids import KSUID_EPOCH_MS
from tessera.user_query import Selection, TimeRange, UserQuery

__all__ = ["cursor_ms", "filtered_sql", "order_sql"]

_EMAILS = "u.id IN (SELECT e.user_id FROM email_addresses e WHERE e.instance_id = ? AND {})"
_NAME = "LOWER(COALESCE(u.first_name, '') || ' ' || COALESCE(u.last_name, ''))"
_USERNAME = "LOWER(COALESCE(u.username, ''))"
_ORDER = {
    "created_at": None,
    "updated_at": "u.updated_at",
    "email_address": "(SELECT LOWER(e.email_address) FROM email_addresses e "
    "WHERE e.user_id = u.id ORDER BY e.position LIMIT 1)",
    "web3wallet": None,
    "first_name": "LOWER(u.first_name)",
    "last_name": "LOWER(u.last_name)",
    "phone_number": None,
    "username": "LOWER(u.username)",
    "last_active_at": "u.last_active_at",
    "last_sign_in_at": "u.last_sign_in_at",
}


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" * len(values))


def _pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like(expression: str) -> str:
    return f"{expression} LIKE LOWER(?) ESCAPE '\\'"


class _Where:
    def __init__(self, instance_id: str) -> None:
        self.clauses = ["u.instance_id = ?"]
        self.params: list[Any] = [instance_id]
        self.instance_id = instance_id

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def selection(self, column: str, chosen: Selection) -> None:
        if chosen.include:
            self.add(f"{column} IN ({_marks(chosen.include)})", *chosen.include)
        if chosen.exclude:
            marks = _marks(chosen.exclude)
            self.add(f"({column} IS NULL OR {column} NOT IN ({marks}))", *chosen.exclude)

    def time_range(self, column: str, bounds: TimeRange) -> None:
        for operator, value in ((">", bounds.after), (">=", bounds.since), ("<", bounds.before)):
            if value is not None:
                self.add(f"{column} {operator} ?", value)

    def text(self, query: UserQuery) -> None:
        if query.query is not None:
            pattern = _pattern(query.query)
            emails = _EMAILS.format(_like("e.email_address"))
            self.add(
                f"({_like('LOWER(u.id)')} OR {_like(_USERNAME)} OR {_like(_NAME)} OR {emails})",
                *(pattern, pattern, pattern, self.instance_id, pattern),
            )
        if query.email_address_query is not None:
            pattern = _pattern(query.email_address_query)
            self.add(_EMAILS.format(_like("e.email_address")), self.instance_id, pattern)
        if query.username_query is not None:
            self.add(_like(_USERNAME), _pattern(query.username_query))
        if query.name_query is not None:
            self.add(_like(_NAME), _pattern(query.name_query))


def filtered_sql(instance_id: str, query: UserQuery) -> tuple[str, list[Any]]:
    """``<source> WHERE <conditions>`` over ``users u``, and its parameters in order."""
    source, params = _source_sql(instance_id, query)
    where, where_params = _where_sql(instance_id, query)
    return f"{source} WHERE {where}", params + where_params


def _source_sql(instance_id: str, query: UserQuery) -> tuple[str, list[Any]]:
    """The FROM source naming ``users u``: exact email addresses drive from their index (as a
    ``u.id IN`` filter, SQLite would walk the instance's users instead)."""
    emails = query.email_addresses
    if not emails:
        return "users u", []
    matched = (
        "(SELECT DISTINCT e.user_id FROM email_addresses e "
        f"WHERE e.instance_id = ? AND e.email_address IN ({_marks(emails)})) m"
    )
    return f"{matched} JOIN users u ON u.id = m.user_id", [instance_id, *emails]


def _where_sql(instance_id: str, query: UserQuery) -> tuple[str, list[Any]]:
    where = _Where(instance_id)
    if query.matches_nobody:
        where.add("1 = 0")
    if query.usernames:
        where.add(f"u.username IN ({_marks(query.usernames)})", *query.usernames)
    where.selection("u.id", query.user_ids)
    where.selection("u.external_id", query.external_ids)
    where.text(query)
    if query.banned is not None:
        where.add("u.banned = ?", query.banned)
    where.time_range("u.created_at", query.created_at)
    where.time_range("u.last_sign_in_at", query.last_sign_in_at)
    where.time_range("u.last_active_at", query.last_active_at)
    if query.starting_after is not None:
        after = "<" if query.order_by.descending else ">"
        where.add(
            f"(u.created_at, u.id) {after} (COALESCE((SELECT c.created_at FROM users c "
            "WHERE c.id = ? AND c.instance_id = ?), ?), ?)",
            query.starting_after,
            instance_id,
            cursor_ms(query.starting_after),
            query.starting_after,
        )
    return " AND ".join(where.clauses), where.params


def order_sql(query: UserQuery) -> str:
    """The ORDER BY list: the chosen field (users without it last), then created_at, id."""
    direction = "DESC" if query.order_by.descending else "ASC"
    expression = _ORDER[query.order_by.field]
    keys = [] if expression is None else [f"{expression} {direction} NULLS LAST"]
    return ", ".join([*keys, f"u.created_at {direction}", f"u.id {direction}"])


def cursor_ms(user_id: str) -> int:
    """The creation time a user id carries (its first 7 base62 digits), for a cursor whose
    user was deleted since: the page after it still starts where it would have."""
    digits = user_id.removeprefix("user_")[:7]
    value = 0
    for char in digits:
        value = value * 62 + ALPHABET.index(char)
    return value + KSUID_EPOCH_MS

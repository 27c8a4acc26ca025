"""The query string of ``GET /v1/users`` and ``GET /v1/users/count`` as a
:class:`~tessera.user_query.UserQuery`.

Every parameter Clerk's document declares for the operation is read (repeated values of a
list parameter are all kept; a scalar parameter given twice keeps its first value, as Clerk
does for ``order_by``); any other parameter is ignored. A value that cannot mean anything is
a 422 ``form_param_value_invalid`` naming the parameter, before any query runs.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.datastructures import QueryParams

from tessera import ids
from tessera.api.params import query_bool, query_text
from tessera.errors import ParamInvalid
from tessera.user_query import ORDER_FIELDS, OrderBy, Selection, TimeRange, UserQuery

__all__ = ["MAX_VALUES", "user_query"]

MAX_VALUES = 100  # values of one list parameter, as Clerk documents
_INT64 = 2**63 - 1
# Declared filters on what Tessera does not store: given at all, they match no user.
_UNSTORED_LISTS = ("phone_number", "web3_wallet", "provider_user_id")
_UNSTORED_TEXTS = ("phone_number_query", "provider")


def _list(query: QueryParams, name: str) -> list[str]:
    values = query.getlist(name)
    if len(values) > MAX_VALUES:
        raise ParamInvalid(name, f"it accepts at most {MAX_VALUES} values")
    if any("\x00" in value for value in values):
        raise ParamInvalid(name, "it must not contain NUL characters")
    return values


def _ms(query: QueryParams, name: str) -> int | None:
    text = query_text(query, name)
    if text is None:
        return None
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 19) or abs(int(text)) > _INT64:
        raise ParamInvalid(name, "it must be a whole number of Unix milliseconds")
    return int(text)


def _range(query: QueryParams, field: str, *, since: bool = False) -> TimeRange:
    return TimeRange(
        after=_ms(query, f"{field}_after"),
        since=_ms(query, f"{field}_since") if since else None,
        before=_ms(query, f"{field}_before"),
    )


def _order_by(query: QueryParams) -> OrderBy:
    text = query_text(query, "order_by")
    if text is None:
        return OrderBy()
    # An unencoded "+" in a query string decodes to a space: read it as the "+" it was.
    name = text[1:] if text[:1] in ("+", "-", " ") else text
    if name not in ORDER_FIELDS:
        raise ParamInvalid(
            "order_by", f"it must be one of {', '.join(ORDER_FIELDS)}, optionally after + or -"
        )
    return OrderBy(name, descending=text.startswith("-"))


def _filters(query: QueryParams) -> UserQuery:
    unstored = [n for n in _UNSTORED_LISTS if _list(query, n)]
    unstored += [n for n in _UNSTORED_TEXTS if query_text(query, n) is not None]
    return UserQuery(
        email_addresses=tuple(_list(query, "email_address")),
        usernames=tuple(_list(query, "username")),
        user_ids=Selection.signed(_list(query, "user_id")),
        external_ids=Selection.signed(_list(query, "external_id")),
        organization_ids=Selection.signed(_list(query, "organization_id")),
        query=query_text(query, "query"),
        email_address_query=query_text(query, "email_address_query"),
        username_query=query_text(query, "username_query"),
        name_query=query_text(query, "name_query"),
        banned=query_bool(query, "banned"),
        created_at=_range(query, "created_at"),
        last_sign_in_at=_range(query, "last_sign_in_at"),
        last_active_at=_range(query, "last_active_at", since=True),
        unstored=tuple(unstored),
    )


def user_query(query: QueryParams, *, page: tuple[int, int] | None = None) -> UserQuery:
    """The filters of ``query``; with ``page`` (limit, offset) also its order and cursor, as
    ``GET /v1/users`` reads them (the count reads filters only)."""
    filters = _filters(query)
    if page is None:
        return filters
    order = _order_by(query)
    cursor = query_text(query, "starting_after")
    limit, offset = page
    if cursor is not None:
        if not ids.is_id(cursor, "user"):
            raise ParamInvalid("starting_after", "it must be the id of a user (user_…)")
        if order.field != "created_at":
            raise ParamInvalid("starting_after", "it needs order_by created_at")
        if offset:
            raise ParamInvalid("starting_after", "it cannot be combined with offset")
    return replace(filters, order_by=order, starting_after=cursor, limit=limit, offset=offset)

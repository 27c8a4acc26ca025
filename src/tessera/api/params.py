"""Reading request bodies and query strings into typed values, with Clerk's errors.

JSON booleans are not integers here, ``"60"`` is not a number, and ``1.5`` or ``1e309`` is not
an integer: each is a 422 naming the parameter. A body that is not a JSON object is a 400. Every
JSON body is checked once, whole, by :func:`tessera.json_values.check_params` (no lone
surrogates, no integer beyond 64 bits, no infinity, nesting at most 32 levels), so no route sees
such a value.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request

from tessera import json_values
from tessera.errors import (
    BodyInvalid,
    BodyTooLarge,
    ParamInvalid,
    ParamMissing,
    UnsupportedContentType,
)

__all__ = [
    "MAX_BODY",
    "form_or_json_body",
    "json_body",
    "optional_dict",
    "optional_int",
    "optional_str",
    "page",
    "query_bool",
    "query_text",
    "raw_body",
    "required_str",
    "str_list",
]

MAX_BODY = 1024 * 1024
_RAW_BODY = "tessera.raw_body"
_INT64_MAX = json_values.INT64_MAX


async def raw_body(request: Request) -> bytes:
    """The body's bytes, at most :data:`MAX_BODY`; read once and kept for later readers."""
    cached: bytes | None = request.scope.get(_RAW_BODY)  # a plain dict: cheaper than .state
    if cached is not None:
        return cached
    length = request.headers.get("content-length")
    if length is not None and length.isdigit():
        if int(length) > MAX_BODY:
            raise BodyTooLarge(f"The request body must be at most {MAX_BODY} bytes.")
        raw = await request.body()  # the server holds a body to its declared length
    else:  # chunked: count as it comes
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise BodyTooLarge(f"The request body must be at most {MAX_BODY} bytes.")
            chunks.append(chunk)
        raw = b"".join(chunks)
    request.scope[_RAW_BODY] = raw
    return raw


def _media(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def form_or_json_body(request: Request) -> dict[str, Any]:
    """A form-encoded or JSON body as a dict (a repeated form field keeps its last value)."""
    if _media(request) != "application/x-www-form-urlencoded":
        return await json_body(request)
    raw = await raw_body(request)
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        raise BodyInvalid("The request body is not valid UTF-8.") from None


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}`` whatever its content type."""
    raw = await raw_body(request)
    if not raw.strip():
        return {}
    media = _media(request)
    if media != "application/json":
        raise UnsupportedContentType(
            f"Send the body as JSON with Content-Type: application/json, not {media or 'none'}."
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = _lenient(raw)
    if not isinstance(body, dict):
        raise BodyInvalid("The request body must be a JSON object.")
    if json_values.check_params(body):  # perhaps an integer beyond 64 bits, read as a float
        exact: dict[str, Any] = _lenient(raw)  # the same text: an object again
        json_values.check_params(exact)
        return exact
    return body


def _lenient(raw: bytes) -> Any:
    """Valid JSON that orjson refuses or misreads (1e309, a lone surrogate, 2**64) still
    parses, exactly, for :func:`json_values.check` to name; NaN and Infinity are not JSON."""
    try:
        return json.loads(raw, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise BodyInvalid("The request body is not valid JSON.") from None


def _not_json(constant: str) -> Any:
    raise ValueError(constant)


def required_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        raise ParamMissing(name)
    return _str(name, value)


def optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return None if value is None else _str(name, value)


def _str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ParamInvalid(name, "it must be a string")
    if not value.strip() or "\x00" in value:
        raise ParamInvalid(name, "it must not be blank")
    return value


def optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if type(value) is not int or not -_INT64_MAX <= value <= _INT64_MAX:
        raise ParamInvalid(name, "it must be an integer")
    return value


def optional_dict(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise ParamInvalid(name, "it must be a JSON object")
    return value


def str_list(body: dict[str, Any], name: str) -> list[str]:
    """A list of strings; a single string is accepted as a list of one."""
    value = body.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ParamInvalid(name, "it must be a list of strings")
    return [_str(name, v) for v in value]


def page(request: Request, *, default_limit: int = 10, max_limit: int = 500) -> tuple[int, int]:
    """``limit`` (1..max) and ``offset`` (>= 0) from the query string."""
    return (
        _query_int(request, "limit", default_limit, 1, max_limit),
        _query_int(request, "offset", 0, 0, _INT64_MAX),
    )


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ParamInvalid(name, f"it must be a whole number from {low} to {high}")
    return int(text)


# Go's strconv.ParseBool, which Clerk's server reads query booleans with.
_BOOLEANS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}


def query_text(query: QueryParams, name: str) -> str | None:
    """The first value of a query parameter (a NUL character in it is a 422)."""
    values = query.getlist(name)
    if not values:
        return None
    if "\x00" in values[0]:
        raise ParamInvalid(name, "it must not contain NUL characters")
    return values[0]


def query_bool(query: QueryParams, name: str) -> bool | None:
    """A query boolean: true/false (or Go's other spellings, such as 1/0)."""
    text = query_text(query, name)
    if text is None:
        return None
    if text not in _BOOLEANS:
        raise ParamInvalid(name, "it must be true or false")
    return _BOOLEANS[text]

"""What the server enforces, written into the OpenAPI document.

Clerk's definitions say what a field is in Clerk; Tessera's server reads fewer fields and
checks some more closely (a blank id, an offset past 64 bits, an Idempotency-Key with spaces,
a URL that is not http(s)). Each rule is stated here, next to the code that enforces it, so
that a client (or a fuzzer) reading the document knows which requests are accepted: fields
the server does not read are accepted with any value, as the server accepts them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["INT64_MAX", "NON_BLANK", "URL", "URL_PATTERN", "tighten"]

INT64_MAX = 2**63 - 1
# params._str: a string with something besides whitespace in it, and no NUL.
NON_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# users.normalize_email: trimmed and lower-cased, then one @, a dot in the domain, no spaces.
_EMAIL_PATTERN = r"^\s*[^@\s\x00]{1,64}@[^@\s\x00]+\.[^@\s\x00]+\s*$"
EMAIL: dict[str, Any] = {"type": "string", "pattern": _EMAIL_PATTERN, "maxLength": 320}
# instance_settings.check_url: absolute https, or plain http to this machine only (localhost,
# 127.0.0.0/8, [::1]); a host, no fragment, no spaces or controls.
_HOST = r"[^/?#\[\]\s\x00-\x1f*]+"
_REST = r"[^#\s\x00-\x1f]"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_LOOPBACK = rf"([Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]|127(\.{_OCTET}){{3}}|\[::1\])"
_ORIGIN = (
    rf"([Hh][Tt][Tt][Pp][Ss]://{_HOST}"
    rf"|[Hh][Tt][Tt][Pp]://([^/?#\[\]\s\x00-\x1f*]*@)?{_LOOPBACK}(:[^/?#\[\]\s\x00-\x1f*@]*)?)"
)
URL: dict[str, Any] = {
    "type": "string",
    "maxLength": 2048,
    "pattern": rf"^{_ORIGIN}([/?]{_REST}*)?$",
}
# An allowed_redirect_urls entry may end in * after a path ("https://app.example.com/*").
URL_PATTERN: dict[str, Any] = {
    "type": "string",
    "maxLength": 2048,
    "pattern": rf"^{_ORIGIN}(/{_REST}*|\?({_REST}*[^#*\s\x00-\x1f])?)?$",
}
# idempotency._check: visible ASCII.
IDEMPOTENCY_KEY = r"^[!-~]+$"
_STRING = {"type": "string", "pattern": NON_BLANK, "nullable": True}
_METADATA = {"type": "object", "nullable": True}
_IGNORED = "Accepted and ignored by Tessera."

# The fields each body the server reads, as it reads them; every other field is ignored.
_USER_FIELDS = {
    "external_id": _STRING,
    "username": _STRING,
    "first_name": _STRING,
    "last_name": _STRING,
    "public_metadata": _METADATA,
    "private_metadata": _METADATA,
}
_READS: dict[tuple[str, str], dict[str, Any]] = {
    ("/v1/users", "post"): {
        **_USER_FIELDS,
        "email_address": {"anyOf": [{"type": "array", "items": EMAIL, "nullable": True}, EMAIL]},
    },
    ("/v1/users/{user_id}", "patch"): _USER_FIELDS,
    ("/v1/sign_in_tokens", "post"): {
        "user_id": {"type": "string", "pattern": NON_BLANK},
        "expires_in_seconds": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100 * 365 * 86400,  # tokens.MAX_LIFETIME
            "nullable": True,
        },
        "redirect_url": {**URL, "nullable": True},
    },
    ("/v1/client/sign_ins", "post"): {
        "strategy": {"type": "string", "enum": ["ticket"]},
        "ticket": {"type": "string", "pattern": NON_BLANK},
    },
    ("/v1/instance", "patch"): {
        "sign_in_url": {**URL, "nullable": True},
        "after_sign_in_url": {**URL, "nullable": True},
        "allowed_redirect_urls": {"type": "array", "items": URL_PATTERN},
        "session_lifetime": {"type": "integer", "minimum": 60, "maximum": 366 * 86400},
        "signing_algorithm": {"type": "string", "enum": ["RS256", "EdDSA"]},
    },
}
# Bodies that may be left out: the server reads a missing body as {}.
_OPTIONAL_BODIES = (
    ("/v1/users", "post"),
    ("/v1/users/{user_id}", "patch"),
    ("/v1/instance", "patch"),
)


def tighten(paths: dict[str, dict[str, Any]], components: dict[str, Any]) -> None:
    """State in the document (changed in place) what the server enforces."""
    for (path, method), reads in _READS.items():
        operation = paths[path][method]
        operation["requestBody"]["required"] = (path, method) not in _OPTIONAL_BODIES
        for schema in _body_schemas(operation):
            schema.pop("additionalProperties", None)  # unknown fields are ignored
            properties = schema.setdefault("properties", {})
            for name, field in properties.items():
                if name not in reads:
                    said = field.get("description")
                    properties[name] = {
                        "description": f"{said}\n\n{_IGNORED}" if said else _IGNORED
                    }
            for name, rule in reads.items():
                properties[name] = {**properties.get(name, {}), **rule}
                properties[name].pop("type" if "anyOf" in rule else "anyOf", None)
    parameters = [
        p for ops in paths.values() for op in ops.values() for p in op.get("parameters", [])
    ]
    for param in [*parameters, *components.get("parameters", {}).values()]:
        if param.get("in") == "query" and param.get("name") == "offset":
            param["schema"]["maximum"] = INT64_MAX
        if param.get("in") == "header" and param.get("name") == "Idempotency-Key":
            param["schema"]["pattern"] = IDEMPOTENCY_KEY


def _body_schemas(operation: dict[str, Any]) -> list[dict[str, Any]]:
    content = operation.get("requestBody", {}).get("content", {})
    return [media["schema"] for media in content.values() if "schema" in media]

"""What the server enforces, written into the OpenAPI document.

Clerk's definitions say what a field is; Tessera's server also refuses some values Clerk's
document allows (a blank id, an offset past 64 bits, an Idempotency-Key with spaces). Each
such rule is stated here, beside the code that enforces it, so that a client (or a fuzzer)
reading the document knows exactly which requests are accepted.
"""

from __future__ import annotations

from typing import Any

__all__ = ["INT64_MAX", "NON_BLANK", "tighten"]

INT64_MAX = 2**63 - 1
# params._str: a string with something besides whitespace in it, and no NUL.
NON_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# users.normalize_email: trimmed and lower-cased, then one @, a dot in the domain, no spaces.
EMAIL = r"^\s*[^@\s\x00]{1,64}@[^@\s\x00]+\.[^@\s\x00]+\s*$"
# idempotency._check: visible ASCII.
IDEMPOTENCY_KEY = r"^[!-~]+$"

# (path, method) -> body fields read as non-blank strings (params.required_str/optional_str).
_NON_BLANK_FIELDS = {
    ("/v1/sign_in_tokens", "post"): ("user_id",),
    ("/v1/client/sign_ins", "post"): ("ticket",),
    ("/v1/users", "post"): ("external_id", "username", "first_name", "last_name"),
    ("/v1/users/{user_id}", "patch"): ("external_id", "username", "first_name", "last_name"),
}
# Bodies that may be left out entirely: the server reads a missing body as {}.
_OPTIONAL_BODIES = (("/v1/users", "post"), ("/v1/users/{user_id}", "patch"))


def tighten(paths: dict[str, dict[str, Any]]) -> None:
    """State in ``paths`` (the document's, changed in place) what the server enforces."""
    for (path, method), names in _NON_BLANK_FIELDS.items():
        for schema in _body_schemas(paths[path][method]):
            for name in names:
                if name in schema.get("properties", {}):
                    schema["properties"][name]["pattern"] = NON_BLANK
    for path, method in _OPTIONAL_BODIES:
        paths[path][method]["requestBody"]["required"] = False
    for schema in _body_schemas(paths["/v1/users"]["post"]):
        emails = schema["properties"]["email_address"]
        emails["items"] = {**emails.get("items", {}), "pattern": EMAIL, "maxLength": 320}
    for operations in paths.values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param.get("in") == "query" and param["name"] == "offset":
                    param["schema"]["maximum"] = INT64_MAX
                if param.get("in") == "header" and param["name"] == "Idempotency-Key":
                    param["schema"]["pattern"] = IDEMPOTENCY_KEY


def _body_schemas(operation: dict[str, Any]) -> list[dict[str, Any]]:
    content = operation.get("requestBody", {}).get("content", {})
    return [media["schema"] for media in content.values() if "schema" in media]

"""Tessera's OpenAPI description of the link, the redemption and the instance settings.

The link's page answers HTML (``text/html``), so only its statuses are described; the JSON
answers use Clerk's error shape. ``POST /v1/client/sign_ins`` is Clerk's Frontend API
operation, described here in the part Tessera serves (the ticket strategy).
"""

from __future__ import annotations

from typing import Any

__all__ = ["REDEMPTION_OPERATIONS", "REDIRECT_URL_PARAM"]

_ERRORS = {"$ref": "#/components/responses/ClerkErrors"}
_NO_STORE = {"Cache-Control": {"schema": {"type": "string", "enum": ["no-store"]}}}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _redirect(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Location": {"schema": {"type": "string"}}, **_NO_STORE},
    }


REDIRECT_URL_PARAM: dict[str, Any] = {
    "type": "string",
    "nullable": True,
    "description": "Tessera: where the link's Continue lands. Must be one of the instance's "
    "allowed_redirect_urls when the token is created (422 otherwise).",
}

_TICKET_FORM = {
    "type": "object",
    "properties": {
        "ticket": {"type": "string"},
        "csrf": {"type": "string", "description": "The form token the page embedded"},
    },
}
_SIGN_IN_FORM = {
    "type": "object",
    "required": ["strategy", "ticket"],
    "properties": {
        "strategy": {"type": "string", "enum": ["ticket"]},
        "ticket": {"type": "string"},
    },
}
_TOKEN = {
    "type": "object",
    "required": ["object", "jwt"],
    "properties": {"object": {"type": "string", "enum": ["token"]}, "jwt": {"type": "string"}},
}
_SESSION = {
    "type": "object",
    "required": ["object", "id", "status", "expire_at", "abandon_at", "last_active_at"],
    "properties": {
        "object": {"type": "string", "enum": ["session"]},
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "revoked", "ended", "expired"]},
        "expire_at": {"type": "integer", "format": "int64"},
        "abandon_at": {"type": "integer", "format": "int64"},
        "last_active_at": {"type": "integer", "format": "int64"},
        "last_active_token": _TOKEN,
    },
}
_SIGN_IN_RESPONSE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["response", "client"],
    "properties": {
        "response": {
            "type": "object",
            "required": ["object", "id", "status", "created_session_id"],
            "properties": {
                "object": {"type": "string", "enum": ["sign_in_attempt"]},
                "id": {"type": "string"},
                "status": {"type": "string", "enum": ["complete"]},
                "created_session_id": {"type": "string"},
            },
        },
        "client": {
            "type": "object",
            "required": ["object", "id", "sessions", "last_active_session_id"],
            "properties": {
                "object": {"type": "string", "enum": ["client"]},
                "id": {"type": "string"},
                "sessions": {"type": "array", "items": _SESSION},
                "last_active_session_id": {"type": "string"},
            },
        },
    },
}
_SETTINGS = {
    "type": "object",
    "description": "Tessera's redemption settings; Clerk's own fields are accepted and ignored.",
    "properties": {
        "sign_in_url": {"type": "string", "nullable": True},
        "after_sign_in_url": {"type": "string", "nullable": True},
        "allowed_redirect_urls": {"type": "array", "items": {"type": "string"}},
        "session_lifetime": {"type": "integer", "minimum": 60, "maximum": 31622400},
        "signing_algorithm": {"type": "string", "enum": ["RS256", "EdDSA"]},
    },
}
_PAGE_ERRORS = {
    "400": _html("This link is no longer valid (one page for every reason)"),
    "429": _html("Too many failed attempts from this address (with Retry-After)"),
}

REDEMPTION_OPERATIONS: dict[str, dict[str, Any]] = {
    "/v1/tickets/accept": {
        "get": {
            "operationId": "AcceptTicketPage",
            "summary": "The sign-in link: a page with a Continue button; changes nothing",
            "tags": ["Sign-in Tokens"],
            "security": [],
            "parameters": [{"name": "ticket", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                "200": _html("Whom the link signs in, and a Continue button"),
                "303": _redirect("To the instance's sign_in_url with __clerk_ticket"),
                "400": _PAGE_ERRORS["400"],
            },
        },
        "post": {
            "operationId": "AcceptTicket",
            "summary": "Continue: redeem the ticket, set the __session cookie, redirect",
            "tags": ["Sign-in Tokens"],
            "security": [],
            "requestBody": {
                "content": {"application/x-www-form-urlencoded": {"schema": _TICKET_FORM}}
            },
            "responses": {
                "200": _html("Signed in (the instance names no page to go to)"),
                "303": _redirect("To the token's redirect_url or the after_sign_in_url"),
                **_PAGE_ERRORS,
                "403": _html("Not posted from the page (form token and cookie differ)"),
                "413": _ERRORS,
                "415": _ERRORS,
                "422": _ERRORS,
            },
        },
    },
    "/v1/client/sign_ins": {
        "post": {
            "operationId": "CreateSignInWithTicket",
            "summary": "Redeem a ticket (strategy=ticket): a complete SignIn and its session",
            "tags": ["Sign-in Tokens"],
            "security": [],
            "requestBody": {
                "content": {
                    "application/json": {"schema": _SIGN_IN_FORM},
                    "application/x-www-form-urlencoded": {"schema": _SIGN_IN_FORM},
                }
            },
            "responses": {
                "200": {
                    "description": "Signed in",
                    "content": {"application/json": {"schema": _SIGN_IN_RESPONSE}},
                },
                "400": _ERRORS,
                "413": _ERRORS,
                "415": _ERRORS,
                "422": _ERRORS,
                "429": _ERRORS,
            },
        }
    },
    "/v1/instance": {
        "patch": {
            "operationId": "UpdateInstance",
            "summary": "Update the instance's redemption settings",
            "tags": ["Instance Settings"],
            "requestBody": {"content": {"application/json": {"schema": _SETTINGS}}},
            "responses": {"204": {"description": "Updated"}},
        }
    },
}

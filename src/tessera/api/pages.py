"""The small HTML pages a sign-in link opens. Self-contained: no third-party resources, one
inline style and one inline script allowed by hash in a strict Content-Security-Policy.

The script removes the ticket from the address bar (and so from history and bookmarks) as
soon as the page loads. Every page is ``no-store`` and ``no-referrer``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from html import escape
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse

from tessera.models import User

__all__ = ["confirm", "mask_email", "signed_in", "start_again", "too_many", "unusable"]

SCRIPT = 'history.replaceState(null, "", location.pathname);'
STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:4rem auto;padding:0 1rem;"
    "color:#1d1d1f}h1{font-size:1.4rem}button{font:inherit;padding:.6rem 1.6rem;border:0;"
    "border-radius:.4rem;background:#2b59c3;color:#fff;cursor:pointer}.note{color:#666;"
    "font-size:.9rem}"
)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


SCRIPT_SOURCE, STYLE_SOURCE = _sha256(SCRIPT), _sha256(STYLE)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _headers(form_targets: Iterable[str]) -> dict[str, str]:
    targets = " ".join(["'self'", *sorted({_origin(u) for u in form_targets})])
    csp = (
        f"default-src 'none'; script-src {SCRIPT_SOURCE}; style-src {STYLE_SOURCE}; "
        f"base-uri 'none'; frame-ancestors 'none'; form-action {targets}"
    )
    return {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


def _page(title: str, body: str, status: int, form_targets: Iterable[str] = ()) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main><script>{SCRIPT}</script></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_headers(form_targets))


def _mask(text: str) -> str:
    return (text[:1] or "*") + "***"


def mask_email(address: str) -> str:
    """``jane.doe@example.com`` → ``j***@e***.com``: enough to recognise, little to harvest."""
    local, _, domain = address.partition("@")
    host, dot, rest = domain.partition(".")
    return f"{_mask(local)}@{_mask(host)}{dot}{rest}"


def account_label(user: User) -> str:
    if user.email_addresses:
        return mask_email(user.email_addresses[0].email_address)
    if user.username:
        return _mask(user.username)
    return "your account"


def confirm(
    user: User, ticket: str, action: str, lands_on: str | None, form_token: str
) -> HTMLResponse:
    """The link's page: whom it signs in, and a Continue button that POSTs the ticket with
    ``form_token`` (the value of the cookie the caller sets with it)."""
    body = (
        "<h1>Sign in</h1>"
        f"<p>Continue to sign in as <strong>{escape(account_label(user))}</strong>.</p>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="ticket" value="{escape(ticket)}">'
        f'<input type="hidden" name="csrf" value="{escape(form_token)}">'
        '<button type="submit">Continue</button></form>'
        '<p class="note">This link works once. If you did not ask to sign in, close this page.</p>'
    )
    return _page("Sign in", body, 200, [lands_on] if lands_on else [])


def unusable() -> HTMLResponse:
    """The one page for every unusable ticket, whatever the reason."""
    body = (
        "<h1>This link is no longer valid</h1>"
        "<p>Sign-in links work once and for a limited time. Ask for a new one.</p>"
    )
    return _page("Link no longer valid", body, 400)


def start_again() -> HTMLResponse:
    """A Continue that did not come from the page this browser was shown (or its cookie was
    lost): nothing was done, and the link still works."""
    body = (
        "<h1>Open the link again</h1>"
        "<p>This sign-in could not be confirmed. Open the link from your message again.</p>"
    )
    return _page("Open the link again", body, 403)


def too_many(retry_after: int) -> HTMLResponse:
    body = (
        "<h1>Too many attempts</h1>"
        f"<p>Please wait {max(1, retry_after // 60)} minute(s) before trying again.</p>"
    )
    response = _page("Too many attempts", body, 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def signed_in() -> HTMLResponse:
    """Where Continue ends when the instance names no page to go to."""
    return _page("Signed in", "<h1>You are signed in</h1><p>You can close this page.</p>", 200)

"""The sign-in link and the redemption: ``/v1/tickets/accept`` and ``/v1/client/sign_ins``.

``GET /v1/tickets/accept`` never changes anything (mail scanners and link previews fetch
links): it shows whom the link signs in and a Continue button, or redirects to the instance's
own ``sign_in_url`` with ``__clerk_ticket``. Continue POSTs back here, which redeems, sets the
``__session`` cookie and redirects. The page answers every unusable ticket with the same HTML
(the reason is logged by the domain), so these two routes turn errors into pages themselves;
``POST /v1/client/sign_ins`` lets them through to Clerk's JSON errors.

Login CSRF (another site making a browser sign in to the attacker's account) is closed by a
double-submit form token: the page sets a random value in an HttpOnly, SameSite=Strict cookie
(``__Host-`` prefixed and Secure behind https, so no other host can plant it) and embeds the
same value in the form; Continue is accepted only when the two are equal. Another site can
make a browser post a form, but neither read nor set that cookie. Browsers that send
``Sec-Fetch-Site`` have cross-site posts refused before that. ``Origin`` cannot serve: under
the page's no-referrer policy a browser sends ``Origin: null``.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tessera import crypto, instance_settings, redemption
from tessera.api import client_shapes, pages, params
from tessera.api.context import Context, json_response
from tessera.errors import ParamInvalid, TicketUnusable, TooManyRequests

__all__ = ["ACCEPT_PATH", "SESSION_COOKIE", "routes"]

ACCEPT_PATH = "/v1/tickets/accept"
SESSION_COOKIE = "__session"
_CROSS_SITE = ("cross-site", "same-site")
CSRF_FIELD = "csrf"
_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def _with_ticket(sign_in_url: str, ticket: str) -> str:
    joiner = "&" if urlsplit(sign_in_url).query else "?"
    return f"{sign_in_url}{joiner}__clerk_ticket={quote(ticket, safe='')}"


def _see_other(url: str) -> Response:
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    return RedirectResponse(url, status_code=303, headers=headers)


def _form_token(value: object) -> str | None:
    return value if isinstance(value, str) and _FORM_TOKEN.fullmatch(value) else None


def routes(ctx: Context) -> list[Route]:
    limit = redemption.RateLimit(ctx.settings.redeem_rate_limit, ctx.settings.redeem_rate_window)
    secure_cookie = urlsplit(ctx.settings.public_url).scheme == "https"
    csrf_cookie = "__Host-tessera_csrf" if secure_cookie else "tessera_csrf"

    def from_the_page(request: Request, body: dict[str, object]) -> bool:
        """Whether the form token posted equals the page's cookie (both well formed)."""
        cookie = _form_token(request.cookies.get(csrf_cookie))
        field = _form_token(body.get(CSRF_FIELD))
        return (
            cookie is not None and field is not None and crypto.constant_time_equal(cookie, field)
        )

    async def redeem(request: Request, ticket: str) -> redemption.Redemption:
        return await redemption.redeem(
            ctx.store,
            ticket,
            now=ctx.clock(),
            public_url=ctx.settings.public_url,
            client_address=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
            limit=limit,
            origin=request.headers.get("origin"),
        )

    async def show(request: Request) -> Response:
        ticket = request.query_params.get("ticket", "")
        try:
            view = await redemption.preview(ctx.store, ticket, now=ctx.clock())
        except TicketUnusable:
            return pages.unusable()
        if view.settings.sign_in_url:
            return _see_other(_with_ticket(view.settings.sign_in_url, ticket))
        if view.unusable is not None or view.user is None:
            return pages.unusable()
        lands_on = instance_settings.landing(view.settings, view.token)
        action = ctx.settings.public_url + ACCEPT_PATH
        # One token per browser, not per page: two links open at once both still work.
        form_token = _form_token(request.cookies.get(csrf_cookie)) or secrets.token_urlsafe(32)
        response = pages.confirm(view.user, ticket, action, lands_on, form_token)
        response.set_cookie(
            csrf_cookie,
            form_token,
            path="/",
            secure=secure_cookie,
            httponly=True,
            samesite="strict",
        )
        return response

    async def accept(request: Request) -> Response:
        # Login CSRF: only the page itself may post a ticket here. (Origin is "null" under
        # Referrer-Policy: no-referrer, so Sec-Fetch-Site is what browsers tell us.)
        if request.headers.get("sec-fetch-site", "same-origin") in _CROSS_SITE:
            return pages.unusable()
        body = await params.form_or_json_body(request)
        if not from_the_page(request, body):
            return pages.start_again()
        ticket = body.get("ticket")
        try:
            done = await redeem(request, ticket if isinstance(ticket, str) else "")
        except TicketUnusable:
            return pages.unusable()
        except TooManyRequests as exc:
            return pages.too_many(exc.retry_after)
        lands_on = instance_settings.landing(done.settings, done.token)
        response = _see_other(lands_on) if lands_on else pages.signed_in()
        response.set_cookie(
            SESSION_COOKIE,
            done.session_token,
            max_age=max(0, int((done.session.expire_at - ctx.clock()).total_seconds())),
            path="/",
            secure=secure_cookie,
            httponly=True,
            samesite="lax",
        )
        return response

    async def sign_in(request: Request) -> Response:
        body = await params.form_or_json_body(request)
        strategy = params.required_str(body, "strategy")
        if strategy != "ticket":
            raise ParamInvalid("strategy", "Tessera signs in with the ticket strategy only")
        done = await redeem(request, params.required_str(body, "ticket"))
        return json_response(client_shapes.sign_in_response(done))

    return [
        Route(ACCEPT_PATH, show, methods=["GET"]),
        Route(ACCEPT_PATH, accept, methods=["POST"]),
        Route("/v1/client/sign_ins", sign_in, methods=["POST"]),
    ]

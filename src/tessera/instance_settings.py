"""An instance's redemption settings: where links lead, which redirects are allowed, what a
session lasts and how its token is signed. No HTTP, no SQL."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from tessera.config import clear_text_off_loopback
from tessera.errors import NotFound, ParamInvalid
from tessera.models import InstanceSettings, SignInToken
from tessera.store import Store

__all__ = [
    "MAX_SESSION_LIFETIME",
    "check_url",
    "get",
    "landing",
    "redirect_allowed",
    "update",
]

log = logging.getLogger(__name__)

MAX_SESSION_LIFETIME = 366 * 86400
MAX_URL = 2048


def check_url(name: str, value: Any, *, wildcard: bool = False) -> str:
    """An absolute URL without a fragment (``*`` at the end allowed for patterns): https, or
    plain http on loopback only, the rule TESSERA_PUBLIC_URL follows."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        raise ParamInvalid(name, "it must be an absolute http or https URL")
    try:
        url = urlsplit(value.removesuffix("*") if wildcard else value)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host
        raise ParamInvalid(name, "it must be an absolute http or https URL") from None
    if url.scheme not in ("http", "https") or not url.netloc or url.fragment:
        raise ParamInvalid(name, "it must be an absolute http or https URL without a fragment")
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ParamInvalid(name, "it must not contain spaces or control characters")
    if clear_text_off_loopback(url.geturl()):
        raise ParamInvalid(name, "it must be an https URL (plain http only to this machine)")
    if wildcard and value.endswith("*") and not url.path.startswith("/"):
        # "https://app.example.com*" would also match https://app.example.com.evil.test
        raise ParamInvalid(name, "a pattern must end in /* or a longer path followed by *")
    return value


def redirect_allowed(settings: InstanceSettings, url: str) -> bool:
    """Whether ``url`` is one of the allowed redirect URLs: equal to an entry, or starting
    with an entry's text before its final ``*``."""
    for entry in settings.allowed_redirect_urls:
        if entry.endswith("*") and url.startswith(entry[:-1]):
            return True
        if url == entry:
            return True
    return False


def landing(settings: InstanceSettings, token: SignInToken) -> str | None:
    """Where Continue lands: the token's ``redirect_url`` while the allow-list still names
    it, else the instance's ``after_sign_in_url``. An operator who removes an entry means
    "send no one there any more"; whether a pending link signs in at all is what revoking
    tokens decides, so the person still signs in, on the instance's own page."""
    if token.redirect_url is None:
        return settings.after_sign_in_url
    if redirect_allowed(settings, token.redirect_url):
        return token.redirect_url
    log.warning(
        "sign-in token %s: its redirect_url is no longer allowed; landing on after_sign_in_url",
        token.id,
    )
    return settings.after_sign_in_url


async def get(store: Store, instance_id: str) -> InstanceSettings:
    settings = await store.instances.settings(instance_id)
    if settings is None:
        raise NotFound(f"No instance was found with id {instance_id}")
    return settings


async def update(store: Store, instance_id: str, changes: dict[str, Any]) -> InstanceSettings:
    """Check and store the given settings (``None`` clears a URL); the settings after."""
    clean: dict[str, Any] = {}
    for name in ("sign_in_url", "after_sign_in_url"):
        if name in changes:
            value = changes[name]
            clean[name] = None if value is None else check_url(name, value)
    if "allowed_redirect_urls" in changes:
        urls = changes["allowed_redirect_urls"]
        if not isinstance(urls, list | tuple):
            raise ParamInvalid("allowed_redirect_urls", "it must be a list of URLs")
        clean["allowed_redirect_urls"] = tuple(
            check_url("allowed_redirect_urls", u, wildcard=True) for u in urls
        )
    if "session_lifetime" in changes:
        lifetime = changes["session_lifetime"]
        if type(lifetime) is not int or not 60 <= lifetime <= MAX_SESSION_LIFETIME:
            raise ParamInvalid(
                "session_lifetime", f"it must be whole seconds from 60 to {MAX_SESSION_LIFETIME}"
            )
        clean["session_lifetime"] = lifetime
    if "signing_algorithm" in changes:
        if changes["signing_algorithm"] not in ("RS256", "EdDSA"):
            raise ParamInvalid("signing_algorithm", "it must be RS256 or EdDSA")
        clean["signing_algorithm"] = changes["signing_algorithm"]
    if not await store.instances.update_settings(instance_id, clean):
        raise NotFound(f"No instance was found with id {instance_id}")
    return await get(store, instance_id)

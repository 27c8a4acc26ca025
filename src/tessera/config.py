"""Settings: one frozen value, built from the environment and flags, checked at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tessera import crypto
from tessera.errors import ConfigError
from tessera.sealed import Keyring

__all__ = ["SECRET_KEY_PREFIXES", "Settings", "clear_text_off_loopback", "parse_duration"]

SECRET_KEY_PREFIXES = ("sk_test_", "sk_live_")
_DURATION = re.compile(r"(\d+)\s*([smhdw]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> int:
    """Seconds in ``"600"``, ``"10m"``, ``"12h"``, ``"30d"`` or ``"2w"``; ValueError otherwise."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a duration such as 600, 10m, 12h, 30d or 2w")
    return int(match[1]) * _UNIT_SECONDS[match[2]]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clear_text_off_loopback(url: str) -> bool:
    """Whether ``url`` is plain http to a host other than this machine: refused for every URL
    a person is sent to (links, sign-in pages, landing pages), as it would travel in clear."""
    parts = urlsplit(url)
    return parts.scheme == "http" and not _is_loopback(parts.hostname or "")


@dataclass(frozen=True)
class Settings:
    """Everything a Tessera process is configured with. Secrets stay out of ``repr``."""

    database_url: str = "sqlite:///./tessera.db"
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = field(default=None, repr=False)
    max_token_lifetime: int | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    read_timeout: float = 10.0  # seconds a request may take to arrive, headers and body
    log_level: str = "info"
    # Failed ticket redemptions allowed per client address per window (0: no limit).
    redeem_rate_limit: int = 30
    redeem_rate_window: int = 600
    # TESSERA_ENCRYPTION_KEY (and _PREVIOUS_): seals the signing keys' private halves at rest.
    keyring: Keyring = field(default_factory=Keyring, repr=False)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = 1,
        read_timeout: float = 10.0,
    ) -> Settings:
        """Read ``TESSERA_*`` variables; raise :class:`ConfigError` saying what to change."""
        env = os.environ if env is None else env
        lifetime = env.get("TESSERA_MAX_TOKEN_LIFETIME") or None
        try:
            max_lifetime = parse_duration(lifetime) if lifetime else None
        except ValueError as exc:
            raise ConfigError(f"TESSERA_MAX_TOKEN_LIFETIME: {exc}.") from None
        rate_limit = env.get("TESSERA_REDEEM_RATE_LIMIT") or str(cls.redeem_rate_limit)
        if not rate_limit.isascii() or not rate_limit.isdigit():
            raise ConfigError("TESSERA_REDEEM_RATE_LIMIT must be a whole number (0: no limit).")
        try:
            rate_window = parse_duration(env.get("TESSERA_REDEEM_RATE_WINDOW") or "10m")
        except ValueError as exc:
            raise ConfigError(f"TESSERA_REDEEM_RATE_WINDOW: {exc}.") from None
        settings = cls(
            database_url=env.get("TESSERA_DATABASE_URL") or cls.database_url,
            public_url=(env.get("TESSERA_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/"),
            secret_key=env.get("TESSERA_SECRET_KEY") or None,
            max_token_lifetime=max_lifetime,
            host=host,
            port=port,
            workers=workers,
            read_timeout=read_timeout,
            log_level=(env.get("TESSERA_LOG_LEVEL") or "info").lower(),
            redeem_rate_limit=int(rate_limit),
            redeem_rate_window=rate_window,
            keyring=Keyring.from_env(env),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that would make links unusable or unsafe."""
        url = urlsplit(self.public_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(
                f"TESSERA_PUBLIC_URL must be an absolute http(s) URL, not {self.public_url!r}."
            )
        if url.query or url.fragment:
            raise ConfigError("TESSERA_PUBLIC_URL must not have a query or a fragment.")
        if url.hostname in ("0.0.0.0", "::"):  # noqa: S104 - we refuse it, not bind it
            raise ConfigError(
                "Links would point at 0.0.0.0: set TESSERA_PUBLIC_URL to the address users "
                "reach this server at (for example https://auth.example.com)."
            )
        if clear_text_off_loopback(self.public_url):
            raise ConfigError(
                f"TESSERA_PUBLIC_URL is plain http on {url.hostname}: sign-in links would travel "
                "in clear text. Use an https URL (terminate TLS in front of Tessera)."
            )
        if self.secret_key is not None and not any(
            crypto.is_well_formed(self.secret_key, p) for p in SECRET_KEY_PREFIXES
        ):
            raise ConfigError(
                "TESSERA_SECRET_KEY is not a Tessera secret key (sk_test_ or sk_live_, 256 "
                "random bits and a checksum): make one with `tessera keygen`, or leave it "
                "unset and one is made on first start."
            )
        if self.redeem_rate_limit < 0 or self.redeem_rate_window < 1:
            raise ConfigError("The redemption rate limit must be >= 0 per a window of >= 1 s.")
        if self.workers < 1:
            raise ConfigError("--workers must be at least 1.")
        if not 0 < self.read_timeout <= 3600:
            raise ConfigError("--read-timeout must be more than 0 and at most 3600 seconds.")
        if self.log_level not in ("critical", "error", "warning", "info", "debug"):
            raise ConfigError("TESSERA_LOG_LEVEL must be one of error, warning, info, debug.")

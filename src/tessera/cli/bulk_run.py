"""One bulk issue in progress (``tessera tokens issue``): each row to a link, or a reason.

``Run`` finds a row's user (a batch at a time), creates the token, appends the link to the
ledger (with a journal line before the create, for ``recover`` after a kill) and counts.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tessera.cli.ledger import InputRow
from tessera.cli.output import CommandError

if TYPE_CHECKING:
    from tessera.cli.backend import Backend, Json
    from tessera.cli.ledger import Journal, Ledger
    from tessera.cli.progress import Reporter

__all__ = ["Run", "Tally", "identifier", "normal_email"]

CLOCK_SKEW_MS = 5 * 60 * 1000  # how far the server's clock may be behind ours, for recovery
_FATAL_CODES = {"clerk_key_invalid", "authorization_header_format_invalid"}


@dataclass
class Tally:
    issued: int = 0
    skipped: int = 0
    created_users: int = 0
    recovered: int = 0
    failed: list[int] = field(default_factory=list)


@dataclass
class Run:
    """One bulk issue in progress: the backend, the files, the options and the counts."""

    backend: Backend
    ledger: Ledger
    journal: Journal
    reporter: Reporter
    args: argparse.Namespace
    tally: Tally = field(default_factory=Tally)
    last_created_ms: int | None = None
    known: dict[tuple[str, str | None], Json] = field(default_factory=dict)  # found by look_up

    async def row(self, row: InputRow) -> None:
        """Issue one row's link, or report why not; raise only what must stop the run."""
        try:
            outcome = await self._issue(row)
        except CommandError as exc:
            if exc.fatal or exc.code in _FATAL_CODES:
                raise
            outcome = self._failed(row, str(exc))
        except Exception as exc:
            from tessera.errors import ConfigError, TesseraError

            if not isinstance(exc, TesseraError) or isinstance(exc, ConfigError):
                raise
            outcome = self._failed(row, exc.long_message)
        self.reporter.advance(outcome)

    def _failed(self, row: InputRow, message: str) -> str:
        self.tally.failed.append(row.line)
        self.reporter.problem(f"line {row.line}: {message.rstrip('.')}.")
        return "failed"

    async def _issue(self, row: InputRow) -> str:
        kind, value = identifier(row)
        if self.ledger.holds(kind, value):
            self.tally.skipped += 1
            return "skipped"
        user = await self._user(row)
        if user is None:
            what = "email" if "email" in row.values else "external_id"
            return self._failed(
                row, f"no user with {what} {row.values[what]} (--create-missing creates it)"
            )
        if self.ledger.holds("user_id", user["id"]):
            self.tally.skipped += 1
            return "skipped"
        return await self._link(row, user)

    async def _user(self, row: InputRow) -> Json | None:
        """The row's user: by id (checked by the create itself), email, then external id."""
        values = row.values
        if "user_id" in values:
            return {"id": values["user_id"], "email_addresses": []}
        for kind in ("email", "external_id"):
            if (kind, values.get(kind)) in self.known:
                return self.known[kind, values[kind]]
        if not self.args.create_missing:
            return None
        names = ("external_id", "first_name", "last_name", "username")
        user = await self.backend.create_user(
            [values["email"]] if "email" in values else [],
            {k: values[k] for k in names if k in values},
        )
        self.tally.created_users += 1
        self._remember(user)
        return user

    async def look_up(self, rows: list[InputRow]) -> None:
        """Find the users of a batch of rows in two queries (by email, by external id).

        One query per row would cost a round trip each over the API, and the store answers
        a query for 100 addresses about as fast as for one.
        """
        self.known.clear()
        wanted: dict[str, set[str]] = {"email": set(), "external_id": set()}
        for row in rows:
            for kind, found in wanted.items():
                value = row.values.get(kind)
                if value is not None and not self.ledger.holds(kind, value):
                    found.add(value)
        for kind, values in wanted.items():
            if values:
                for user in await self.backend.list_users(
                    email=sorted(values) if kind == "email" else [],
                    external_id=sorted(values) if kind == "external_id" else [],
                    limit=len(values),
                    offset=0,
                ):
                    self._remember(user)

    def _remember(self, user: Json) -> None:
        for email in user.get("email_addresses") or []:
            self.known["email", email["email_address"]] = user
        if user.get("external_id"):
            self.known["external_id", user["external_id"]] = user

    async def _link(self, row: InputRow, user: Json) -> str:
        since = self.last_created_ms or int(time.time() * 1000) - CLOCK_SKEW_MS
        self.journal.intent(user["id"], since)
        try:
            token = await self.backend.create_token(
                user["id"],
                expires_in_seconds=self.args.expires,
                redirect_url=self.args.redirect_url,
            )
        except CommandError as exc:
            if not exc.fatal:  # the server answered with an error: nothing was created
                self.journal.clear()
            raise
        except Exception:
            self.journal.clear()  # the store refused it: nothing was created
            raise
        self.last_created_ms = token["created_at"]
        emails = [e["email_address"] for e in user.get("email_addresses") or []]
        self.ledger.append(
            {
                "line": str(row.line),
                "user_id": user["id"],
                "email": row.values.get("email", "").lower() or (emails[0] if emails else ""),
                "external_id": row.values.get("external_id") or user.get("external_id") or "",
                "sign_in_token_id": token["id"],
                "url": token["url"],
            }
        )
        self.tally.issued += 1
        return "issued"

    async def recover(self) -> None:
        """Revoke the token a killed run created but never recorded (see ``ledger.py``)."""
        unfinished = self.journal.unfinished()
        if unfinished is None or self.ledger.holds("user_id", unfinished[0]):
            return
        user_id, since = unfinished
        page = await self.backend.list_tokens(
            user_id=user_id, status="pending", limit=500, offset=0
        )
        for token in page["data"]:
            if token["created_at"] >= since:
                try:
                    await self.backend.revoke_token(token["id"])
                except CommandError:
                    continue  # accepted or revoked meanwhile: pending no more either way
                self.tally.recovered += 1
                self.reporter.problem(
                    f"revoked {token['id']} of {user_id}: created by an interrupted run, "
                    "its link was never recorded; a new one is issued."
                )


def identifier(row: InputRow) -> tuple[str, str]:
    """The row's first identifier, normalised as the output file records it."""
    from tessera.cli.ledger import IDENTIFIERS

    for kind in IDENTIFIERS:
        if kind in row.values:
            value = row.values[kind]
            if kind == "email":
                value = row.values["email"] = normal_email(value)
            return kind, value
    raise CommandError("no user_id, email or external_id", code="row_invalid")


def normal_email(address: str) -> str:
    from tessera.users import normalize_email

    return normalize_email(address)

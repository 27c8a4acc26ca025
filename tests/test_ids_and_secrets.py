"""Ids sort by time; secrets are uniform, checksummed, and refused when altered."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tessera import crypto, ids, tokens


def test_ids_are_prefix_and_27_base62_and_sort_by_creation_time() -> None:
    """Ids made a millisecond apart sort in the order they were made."""
    start = datetime(2026, 11, 28, tzinfo=UTC)
    made = [ids.new_id("sit", start + timedelta(milliseconds=n)) for n in range(0, 5000, 3)]
    assert made == sorted(made)
    assert all(re.fullmatch(r"sit_[0-9A-Za-z]{27}", i) for i in made)
    assert len(set(made)) == len(made)


def test_secrets_have_the_prefix_256_bits_and_a_valid_checksum() -> None:
    """A secret is prefix + 43 base62 + 6 checksum characters, and is well formed."""
    secret = crypto.new_secret("sk_test_")
    assert re.fullmatch(r"sk_test_[0-9A-Za-z]{49}", secret)
    assert crypto.is_well_formed(secret, "sk_test_")
    assert not crypto.is_well_formed(secret, "sk_live_")


def test_a_ticket_names_its_token_and_carries_256_more_bits() -> None:
    """tsit_ + the token id's 27 characters + 43 random + 6 checksum; the id reads back."""
    token_id = ids.new_id("sit", datetime.now(UTC))
    ticket = tokens.new_ticket(token_id)
    assert re.fullmatch(r"tsit_[0-9A-Za-z]{76}", ticket)
    assert ticket.startswith("tsit_" + token_id.removeprefix("sit_"))
    assert tokens.token_id_in(ticket) == token_id
    assert not tokens.is_legacy_ticket(ticket)
    assert tokens.new_ticket(token_id) != ticket  # same token id, fresh secret part


def test_a_ticket_in_the_first_format_is_recognised_as_such() -> None:
    """tsit_ + 43 + 6 (issued before tickets named their token) names no id but is well formed."""
    legacy = crypto.new_secret("tsit_")
    assert tokens.token_id_in(legacy) is None
    assert tokens.is_legacy_ticket(legacy)
    assert not tokens.is_legacy_ticket(legacy[:-1] + ("A" if legacy[-1] != "A" else "B"))


def test_every_base62_character_is_equally_likely() -> None:
    """The rejection sampling leaves no bias: each of 62 characters within 10% of the mean."""
    counts = Counter("".join(crypto.new_secret("x_")[2:45] for _ in range(10_000)))
    assert len(counts) == 62
    mean = sum(counts.values()) / 62
    assert all(abs(c - mean) < mean * 0.1 for c in counts.values())


@pytest.mark.parametrize("position", [5, 20, 31, 47, 74, 80])
def test_a_single_changed_character_fails_the_checksum(position: int) -> None:
    """Typos and forgeries, in the token id part too, are refused before any store lookup."""
    ticket = tokens.new_ticket(ids.new_id("sit", datetime.now(UTC)))
    swapped = "A" if ticket[position] != "A" else "B"
    assert tokens.token_id_in(ticket) is not None
    assert tokens.token_id_in(ticket[:position] + swapped + ticket[position + 1 :]) is None
    assert tokens.token_id_in(ticket + "x") is None
    assert tokens.token_id_in(ticket[:-7] + "-" + ticket[-6:]) is None

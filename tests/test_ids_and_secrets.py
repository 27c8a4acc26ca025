"""Ids sort by time; secrets are uniform, checksummed, and refused when altered."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tessera import crypto, ids


def test_ids_are_prefix_and_27_base62_and_sort_by_creation_time() -> None:
    """Ids made a millisecond apart sort in the order they were made."""
    start = datetime(2026, 11, 28, tzinfo=UTC)
    made = [ids.new_id("sit", start + timedelta(milliseconds=n)) for n in range(0, 5000, 3)]
    assert made == sorted(made)
    assert all(re.fullmatch(r"sit_[0-9A-Za-z]{27}", i) for i in made)
    assert len(set(made)) == len(made)


def test_secrets_have_the_prefix_256_bits_and_a_valid_checksum() -> None:
    """A new ticket is tsit_ + 43 base62 + 6 checksum characters, and is well formed."""
    ticket = crypto.new_secret("tsit_")
    assert re.fullmatch(r"tsit_[0-9A-Za-z]{49}", ticket)
    assert crypto.is_well_formed(ticket, "tsit_")
    assert not crypto.is_well_formed(ticket, "sk_test_")


def test_every_base62_character_is_equally_likely() -> None:
    """The rejection sampling leaves no bias: each of 62 characters within 10% of the mean."""
    counts = Counter("".join(crypto.new_secret("x_")[2:45] for _ in range(10_000)))
    assert len(counts) == 62
    mean = sum(counts.values()) / 62
    assert all(abs(c - mean) < mean * 0.1 for c in counts.values())


@pytest.mark.parametrize("position", [5, 20, 47, 53])
def test_a_single_changed_character_fails_the_checksum(position: int) -> None:
    """Typos and forgeries are refused before any store lookup."""
    ticket = crypto.new_secret("tsit_")
    swapped = "A" if ticket[position] != "A" else "B"
    assert not crypto.is_well_formed(ticket[:position] + swapped + ticket[position + 1 :], "tsit_")
    assert not crypto.is_well_formed(ticket + "x", "tsit_")
    assert not crypto.is_well_formed(ticket[:-7] + "-" + ticket[-6:], "tsit_")

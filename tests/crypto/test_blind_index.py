"""Blind indexes: determinism, normalisation, truncation, CipherSweet's sizing rule."""

from __future__ import annotations

import math
import os

import pytest

from hub.crypto.blind_index import (
    MAX_BITS,
    BlindIndex,
    FieldKind,
    blind_index,
    coincidence_count,
    normalise,
    plan_bits,
)
from hub.crypto.errors import InvalidValue
from hub.crypto.tenant_keys import TenantRoot

ROOT = TenantRoot(1, "t1-root-a", os.urandom(32))
EMAIL = BlindIndex("person.email", FieldKind.EMAIL, 24)


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        (FieldKind.DOMAIN, "Evil.Example.COM.", "evil.example.com"),
        (FieldKind.DOMAIN, "BÜCHER.example", "xn--bcher-kva.example"),
        (FieldKind.EMAIL, " Analyst@Example.ORG ", "analyst@example.org"),
        (FieldKind.IP, "2001:DB8:0:0::1", "2001:db8::1"),
        (FieldKind.IP, "::ffff:198.51.100.7", "198.51.100.7"),
        (FieldKind.IP, " 198.51.100.7 ", "198.51.100.7"),
        (FieldKind.NAME, "Abu  Bakr\tSHEKAU", "abu bakr shekau"),
        (FieldKind.NAME, "STRASSE", "straße"),  # case folding, not lowercasing
        (FieldKind.NAME, "ﬁrst", "first"),  # NFKC: the ligature is two letters
        (FieldKind.EXACT, "Cafe\u0301", "Café"),  # NFC only, case kept
    ],
)
def test_equivalent_values_index_equally(kind: FieldKind, a: str, b: str) -> None:
    assert normalise(kind, a) == normalise(kind, b)
    index = BlindIndex("x", kind, 32)
    assert blind_index(ROOT, index, a) == blind_index(ROOT, index, b)


def test_different_values_differ_and_exact_keeps_case() -> None:
    assert normalise(FieldKind.EXACT, "ABC") != normalise(FieldKind.EXACT, "abc")
    index = BlindIndex("x", FieldKind.IP, 32)
    assert blind_index(ROOT, index, "198.51.100.7") != blind_index(ROOT, index, "198.51.100.8")


@pytest.mark.parametrize(
    ("kind", "bad"),
    [(FieldKind.IP, "not-an-ip"), (FieldKind.IP, "10.0.0.0/8"), (FieldKind.EMAIL, "no-at-sign")],
)
def test_values_that_cannot_be_normalised(kind: FieldKind, bad: str) -> None:
    with pytest.raises(InvalidValue):
        normalise(kind, bad)


def test_deterministic_and_keyed_per_tenant_and_index() -> None:
    value = "analyst@example.org"
    first = blind_index(ROOT, EMAIL, value)
    assert blind_index(ROOT, EMAIL, value) == first
    again = TenantRoot(1, "t1-root-a", ROOT._root)  # the same root, reloaded
    assert blind_index(again, EMAIL, value) == first
    # Other tenant, other root, other index name: unrelated values (2^-24 chance of equality).
    assert blind_index(TenantRoot(2, "t1-root-a", ROOT._root), EMAIL, value) != first
    assert blind_index(TenantRoot(1, "t1-root-a", os.urandom(32)), EMAIL, value) != first
    assert blind_index(ROOT, BlindIndex("contact.email", FieldKind.EMAIL, 24), value) != first


@pytest.mark.parametrize("bits", [1, 8, 13, 24, 32, MAX_BITS])
def test_truncated_to_the_planned_size(bits: int) -> None:
    index = BlindIndex("x", FieldKind.NAME, bits)
    values = [blind_index(ROOT, index, f"name {i}") for i in range(300)]
    assert all(0 <= v < 2**bits for v in values)
    if bits >= 8:  # the top bit is used: the value is not merely a short hash zero-extended
        assert max(values) >= 2 ** (bits - 1)
    if bits == 1:
        assert set(values) == {0, 1}


def test_bits_out_of_range() -> None:
    for bits in (0, MAX_BITS + 1):
        with pytest.raises(InvalidValue):
            BlindIndex("x", FieldKind.NAME, bits)


def test_planning_follows_ciphersweet() -> None:
    # The examples of CipherSweet's planning documentation.
    assert plan_bits(50_000) == (8, 15)
    assert plan_bits(50_000, existing=[(4, 16)]) == (4, 11)
    # Coincidence count R / 2^(Σ min(L, K)).
    assert coincidence_count(1 << 20, [(10, math.inf)]) == 1024
    assert coincidence_count(1 << 20, [(10, 4)]) == 1 << 16
    # A small input domain caps what an index can reveal.
    low, high = plan_bits(1_000_000, domain_bits=14)
    assert high <= 14 and low <= high
    with pytest.raises(InvalidValue):
        plan_bits(0)


@pytest.mark.parametrize("population", [1_000, 50_000, 1_000_000, 10**9])
def test_planned_indexes_keep_at_least_about_two_coincidences(population: int) -> None:
    index = BlindIndex.planned("x", FieldKind.EMAIL, population)
    low, high = plan_bits(population)
    assert index.bits == high
    # At the upper end the count is ~2 (CipherSweet's boundary), never a unique match.
    assert coincidence_count(population, [(index.bits, math.inf)]) > 1
    assert coincidence_count(population, [(low, math.inf)]) <= math.sqrt(population)


def test_collisions_occur_at_the_planned_size() -> None:
    population = 4096
    index = BlindIndex.planned("x", FieldKind.NAME, population)
    values = [blind_index(ROOT, index, f"person {i}") for i in range(population)]
    assert len(set(values)) < population  # deliberate coincidences: a match proves nothing

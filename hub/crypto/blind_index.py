"""Blind indexes: exact-match lookup on encrypted fields without decrypting them.

A blind index value is ``HMAC-SHA256(index key, kind || normalised value)`` (RFC 2104) truncated
to `bits` bits, stored next to the row. The index key is HKDF-derived (RFC 5869) from the
tenant's root key and the index name (:meth:`hub.crypto.tenant_keys.TenantRoot.index_key`), so
each tenant and each index has its own key. A lookup computes the value for the searched term and
scans the matching rows; the caller decrypts the candidates and drops false positives.

Normalisation makes equal things index equally: domains and e-mail addresses lowercased (domains
also IDNA-encoded and without a trailing dot), IP addresses in the canonical form of
:mod:`ipaddress` (IPv4-mapped IPv6 as IPv4), names NFKC-normalised, case-folded and with runs of
white space collapsed (Unicode UAX #15; §3.13 of the Unicode standard for case folding).

Sizing follows CipherSweet's blind-index planning rule: with R rows and indexes whose output
sizes L_i and input domains K_i (bits) are combined, the expected number of rows sharing a value,
the *coincidence count*, is ``R / 2^(Σ min(L_i, K_i))``. It must stay at least 2 — so that a
match never proves two rows equal — and it need not exceed √R. :func:`plan_bits` returns that
safe range; :meth:`BlindIndex.planned` takes its upper end (about two rows per value).

What blind indexes leak — to whoever can read the database, i.e. the operator:

* which rows of one tenant share a (truncated) index value in one index: equality up to
  deliberate collisions, hence value frequencies within that tenant and index;
* with many rows and a low-entropy field, frequency analysis can suggest values;
* nothing across tenants or across indexes (different keys), and no value without the key: an
  attacker holding only the database cannot test guesses;
* whoever holds the tenant root (the hub process, so a compromised hub host) can test guesses
  offline — trivially for small domains such as IPv4 addresses (2^32);
* which rows a lookup touched, to anyone watching queries.

Index only fields whose exact-match search is worth that, and never low-entropy ones (a boolean,
a country code) on their own.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from hub.crypto._encoding import encode_context
from hub.crypto.errors import InvalidValue
from hub.crypto.tenant_keys import TenantRoot

__all__ = [
    "DEFAULT_POPULATION",
    "MAX_BITS",
    "BlindIndex",
    "FieldKind",
    "blind_index",
    "coincidence_count",
    "normalise",
    "plan_bits",
]

#: Rows per tenant and index assumed when none is given.
DEFAULT_POPULATION = 1_000_000
#: Blind index values are integers below 2^MAX_BITS (they fit a signed 64-bit column).
MAX_BITS = 63


class FieldKind(StrEnum):
    """How a field's values are normalised before indexing."""

    DOMAIN = "domain"
    EMAIL = "email"
    IP = "ip"
    NAME = "name"
    EXACT = "exact"


def _domain(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().rstrip(".").lower()
    try:
        return text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return text


def normalise(kind: FieldKind, value: str) -> str:
    """The normal form of `value` for a field of `kind`."""
    if not isinstance(value, str):
        raise InvalidValue(f"blind indexes take strings, not {type(value).__name__}")
    if kind is FieldKind.DOMAIN:
        return _domain(value)
    if kind is FieldKind.EMAIL:
        local, at, domain = unicodedata.normalize("NFKC", value).strip().rpartition("@")
        if not at or not local or not domain:
            raise InvalidValue("not an e-mail address")
        return f"{local.lower()}@{_domain(domain)}"
    if kind is FieldKind.IP:
        try:
            ip = ipaddress.ip_address(value.strip())
        except ValueError:
            raise InvalidValue("not an IP address") from None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ip)
    if kind is FieldKind.NAME:
        folded = unicodedata.normalize("NFKC", value).casefold()
        return " ".join(unicodedata.normalize("NFKC", folded).split())
    return unicodedata.normalize("NFC", value)


def coincidence_count(population: int, indexes: Sequence[tuple[int, float]]) -> float:
    """CipherSweet's coincidence count ``R / 2^(Σ min(L_i, K_i))`` for (L bits, K bits) pairs."""
    exponent = sum(min(size, domain) for size, domain in indexes)
    return max(1, population) / 2.0**exponent


def plan_bits(
    population: int,
    domain_bits: float = math.inf,
    existing: Sequence[tuple[int, float]] = (),
) -> tuple[int, int]:
    """The safe (min, max) output size in bits of one more blind index on a field.

    `population` is the number of rows, `domain_bits` log2 of the number of distinct inputs, and
    `existing` the (output bits, domain bits) of the field's other indexes. As in CipherSweet's
    planner: the minimum keeps at most √R coincidences (below it, lookups return too many false
    positives), the maximum is where the coincidence count falls to its floor of 2 (or the
    lowest count the population allows).
    """
    if population < 1:
        raise InvalidValue("a blind index needs an estimated population of at least 1")
    sqrt_r = math.sqrt(population)
    boundary = max(2.0, coincidence_count(population, [*existing, (257, domain_bits)]))
    low: int | None = None
    high: int | None = None
    for size in range(256, 0, -1):
        count = coincidence_count(population, [*existing, (size, domain_bits)])
        if high is None and count > boundary:
            high = size + 1
        if 2 <= count <= sqrt_r:
            low = size
    high = high if high is not None else int(min(256, domain_bits))
    low = min(low if low is not None else 1, high)
    return low, high


@dataclass(frozen=True, slots=True)
class BlindIndex:
    """One blind index: its name (part of its key's derivation), field kind and output size."""

    name: str
    kind: FieldKind
    bits: int

    def __post_init__(self) -> None:
        if not 1 <= self.bits <= MAX_BITS:
            raise InvalidValue(f"a blind index has 1 to {MAX_BITS} bits")

    @classmethod
    def planned(
        cls,
        name: str,
        kind: FieldKind,
        population: int = DEFAULT_POPULATION,
        domain_bits: float = math.inf,
        existing: Sequence[tuple[int, float]] = (),
    ) -> BlindIndex:
        """An index sized by :func:`plan_bits`: the largest safe size (fewest false positives)."""
        return cls(name, kind, min(MAX_BITS, plan_bits(population, domain_bits, existing)[1]))


def blind_index(root: TenantRoot, index: BlindIndex, value: str) -> int:
    """The blind index value of `value`: an integer in ``[0, 2^bits)``."""
    message = encode_context("bi", index.kind.value) + normalise(index.kind, value).encode()
    digest = hmac.new(root.index_key(index.name), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - index.bits)

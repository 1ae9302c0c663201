"""Timestamps: STIX/TAXII strings ⇄ integer microseconds since the epoch (UTC)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

__all__ = ["format_micros", "micros", "now_micros", "parse_taxii_timestamp"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_TS = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$")


def micros(dt: datetime) -> int:
    """Exact microseconds since the epoch of an aware datetime."""
    return (dt - _EPOCH) // _US


def now_micros() -> int:
    """The current time in microseconds since the epoch."""
    return time.time_ns() // 1000


def format_micros(us: int) -> str:
    """TAXII 2.1 timestamp (§3.1) with microsecond precision: ``2026-11-28T17:30:00.000000Z``."""
    dt = _EPOCH + timedelta(microseconds=us)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_taxii_timestamp(value: str) -> int:
    """Parse a TAXII/STIX timestamp (RFC 3339, UTC, ``Z``) to microseconds; ValueError if bad.

    Digits beyond microseconds are truncated: the hub orders versions to the microsecond.
    """
    m = _TS.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a timestamp like 2026-01-31T12:00:00.000Z")
    day, clock, frac = m.groups()
    dt = datetime.fromisoformat(f"{day}T{clock}+00:00")
    us = int((frac or "0").ljust(6, "0")[:6])
    return micros(dt) + us

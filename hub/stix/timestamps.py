"""STIX 2.1 timestamps (§2.16).

A STIX timestamp is an RFC 3339 timestamp in UTC written ``YYYY-MM-DDTHH:mm:ss[.s+]Z``. Like the
``stix2`` library, the hub accepts at most six fractional digits (microseconds: the precision
versions are ordered by) and no leap second; unlike ``stix2``'s ``strptime``, it accepts only
the canonical lexical form (two-digit fields, upper-case ``T`` and ``Z``, ASCII digits).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hub.stix.errors import StixValidationError

__all__ = ["format_timestamp", "parse_timestamp", "timestamp_or_none"]

_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z", re.ASCII
)


_MEMO: dict[str, datetime | None] = {}
_MEMO_SIZE = 4096


def timestamp_or_none(value: object) -> datetime | None:
    """The aware UTC datetime a STIX timestamp denotes, or None if ``value`` is not one."""
    if type(value) is not str:
        return None
    try:
        return _MEMO[value]  # objects and feeds repeat timestamps (created, modified, valid_from)
    except KeyError:
        pass
    parsed: datetime | None = None
    if _TIMESTAMP.fullmatch(value) is not None:
        try:
            parsed = datetime.fromisoformat(value)  # Python 3.11 reads "Z" and 1-6 digits
        except ValueError:  # well-formed but impossible: 2021-02-30, 24:00, :60
            parsed = None
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[value] = parsed
    return parsed


def parse_timestamp(value: str) -> datetime:
    """Parse a STIX 2.1 timestamp (§2.16) into an aware UTC datetime.

    Raises StixValidationError unless ``value`` is ``YYYY-MM-DDTHH:mm:ss[.ssssss]Z``.
    """
    parsed = timestamp_or_none(value)
    if parsed is None:
        raise StixValidationError(
            f"{value!r} is not a STIX timestamp like 2026-11-28T17:30:00.000Z (RFC 3339, UTC 'Z')"
        )
    return parsed


def format_timestamp(dt: datetime) -> str:
    """Format an aware datetime as a canonical STIX timestamp (§2.16) in UTC.

    Millisecond precision (``2026-11-28T17:30:00.000Z``) unless the value has sub-millisecond
    digits, then microsecond precision: the STIX minimum for ``created``/``modified`` (§3.2) and
    lossless for every value :func:`parse_timestamp` returns. Naive datetimes are refused.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("format_timestamp needs an aware datetime (naive ones are ambiguous)")
    utc = dt.astimezone(UTC)
    us = utc.microsecond
    frac = f"{us // 1000:03d}" if us % 1000 == 0 else f"{us:06d}"
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{frac}Z"
    )

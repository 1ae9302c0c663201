"""parse_timestamp and format_timestamp (STIX 2.1 §2.16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub.stix import StixValidationError, format_timestamp, parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28T17:30:00Z", datetime(2026, 11, 28, 17, 30, tzinfo=UTC)),
        ("2026-11-28T17:30:00.000Z", datetime(2026, 11, 28, 17, 30, tzinfo=UTC)),
        ("2026-11-28T17:30:00.1Z", datetime(2026, 11, 28, 17, 30, 0, 100000, tzinfo=UTC)),
        ("2026-11-28T17:30:00.123Z", datetime(2026, 11, 28, 17, 30, 0, 123000, tzinfo=UTC)),
        ("2026-11-28T17:30:00.123456Z", datetime(2026, 11, 28, 17, 30, 0, 123456, tzinfo=UTC)),
        ("2024-02-29T23:59:59.999Z", datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28T17:30:00",  # no Z
        "2026-11-28T17:30:00+00:00",  # offset instead of Z
        "2026-11-28T17:30:00.Z",  # dot without digits
        "2026-11-28T17:30:00.1234567Z",  # finer than microseconds
        "2026-11-28t17:30:00z",  # lower case
        "2026-11-28 17:30:00Z",  # space
        "2026-1-28T17:30:00Z",  # one-digit month
        "2026-11-28T7:30:00Z",  # one-digit hour
        "2025-02-29T00:00:00Z",  # not a leap year
        "2026-11-28T24:00:00Z",  # hour 24
        "2026-12-31T23:59:60Z",  # leap second
        "0000-01-01T00:00:00Z",  # year zero
        "\uff12\uff10\uff12\uff16-11-28T17:30:00Z",  # non-ASCII digits
        "",
        "yesterday",
    ],
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(StixValidationError, match="not a STIX timestamp"):
        parse_timestamp(text)


@pytest.mark.parametrize(
    ("dt", "text"),
    [
        (datetime(2026, 11, 28, 17, 30, tzinfo=UTC), "2026-11-28T17:30:00.000Z"),
        (datetime(2026, 11, 28, 17, 30, 0, 120000, tzinfo=UTC), "2026-11-28T17:30:00.120Z"),
        (datetime(2026, 11, 28, 17, 30, 0, 123456, tzinfo=UTC), "2026-11-28T17:30:00.123456Z"),
        (datetime(2026, 11, 28, 17, 30, 0, 100, tzinfo=UTC), "2026-11-28T17:30:00.000100Z"),
        (
            datetime(2026, 11, 28, 19, 30, tzinfo=timezone(timedelta(hours=2))),
            "2026-11-28T17:30:00.000Z",
        ),
        (datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC), "0005-01-02T03:04:05.000Z"),
    ],
)
def test_format(dt: datetime, text: str) -> None:
    assert format_timestamp(dt) == text
    assert parse_timestamp(text) == dt


def test_format_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_timestamp(datetime(2026, 11, 28, 17, 30))


def test_round_trip() -> None:
    for text in (
        "2026-11-28T17:30:00.000Z",
        "2026-11-28T17:30:00.000001Z",
        "1999-12-31T23:59:59.999Z",
    ):
        assert format_timestamp(parse_timestamp(text)) == text

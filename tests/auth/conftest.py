"""Fixtures of the auth tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.auth import events, hashing
from hub.auth.events import AuthEvent
from tests.auth.helpers import close_http


@pytest.fixture(scope="session", autouse=True)
def _shared_http_client() -> Iterator[None]:
    """Close the shared HTTP client of :mod:`tests.auth.helpers` at the end of the run."""
    yield
    close_http()


@pytest.fixture
def recorded() -> Iterator[list[AuthEvent]]:
    """Every authentication event emitted during the test."""
    seen: list[AuthEvent] = []
    stop = events.subscribe(seen.append)
    yield seen
    stop()


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts scrypt runs (the dummy hash is made first, so it does not count)."""
    hashing.dummy_hash()
    calls: list[int] = []
    real = hashing._scrypt

    def counting(secret: bytes, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
        calls.append(log2_n)
        return real(secret, salt, log2_n, r, p)

    monkeypatch.setattr(hashing, "_scrypt", counting)
    return calls

"""Per-process caches that keep authentication cheap without weakening revocation.

- :class:`ClientDirectory`: client records (tenant scope, scopes, revocation) for
  `REFRESH_SECONDS` (5 s). Every authenticated request, bearer or Basic, checks its client here,
  so a revocation by another process takes effect within 5 s, and at once in this process.
- :class:`VerifiedSecrets`: successful secret verifications for `VERIFIED_TTL` (60 s), keyed by
  the client id and an HMAC of the presented secret under a per-process random key (the secret
  itself is never kept). A hit is only valid while the client's stored hash is unchanged, so a
  rotated secret stops working as soon as the directory sees the new hash.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from hub.auth import clients
from hub.auth.clients import ClientRecord
from hub.store.db import Database

__all__ = ["REFRESH_SECONDS", "VERIFIED_TTL", "ClientDirectory", "VerifiedSecrets"]

REFRESH_SECONDS = 5.0
VERIFIED_TTL = 60.0


class ClientDirectory:
    """Client records read from the database at most every `ttl` seconds per client."""

    def __init__(
        self,
        db: Database,
        *,
        ttl: float = REFRESH_SECONDS,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, ClientRecord | None]] = OrderedDict()
        self._lock = threading.Lock()
        clients.watch(self)

    def get(self, client_id: str) -> ClientRecord | None:
        """The client's record (None if unknown), at most `ttl` seconds old."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(client_id)
            if entry is not None and now - entry[0] < self.ttl:
                self._entries.move_to_end(client_id)
                return entry[1]
        with self.db.session() as session:
            record = clients.load_client(session, client_id)
        with self._lock:
            self._entries[client_id] = (now, record)
            self._entries.move_to_end(client_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return record

    def forget(self, client_id: str) -> None:
        """Drop the cached record of `client_id` (after a revocation or a rotation)."""
        with self._lock:
            self._entries.pop(client_id, None)

    def clear(self) -> None:
        """Drop every cached record."""
        with self._lock:
            self._entries.clear()


class VerifiedSecrets:
    """Remembers which (client id, secret) pairs verified against which stored hash, briefly."""

    def __init__(
        self,
        *,
        ttl: float = VERIFIED_TTL,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._key = os.urandom(32)
        self._entries: OrderedDict[tuple[str, bytes], tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        clients.watch(self)

    def _fingerprint(self, secret: str) -> bytes:
        return hmac.new(self._key, secret.encode(), hashlib.sha256).digest()

    def hit(self, client_id: str, secret: str, secret_hash: str) -> bool:
        """True if this secret verified against `secret_hash` less than `ttl` seconds ago."""
        key = (client_id, self._fingerprint(secret))
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False
            at, stored = entry
            if now - at >= self.ttl or not hmac.compare_digest(stored, secret_hash):
                del self._entries[key]
                return False
            return True

    def remember(self, client_id: str, secret: str, secret_hash: str) -> None:
        """Record a successful slow verification."""
        key = (client_id, self._fingerprint(secret))
        with self._lock:
            self._entries[key] = (self._clock(), secret_hash)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, client_id: str) -> None:
        """Drop every remembered verification of `client_id`."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == client_id]:
                del self._entries[key]

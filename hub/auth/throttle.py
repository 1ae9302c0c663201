"""Throttling of failed authentication: a sliding window of failures per key, in process.

Keys are ``client:<client_id>`` and ``addr:<source address>``. A key with `limit` failures in the
last `window` seconds is throttled until the oldest of them leaves the window. Each hub process
keeps its own windows, so with N processes behind a load balancer an attacker gets at most N
times the limit; the limits are low enough for that to stay harmless against 256-bit secrets.
Memory is bounded: at most `limit` timestamps per key and `max_keys` keys (least recent evicted).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["SlidingWindow"]


class SlidingWindow:
    """At most `limit` failures per key in any `window` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None if it is not throttled."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                return None
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if not hits:
                del self._hits[key]
                return None
            if len(hits) < self.limit:
                return None
            return max(1, math.ceil(hits[0] + self.window - now))

    def failure(self, key: str) -> None:
        """Record one failure for `key`."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque(maxlen=self.limit)
                while len(self._hits) > self.max_keys:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            hits.append(now)

    def reset(self, key: str | None = None) -> None:
        """Forget the failures of `key` (of every key if None)."""
        with self._lock:
            if key is None:
                self._hits.clear()
            else:
                self._hits.pop(key, None)

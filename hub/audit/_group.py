"""Group commit: concurrent own-transaction appends of one process share one transaction.

Appends are serialised on the chain lock, which is held until COMMIT returns, so the cost that
bounds the trail's throughput is one lock hold (lock, read head, insert, COMMIT with its fsync)
per transaction. Threads appending at the same time (a hub process serving many reads) queue
here; the first becomes the leader and appends everything queued in one transaction, then hands
leadership to the next waiter. Each caller returns only once its own entries are committed (or
raises the error that prevented it), so nothing is lost and nothing is acknowledged early.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from hub.store.db import Database

__all__ = ["GroupCommit"]

R = TypeVar("R")
_MAX_BATCH = 512  # waiters per transaction


class _Waiter(Generic[R]):
    __slots__ = ("done", "error", "finished", "lead", "now", "result", "rows")

    def __init__(self, rows: list[dict[str, Any]], now: int | None) -> None:
        self.rows = rows
        self.now = now
        self.done = threading.Event()
        self.lead = False
        self.finished = False
        self.result: list[R] = []
        self.error: BaseException | None = None


class GroupCommit(Generic[R]):
    """Batches prepared rows of concurrent callers into transactions of `db`."""

    def __init__(
        self,
        db: Database,
        append: Callable[[Session, list[dict[str, Any]], Sequence[int | None]], list[R]],
    ) -> None:
        self.db = db
        self._append = append
        self._lock = threading.Lock()
        self._pending: list[_Waiter[R]] = []
        self._busy = False

    def submit(self, rows: list[dict[str, Any]], now: int | None) -> list[R]:
        """Append `rows` (in order, consecutively) and return once they are committed."""
        me: _Waiter[R] = _Waiter(rows, now)
        with self._lock:
            self._pending.append(me)
            lead = not self._busy
            self._busy = True
        if not lead:
            me.done.wait()
        if not me.finished:  # we lead: either first in, or handed over by the last leader
            with self._lock:
                batch, self._pending = self._pending[:_MAX_BATCH], self._pending[_MAX_BATCH:]
            try:
                self._flush(batch)
            finally:
                with self._lock:
                    if self._pending:
                        successor = self._pending[0]
                        successor.lead = True
                        successor.done.set()
                    else:
                        self._busy = False
        if me.error is not None:
            raise me.error
        return me.result

    def _flush(self, batch: list[_Waiter[R]]) -> None:
        rows = [row for w in batch for row in w.rows]
        nows = [w.now for w in batch for _ in w.rows]
        try:
            with self.db.write_session() as session:
                results = self._append(session, rows, nows)
        except BaseException as exc:
            for w in batch:
                w.error, w.finished = exc, True
                w.done.set()
            raise
        i = 0
        for w in batch:
            w.result, w.finished = results[i : i + len(w.rows)], True
            i += len(w.rows)
            w.done.set()

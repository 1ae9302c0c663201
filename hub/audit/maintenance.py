"""Periodic checkpoints and retention, run by every hub process (safely: see below).

Every `interval` seconds the loop signs the head if it moved (:func:`create_checkpoint` is
idempotent, and two processes signing the same head store one checkpoint: the second insert is
ignored). If ``HUB_AUDIT_RETENTION_DAYS`` is set it also prunes, at most once a day per process
(pruning serialises on the chain lock, and a second prune finds nothing to do).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from hub.audit.checkpoints import create_checkpoint, prune
from hub.audit.signing import Signer
from hub.errors import HubError
from hub.store.db import Database

__all__ = ["CHECKPOINT_INTERVAL", "Maintenance"]

log = logging.getLogger("hub.audit")

#: Seconds between checkpoints of a moving head.
CHECKPOINT_INTERVAL = 300.0
_PRUNE_EVERY = 86_400.0


class Maintenance:
    """The audit housekeeping loop of one hub process (a daemon thread, started explicitly)."""

    def __init__(
        self,
        db: Database,
        signer: Callable[[], Signer],
        *,
        retention_days: int | None = None,
        interval: float = CHECKPOINT_INTERVAL,
    ) -> None:
        self.db = db
        self.signer = signer
        self.retention_days = retention_days
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0

    def run_once(self) -> None:
        """One round: checkpoint the head, prune if due. Logs failures, never raises."""
        try:
            signer = self.signer()
            create_checkpoint(self.db, signer, kind="interval")
            due = time.monotonic() - self._last_prune >= _PRUNE_EVERY or not self._last_prune
            if self.retention_days and due:
                result = prune(self.db, signer, retention_days=self.retention_days)
                self._last_prune = time.monotonic()
                if result.removed:
                    log.info("audit trail pruned", extra={"removed": result.removed})
        except HubError as exc:
            log.error("audit maintenance failed", extra={"error": exc.description})
        except Exception:
            log.exception("audit maintenance failed")

    def start(self) -> None:
        """Start the loop in a daemon thread."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="hub-audit", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop, signing a last checkpoint of the head on the way out."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()
        self.run_once()

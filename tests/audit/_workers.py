"""Worker functions for the concurrency tests (importable, so spawned processes find them)."""

from __future__ import annotations

from typing import Any


def append(url: str, worker: int, count: int, start: Any = None) -> int:
    """Append `count` entries tagged ``w<worker>-<i>``; alternate own and caller transactions."""
    from hub.audit import Actor, AuditEvent, AuditLog, TenantRef
    from hub.store.db import Database

    actor = Actor(TenantRef(102, "ke-nctc"), "ke-nctc-client")

    db = Database(url, pool_size=2)
    if start is not None:
        start.wait(30)
    try:
        for i in range(count):
            event = AuditEvent.read(actor, "c", [(f"indicator--{worker}-{i}", i)],
                                    request_id=f"w{worker}-{i}")  # fmt: skip
            if i % 2:
                AuditLog.record(db, event)
            else:
                with db.write_session() as session:
                    AuditLog.record(session, event)
    finally:
        db.dispose()
    return count

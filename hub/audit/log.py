"""Appending to the trail: :class:`AuditLog`.

Chain design: appends are serialised. An append takes the chain lock — a PostgreSQL advisory
transaction lock, or on SQLite the database write lock that ``BEGIN IMMEDIATE`` already holds —
then reads the head (the entry with the greatest `seq`), and inserts entries ``head+1 …``
chained to it. The lock is held until the caller's transaction ends, and PostgreSQL makes a
commit visible before it releases the transaction's locks, so the next appender always reads
the head its predecessor committed (READ COMMITTED takes a fresh snapshot per statement, and the
head is read in a statement of its own, after the lock). A rolled-back append leaves nothing
behind, so `seq` stays dense. A fork would need two entries with one `seq`, which the primary
key refuses: a misuse (a stale snapshot) fails loudly instead of forking.

Appending inside the caller's transaction (a publish and its entry commit together) holds the
lock until that commit: append last, just before the transaction ends. Appending in a
transaction of its own (`record(db, …)`: reads, authentication failures) goes through group
commit, so concurrent requests of one process share one lock hold and one COMMIT.
"""

from __future__ import annotations

import re
import secrets
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.audit import repository as repo
from hub.audit._group import GroupCommit
from hub.audit.canonical import (
    GENESIS,
    chain_hash,
    check_json,
    leaf_digest,
    normalise_objects,
    protected_digest,
)
from hub.audit.errors import AuditError
from hub.audit.events import AuditEvent, AuthEventLike
from hub.logging import request_id_var
from hub.store.db import Database
from hub.timeutil import now_micros

__all__ = ["AuditLog", "AuditRecord", "lock_chain"]

#: pg_advisory_xact_lock(int4, int4) key: its key space is apart from the one-argument form's.
_LOCK_NAMESPACE = 0x41554454  # "AUDT"
_LOCK_CHAIN = 1
_ACTION = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An appended entry: its sequence number, time (µs since the epoch) and chain hash."""

    seq: int
    time: int
    hash: str


_LOCK = sa.text("SELECT pg_advisory_xact_lock(:ns, :key)")


def lock_chain(session: Session) -> sa.Connection:
    """Take the chain lock until the session's transaction ends; return its connection.

    On SQLite the transaction must be a write transaction (:meth:`Database.write_session`):
    only ``BEGIN IMMEDIATE`` guarantees that the head read next is the latest one.
    """
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        level = conn.get_execution_options().get("isolation_level")
        if level in ("REPEATABLE READ", "SERIALIZABLE"):
            raise AuditError("append to the audit trail in a READ COMMITTED transaction")
        conn.execute(_LOCK, {"ns": _LOCK_NAMESPACE, "key": _LOCK_CHAIN})
    elif dialect == "sqlite" and not conn.get_execution_options().get("hub_write"):
        raise AuditError("on SQLite, append to the audit trail in Database.write_session()")
    return conn


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


def _prepare(event: AuditEvent) -> dict[str, Any]:
    """Validate and encode everything that does not depend on the chain's head."""
    action = str(event.action)  # an Action's str() is its value
    if not _ACTION.match(action):
        raise AuditError(f"bad audit action {action!r}")
    check_json(dict(event.details), "details")
    protected = dict(event.protected) if event.protected is not None else None
    check_json(protected, "protected")
    for name, value, size in (
        ("collection_id", event.collection_id, 36),
        ("policy_hash", event.policy_hash, 128),
    ):
        if value is not None and (len(value) > size or "\x00" in value):
            raise AuditError(f"{name} is not a valid value")
    nonce = secrets.token_hex(16)
    actor, subject = event.actor, event.subject
    return {
        "action": action,
        "outcome": event.outcome,
        "actor_tenant_id": actor.tenant.id if actor.tenant else None,
        "actor_tenant": _clip(actor.tenant.slug, 64) if actor.tenant else None,
        "actor_client": _clip(actor.client_id, 200),
        "subject_tenant_id": subject.id if subject else None,
        "subject_tenant": _clip(subject.slug, 64) if subject else None,
        "collection_id": event.collection_id,
        "objects": normalise_objects(event.objects),
        "request_id": _clip(event.request_id or request_id_var.get(), 64),
        "policy_hash": event.policy_hash,
        "details": dict(event.details),
        "protected": protected,
        "protected_digest": protected_digest(nonce, protected),
        "nonce": nonce,
    }


def _resolve_tenants(session: Session, rows: list[dict[str, Any]]) -> None:
    """Fill tenant ids known only by slug (authentication failures name the slug)."""
    wanted = {
        row[f"{who}_tenant"]
        for row in rows
        for who in ("actor", "subject")
        if row[f"{who}_tenant"] and row[f"{who}_tenant_id"] is None
    }
    if not wanted:
        return
    ids = repo.tenant_ids(session, wanted)
    for row in rows:
        for who in ("actor", "subject"):
            if row[f"{who}_tenant_id"] is None and row[f"{who}_tenant"]:
                row[f"{who}_tenant_id"] = ids.get(row[f"{who}_tenant"])


def _chain(
    session: Session, rows: list[dict[str, Any]], nows: Sequence[int | None]
) -> list[AuditRecord]:
    """Lock the chain, number and hash prepared rows after the head, insert them."""
    if not rows:
        return []
    _resolve_tenants(session, rows)
    conn = lock_chain(session)
    head = repo.head(conn)
    if head is None:
        anchor = repo.latest_checkpoint(session)  # an emptied table continues, never restarts
        seq, prev, last_time = (anchor.seq, anchor.hash, anchor.time) if anchor else (0, GENESIS, 0)
    else:
        seq, prev, last_time = head
    clock = now_micros()
    records: list[AuditRecord] = []
    for row, now in zip(rows, nows, strict=True):
        seq += 1
        last_time = max(clock if now is None else now, last_time)  # never decreasing
        row.update(seq=seq, time=last_time, prev_hash=prev)
        row["hash"] = prev = chain_hash(prev, leaf_digest(row))
        records.append(AuditRecord(seq, last_time, prev))
    repo.insert_entries(conn, rows)
    return records


_groups: weakref.WeakKeyDictionary[Database, GroupCommit[AuditRecord]] = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


def _group(db: Database) -> GroupCommit[AuditRecord]:
    with _groups_lock:
        group = _groups.get(db)
        if group is None:
            group = _groups[db] = GroupCommit(db, _chain)
        return group


class AuditLog:
    """The append side of the audit trail. Stateless: every method is a class method."""

    @classmethod
    def record(
        cls, target: Session | Database, event: AuditEvent, *, now: int | None = None
    ) -> AuditRecord:
        """Append one entry.

        With a :class:`Database`, in a short write transaction of its own (committed on return).
        With a ``Session``, inside the caller's transaction: the entry commits or rolls back with
        it, and the chain lock is held until then — so call this last. On SQLite that session
        must come from :meth:`Database.write_session`. `now` (µs) is for tests.
        """
        return cls.record_many(target, [event], now=now)[0]

    @classmethod
    def record_many(
        cls, target: Session | Database, events: Sequence[AuditEvent], *, now: int | None = None
    ) -> list[AuditRecord]:
        """Append several entries, consecutively and in order.

        With a :class:`Database`, concurrent callers of this process share transactions (group
        commit, :mod:`hub.audit._group`); each returns once its entries are committed.
        """
        rows = [_prepare(e) for e in events]  # a bad event fails its own caller only
        if isinstance(target, Database):
            return _group(target).submit(rows, now) if rows else []
        return _chain(target, rows, [now] * len(rows))

    @classmethod
    def head(cls, session: Session) -> AuditRecord | None:
        """The newest entry of the chain, or None if it is empty."""
        head = repo.head(session)
        return AuditRecord(head[0], head[2], head[1]) if head else None

    @classmethod
    def auth_subscriber(cls, db: Database) -> Callable[[AuthEventLike], None]:
        """A callback for :func:`hub.auth.events.subscribe` recording every failed attempt."""

        def on_auth_event(event: AuthEventLike) -> None:
            entry = AuditEvent.from_auth_event(event)
            if entry is not None:
                cls.record(db, entry)

        return on_auth_event

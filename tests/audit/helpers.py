"""Helpers of the audit tests: events, rows, and SQL-level tampering."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from hub.audit import Actor, AuditEvent, AuditLog, TenantRef
from hub.audit.canonical import chain_hash, leaf_digest
from hub.store.db import Database

ALICE = Actor(TenantRef(101, "ng-nctc"), "ng-nctc-client")
BOB = Actor(TenantRef(102, "ke-nctc"), "ke-nctc-client")
COLLECTION = "371ecd7b-27cd-4130-8722-9389571aa876"
T0 = 1_795_000_000_000_000  # 2026-11-18, µs


@contextmanager
def tampering(db: Database) -> Iterator[sa.Connection]:
    """A transaction in which the append-only guards are off: what an attacker with database
    access can do."""
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            yield conn
            return
        triggers = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'"
        ).all()
        for name, _ in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield conn
        for _, ddl in triggers:
            conn.exec_driver_sql(ddl)


def read_event(i: int, actor: Actor = BOB, n: int = 2) -> AuditEvent:
    """A read of `n` versions, tagged `i` in its request id."""
    versions = [(f"indicator--{i:08x}-0000-4000-8000-{k:012x}", T0 + k) for k in range(n)]
    return AuditEvent.read(actor, COLLECTION, versions, request_id=f"req-{i}")


def fill(db: Database, n: int, *, start: int = 0, now: int | None = None) -> None:
    """Append `n` read entries (one transaction each)."""
    for i in range(start, start + n):
        AuditLog.record(db, read_event(i), now=None if now is None else now + i)


def rows(db: Database) -> list[dict[str, Any]]:
    """Every entry as a dict, in seq order."""
    from hub.audit.repository import E

    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(E).order_by(E.c.seq))]


def seqs(db: Database) -> list[int]:
    """The stored sequence numbers."""
    return [r["seq"] for r in rows(db)]


def set_column(db: Database, seq: int, **values: Any) -> None:
    """UPDATE entry `seq` behind the guards."""
    json_columns = {"objects", "details", "protected"}
    cast = "CAST(:{0} AS jsonb)" if db.dialect == "postgresql" else ":{0}"
    assignments = ", ".join(
        f"{k} = {cast.format(k) if k in json_columns else ':' + k}" for k in values
    )
    statement = sa.text(f"UPDATE audit_entry SET {assignments} WHERE seq = :seq")
    with tampering(db) as conn:
        conn.execute(statement, {"seq": seq, **values})


def delete_entry(db: Database, seq: int) -> None:
    """DELETE entry `seq` behind the guards."""
    with tampering(db) as conn:
        conn.execute(sa.text("DELETE FROM audit_entry WHERE seq = :s"), {"s": seq})


def renumber(conn: sa.Connection, mapping: dict[int, int]) -> None:
    """Move entries to other sequence numbers (through negative ones: no key conflicts)."""
    for old in mapping:
        conn.execute(
            sa.text("UPDATE audit_entry SET seq = :t WHERE seq = :s"), {"s": old, "t": -old}
        )
    for old, new in mapping.items():
        conn.execute(
            sa.text("UPDATE audit_entry SET seq = :t WHERE seq = :s"), {"s": -old, "t": new}
        )


def insert_row(conn: sa.Connection, row: dict[str, Any]) -> None:
    """INSERT a raw entry."""
    from hub.audit.repository import E

    conn.execute(sa.insert(E), [row])


def rehash(row: dict[str, Any], prev: str) -> dict[str, Any]:
    """`row` re-chained onto `prev`, as an attacker who knows the algorithm would."""
    out = dict(row)
    out["prev_hash"] = prev
    out["hash"] = chain_hash(prev, leaf_digest(out))
    return out

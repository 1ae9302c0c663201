"""Key operations over stored versions: tenant-key rotation (rewrap job), shredding, status.

Rotation (docs/crypto.md "Operations"): :meth:`hub.crypto.KeyService.rotate_tenant_key` makes a
new tenant key active at once for new writes; the job :data:`REWRAP_JOB` then rewraps, batch by
batch, every stored data key still wrapped by a retired key of the tenant (the data keys, and so
every field ciphertext, stay the same; only the ``wrapped_key`` column changes, atomically per
row), and finally destroys the retired keys nothing names any more. It starts only after the key
cache period, so that no hub process still wraps new data keys under the retired key. Reads
never fail meanwhile: a retired key still unwraps until it is destroyed, and it is destroyed only
once no row needs it (after a short grace for reads already holding an old row).

Shredding (:func:`shred_tenant`): every key of the tenant is destroyed, then the now useless
ciphertexts, data keys and MACs of its versions are dropped, so its objects are served as their
clear remainder; SQLite overwrites the freed cells (``secure_delete``) and truncates its WAL,
PostgreSQL vacuums the table.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.crypto import KeyService
from hub.crypto import repository as key_repo
from hub.crypto.tenant_keys import PURPOSE_KEK
from hub.jobs import repository as jobs
from hub.jobs.runner import JobContext, PermanentJobError
from hub.store import sealed as repo
from hub.store.db import Database
from hub.store.models import Tenant, TenantKey
from hub.timeutil import now_micros

__all__ = [
    "REWRAP_JOB",
    "KeyStatus",
    "enqueue_rewrap",
    "key_status",
    "retired_keys",
    "run_rewrap",
    "shred_tenant",
]

#: Job kind: rewrap a tenant's data keys under its active key, then destroy the retired keys.
REWRAP_JOB = "keys.rewrap"
BATCH = 500
K = TenantKey.__table__  # type: ignore[attr-defined]
T = Tenant.__table__  # type: ignore[attr-defined]


def retired_keys(session: Session, tenant_id: int) -> list[str]:
    """Ids of the tenant's retired (not yet destroyed) data-key-wrapping keys."""
    rows = session.execute(
        sa.select(K.c.key_id).where(
            K.c.tenant_id == tenant_id, K.c.purpose == PURPOSE_KEK, K.c.state == "retired"
        )
    )
    return sorted(str(r[0]) for r in rows)


def enqueue_rewrap(
    db: Database, tenant_id: int, slug: str, *, delay_s: float, destroy: bool, created_by: str
) -> str:
    """Queue the rewrap job of one tenant, runnable `delay_s` from now; returns its id."""
    with db.write_session() as session:
        job = jobs.enqueue(
            session,
            kind=REWRAP_JOB,
            payload={"tenant_id": tenant_id, "tenant": slug, "destroy": destroy},
            now=now_micros(),
            tenant_id=tenant_id,
            created_by=created_by,
        )
        if delay_s > 0:
            job.run_after = now_micros() + int(delay_s * 1_000_000)
        return job.id


def rewrap_handler(keys: KeyService, *, grace_s: float = 2.0) -> Any:
    """The :data:`REWRAP_JOB` handler bound to a key service (for :class:`JobRunner`)."""

    def handler(ctx: JobContext) -> dict[str, Any]:
        return run_rewrap(ctx, keys, grace_s=grace_s)

    return handler


def run_rewrap(ctx: JobContext, keys: KeyService, *, grace_s: float = 2.0) -> dict[str, Any]:
    """Job ``keys.rewrap``: rewrap every data key of the tenant under its active key.

    Payload: ``tenant_id``, ``tenant``, ``destroy``. Each batch is one write transaction that
    also records the progress; a batch done twice changes nothing (rows already under the
    active key are no longer selected, and each update checks the key it replaces).
    """
    tenant_id = int(ctx.payload["tenant_id"])
    done = ctx.done
    with ctx.db.session() as session:
        if session.get(Tenant, tenant_id) is None:
            raise PermanentJobError(f"tenant {tenant_id} no longer exists")
    while True:
        ctx.check()
        with ctx.db.session() as session:
            old = retired_keys(session, tenant_id)
            rows = repo.versions_wrapped_by(session, tenant_id, old, BATCH) if old else []
        if not old:  # nothing retired (or a previous run already destroyed them)
            return {"tenant": ctx.payload.get("tenant"), "rewrapped": done, "destroyed": []}
        active = keys.tenant_key(tenant_id).key_id
        rewrapped = [(seq, kid, keys.rewrap_data_key(tenant_id, w)) for seq, kid, w in rows]
        with ctx.db.write_session() as session:
            for seq, kid, wrapped in rewrapped:
                done += repo.set_wrapped_key(session, seq, kid, wrapped, active)
            ctx.step(session, done=done, checkpoint={"done": done})
        if not rows:
            break
    destroyed: list[str] = []
    if ctx.payload.get("destroy", True):
        time.sleep(grace_s)  # reads that loaded a row before its rewrap still open it
        with ctx.db.session() as session:
            usage = repo.key_usage(session, tenant_id)
        unused = [kid for kid in old if usage.get((tenant_id, kid), 0) == 0]
        destroyed = _destroy_retired(ctx.db, keys, tenant_id, unused) if unused else []
    return {"tenant": ctx.payload.get("tenant"), "rewrapped": done, "destroyed": destroyed}


def _destroy_retired(
    db: Database, keys: KeyService, tenant_id: int, key_ids: list[str]
) -> list[str]:
    """Destroy retired tenant keys (:meth:`KeyService.destroy_key` semantics) without stalling
    writers: SQLite's WAL is truncated with a short busy timeout (:func:`_scrub`)."""
    with db.write_session() as session:
        conn = session.connection()
        sqlite = db.dialect == "sqlite"
        if sqlite:
            before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        # Only keys still retired: never the active one, never another tenant's.
        retired = set(retired_keys(session, tenant_id)) & set(key_ids)
        now = datetime.now(UTC)
        destroyed = (
            key_repo.destroy_keys(session, tenant_id, now, sorted(retired)) if retired else []
        )
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA secure_delete = {int(before or 0)}")
    keys.forget(tenant_id)
    _scrub(db, "tenant_key")
    return destroyed


def _scrub(db: Database, table: str = "object_version") -> None:
    """Best effort: overwritten cells out of the WAL (SQLite) or dead tuples (PostgreSQL).

    SQLite's truncating checkpoint holds off new writers while it waits for readers, so it gets
    a short busy timeout: under a steady read load it gives up (the WAL is truncated by a later
    checkpoint) rather than stall the hub's writes for the full 30 s.
    """
    with contextlib.suppress(sa.exc.SQLAlchemyError), db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if db.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout = 2000")
            try:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
        else:
            conn.exec_driver_sql(f"VACUUM {table}")


def shred_tenant(db: Database, keys: KeyService, tenant_id: int) -> tuple[list[str], int]:
    """Crypto-shred a tenant (offboarding): destroy its keys, forget its ciphertexts.

    Returns the destroyed key ids and the number of versions that lost protected fields.
    Idempotent: running it again finishes an interrupted shred.
    """
    destroyed = keys.shred_tenant(tenant_id)
    cleared = 0
    while True:
        with db.write_session() as session:
            conn = session.connection()
            sqlite = db.dialect == "sqlite"
            if sqlite:  # overwrite the freed cells instead of leaving ciphertexts in the file
                before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
            n = repo.clear_sealed(session, tenant_id, BATCH)
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA secure_delete = {int(before or 0)}")
        cleared += n
        if n == 0:
            break
    _scrub(db)
    return destroyed, cleared


@dataclass
class KeyStatus:
    """One tenant's keys and the versions they protect."""

    tenant: str
    tenant_id: int
    active: str | None = None
    retired: list[str] = field(default_factory=list)
    destroyed: int = 0
    master_keys: list[str] = field(default_factory=list)
    protected: int = 0
    needs_rewrap: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON for ``fusion-hub keys status --json``."""
        return {
            "tenant": self.tenant,
            "active_key": self.active,
            "retired_keys": self.retired,
            "destroyed_keys": self.destroyed,
            "master_keys": self.master_keys,
            "protected_versions": self.protected,
            "versions_to_rewrap": self.needs_rewrap,
        }


def key_status(db: Database, tenant_id: int | None = None) -> list[KeyStatus]:
    """Per tenant: active and retired keys, the master keys wrapping them, protected versions."""
    with db.session() as session:
        tenants = session.execute(sa.select(T.c.id, T.c.slug).order_by(T.c.slug)).all()
        keys = session.execute(
            sa.select(K.c.tenant_id, K.c.key_id, K.c.purpose, K.c.state, K.c.master_key_id)
        ).all()
        usage = repo.key_usage(session, tenant_id)
    out: dict[int, KeyStatus] = {
        int(t[0]): KeyStatus(str(t[1]), int(t[0]))
        for t in tenants
        if tenant_id is None or t[0] == tenant_id
    }
    for row in keys:
        tid, kid, purpose, state, master = (row[0], row[1], row[2], row[3], row[4])
        st = out.get(int(tid))
        if st is None:
            continue
        if state == "destroyed":
            st.destroyed += 1
            continue
        if master not in st.master_keys:
            st.master_keys.append(str(master))
        if purpose == PURPOSE_KEK:
            if state == "active":
                st.active = str(kid)
            else:
                st.retired.append(str(kid))
    for (owner, kid), count in usage.items():
        st = out.get(owner)
        if st is not None:
            st.protected += count
            if kid != st.active:
                st.needs_rewrap += count
    return list(out.values())

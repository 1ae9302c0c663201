"""Every SQL statement on the ``tenant_key`` table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from hub.store.models.tenant_key import TenantKey as TenantKeyRow

__all__ = [
    "TenantKeyRow",
    "active_key",
    "count_wrapped_by",
    "destroy_keys",
    "insert_key",
    "key_by_id",
    "keys_not_wrapped_by",
    "retire_active",
    "set_wrapped",
]

_T: sa.Table = TenantKeyRow.__table__  # type: ignore[attr-defined]


def active_key(session: Session, tenant_id: int, purpose: str) -> TenantKeyRow | None:
    """The active key of `tenant_id` for `purpose`, if any."""
    stmt = sa.select(TenantKeyRow).where(
        _T.c.tenant_id == tenant_id, _T.c.purpose == purpose, _T.c.state == "active"
    )
    return session.execute(stmt).scalars().first()


def key_by_id(session: Session, key_id: str) -> TenantKeyRow | None:
    """The key `key_id`, whatever its state."""
    stmt = sa.select(TenantKeyRow).where(_T.c.key_id == key_id)
    return session.execute(stmt).scalars().first()


def insert_key(session: Session, row: TenantKeyRow) -> None:
    """Add a key (the caller's transaction commits)."""
    session.add(row)
    session.flush()


def retire_active(session: Session, tenant_id: int, purpose: str, now: datetime) -> int:
    """Mark the active key of `tenant_id` for `purpose` retired; returns rows changed."""
    stmt = (
        sa.update(_T)
        .where(_T.c.tenant_id == tenant_id, _T.c.purpose == purpose, _T.c.state == "active")
        .values(state="retired", retired_at=now)
    )
    return int(cast(CursorResult[Any], session.execute(stmt)).rowcount)


def destroy_keys(
    session: Session, tenant_id: int, now: datetime, key_ids: Sequence[str] | None = None
) -> list[str]:
    """Crypto-shred: NULL the wrapped key, state ``destroyed``. All keys if `key_ids` is None."""
    cond = [_T.c.tenant_id == tenant_id, _T.c.state != "destroyed"]
    if key_ids is not None:
        cond.append(_T.c.key_id.in_(list(key_ids)))
    ids: list[str] = list(session.execute(sa.select(_T.c.key_id).where(*cond)).scalars())
    if ids:
        session.execute(
            sa.update(_T)
            .where(_T.c.key_id.in_(ids))
            .values(state="destroyed", wrapped_key=None, destroyed_at=now)
        )
    return ids


def keys_not_wrapped_by(session: Session, master_key_id: str, limit: int) -> list[TenantKeyRow]:
    """Live keys wrapped by another master key than `master_key_id` (master rotation)."""
    stmt = (
        sa.select(TenantKeyRow)
        .where(_T.c.master_key_id != master_key_id, _T.c.state != "destroyed")
        .order_by(_T.c.id)
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def set_wrapped(
    session: Session, key_id: str, old_master: str, wrapped: bytes, new_master: str
) -> bool:
    """Replace a key's wrapping if it is still wrapped by `old_master` (optimistic)."""
    stmt = (
        sa.update(_T)
        .where(_T.c.key_id == key_id, _T.c.master_key_id == old_master, _T.c.state != "destroyed")
        .values(wrapped_key=wrapped, master_key_id=new_master)
    )
    return bool(cast(CursorResult[Any], session.execute(stmt)).rowcount)


def count_wrapped_by(session: Session, master_key_id: str) -> int:
    """How many live keys a master key still wraps."""
    stmt = (
        sa.select(sa.func.count())
        .select_from(_T)
        .where(_T.c.master_key_id == master_key_id, _T.c.state != "destroyed")
    )
    return int(session.execute(stmt).scalar_one())

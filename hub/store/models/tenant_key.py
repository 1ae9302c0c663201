"""Tenant keys: stored only wrapped by a master key, which is never in the database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = ["TenantKey"]


class TenantKey(SQLModel, table=True):
    """One key of one tenant (see :mod:`hub.crypto.tenant_keys`).

    `purpose` is ``kek`` (wraps the tenant's data keys; rotates) or ``root`` (HKDF root of the
    row-MAC and blind-index keys). `state` goes ``active`` → ``retired`` (a newer key took over;
    still unwraps until its data keys are rewrapped) → ``destroyed`` (crypto-shredded:
    `wrapped_key` is NULL, the row stays as a tombstone). At most one active key per tenant and
    purpose. `master_key_id` names the master key that wrapped `wrapped_key`.
    """

    __tablename__ = "tenant_key"
    __table_args__ = (
        sa.CheckConstraint("state IN ('active', 'retired', 'destroyed')", name="state"),
        sa.CheckConstraint("purpose IN ('kek', 'root')", name="purpose"),
        sa.CheckConstraint(
            "(state = 'destroyed') = (wrapped_key IS NULL)", name="wrapped_unless_destroyed"
        ),
        sa.Index(
            "uq_tenant_key_tenant_id_purpose_active",
            "tenant_id",
            "purpose",
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    key_id: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=8)
    state: str = Field(max_length=16)
    wrapped_key: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
    master_key_id: str = Field(max_length=64, index=True)
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    retired_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )
    destroyed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )

"""The audit trail: one append-only, hash-chained row per audited request or operation."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import BigId, JsonDocument, JsonList

__all__ = ["AuditEntry"]


class AuditEntry(SQLModel, table=True):
    """Entry `seq` of the audit chain (see :mod:`hub.audit.canonical` for the hash).

    `seq` is dense (1, 2, 3, … with no gaps) and assigned under the chain lock, so `seq` order is
    chain order and `time` (microseconds since the epoch, never decreasing along `seq`) is the
    time of appending. Tenants are copied by id and slug, without foreign keys: the trail
    outlives anything it mentions. `objects` is a JSON list of ``[object_id, version]`` pairs
    (versions as TAXII timestamps). Every column but `hash` and `prev_hash` is covered by the
    hash; rows are never updated, and deleted only by retention pruning behind a signed
    checkpoint.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_entry_actor_tenant_id_time", "actor_tenant_id", "time"),
        sa.Index("ix_audit_entry_subject_tenant_id_time", "subject_tenant_id", "time"),
        sa.Index("ix_audit_entry_action_time", "action", "time"),
        sa.Index(
            "ix_audit_entry_objects",
            "objects",
            postgresql_using="gin",
            postgresql_ops={"objects": "jsonb_path_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    seq: int = Field(sa_column=sa.Column(BigId, primary_key=True, autoincrement=False))
    time: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    action: str = Field(max_length=32)
    outcome: str = Field(max_length=16)
    actor_tenant_id: int | None = Field(default=None)
    actor_tenant: str | None = Field(default=None, max_length=64)
    actor_client: str | None = Field(default=None, max_length=200)
    subject_tenant_id: int | None = Field(default=None)
    subject_tenant: str | None = Field(default=None, max_length=64)
    collection_id: str | None = Field(default=None, max_length=36)
    objects: list[list[str]] = Field(sa_column=sa.Column(JsonList(), nullable=False))
    request_id: str | None = Field(default=None, max_length=64)
    policy_hash: str | None = Field(default=None, max_length=128)
    details: dict[str, Any] = Field(sa_column=sa.Column(JsonDocument(), nullable=False))
    protected: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JsonDocument()))
    protected_digest: str | None = Field(default=None, max_length=64)
    nonce: str = Field(max_length=32)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

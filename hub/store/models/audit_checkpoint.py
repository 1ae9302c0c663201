"""Signed checkpoints of the audit chain's head."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import BigId

__all__ = ["AuditCheckpoint"]


class AuditCheckpoint(SQLModel, table=True):
    """The hub's Ed25519 signature over (seq, hash of entry `seq`, time, kind, key id).

    `kind` is ``interval`` (the periodic checkpoint), ``manual`` (on demand) or ``prune`` (the
    cut of a retention pruning: entries before `seq` are gone and verification starts here).
    At most one checkpoint of each kind per `seq`. No foreign key to the entry: checkpoints
    outlive pruned entries and their signatures stay verifiable.
    """

    __tablename__ = "audit_checkpoint"

    seq: int = Field(sa_column=sa.Column(BigId, primary_key=True, autoincrement=False))
    kind: str = Field(primary_key=True, max_length=16)
    hash: str = Field(max_length=64)
    time: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    key_id: str = Field(max_length=32)
    signature: str = Field(max_length=128)

"""STIX object versions: the JSON a publisher sent plus the columns TAXII filters on."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import BigId, JsonDocument

__all__ = ["ObjectVersion"]


class ObjectVersion(SQLModel, table=True):
    """One immutable version of one STIX object in one collection.

    Times are integers of microseconds since the epoch (UTC): exact, portable and cheap to
    index. `date_added` is assigned by the hub and unique within a collection, so paging order is
    total. `version` is the object's `modified` (or `created`, or `date_added` for objects that
    have neither, TAXII 2.1 §3.4.3).
    """

    __tablename__ = "object_version"
    __table_args__ = (
        sa.UniqueConstraint("collection_id", "date_added"),
        sa.UniqueConstraint("collection_id", "object_id", "version"),
    )

    seq: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    collection_id: str = Field(foreign_key="collection.id", max_length=36)
    object_id: str = Field(max_length=300)
    type: str = Field(max_length=250)
    spec_version: str = Field(max_length=8)
    created: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    version: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    date_added: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    owner_id: int = Field(foreign_key="tenant.id", index=True)
    tlp: str | None = Field(default=None, max_length=16)
    revoked: bool = Field(default=False)
    body: dict[str, Any] = Field(sa_column=sa.Column(JsonDocument(), nullable=False))
    # Field-level encryption (docs/crypto.md "Stored objects"): `body` is the object without its
    # protected properties; `sealed` maps their JSON pointers to field ciphertexts under the
    # data key `wrapped_key` (wrapped by tenant key `key_id`). `mac` is the row MAC over the
    # access-deciding metadata and `recipients` (reader id → profile digest) it binds.
    sealed: dict[str, str] | None = Field(default=None, sa_column=sa.Column(JsonDocument()))
    wrapped_key: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
    key_id: str | None = Field(default=None, max_length=64, index=True)
    mac: str | None = Field(default=None, max_length=200)
    recipients: dict[str, str] | None = Field(default=None, sa_column=sa.Column(JsonDocument()))

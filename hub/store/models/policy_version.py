"""Sharing policy versions: every version of every publisher's policy, kept with its author."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import JsonDocument

__all__ = ["PolicyVersion"]


class PolicyVersion(SQLModel, table=True):
    """Version `seq` of tenant `tenant_id`'s sharing policy (the validated document)."""

    __tablename__ = "policy_version"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    seq: int
    document: dict[str, Any] = Field(sa_column=sa.Column(JsonDocument(), nullable=False))
    content_hash: str = Field(max_length=64)
    author: str = Field(default="", max_length=200)
    comment: str = Field(default="", max_length=2000)
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))

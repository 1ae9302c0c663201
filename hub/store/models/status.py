"""TAXII status resources: the outcome of each POST of an envelope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import JsonList

__all__ = ["Status"]


class Status(SQLModel, table=True):
    """TAXII 2.1 §4.3 status resource, readable only by the tenant that posted."""

    __tablename__ = "status"

    id: str = Field(primary_key=True, max_length=36)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    collection_id: str = Field(foreign_key="collection.id", max_length=36)
    status: str = Field(max_length=16)
    request_timestamp: datetime = Field(
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    total_count: int
    success_count: int
    failure_count: int
    pending_count: int
    successes: list[dict[str, Any]] = Field(sa_column=sa.Column(JsonList(), nullable=False))
    failures: list[dict[str, Any]] = Field(sa_column=sa.Column(JsonList(), nullable=False))
    pendings: list[dict[str, Any]] = Field(sa_column=sa.Column(JsonList(), nullable=False))

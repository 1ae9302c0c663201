"""Membership of tenants in communities."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

__all__ = ["Membership"]


class Membership(SQLModel, table=True):
    """Tenant `tenant_id` belongs to community `community_id`."""

    __tablename__ = "membership"

    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True, ondelete="CASCADE")
    community_id: int = Field(foreign_key="community.id", primary_key=True, ondelete="CASCADE")

"""Tenants: the organisations that publish and subscribe (national cells, partners, operator)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import JsonDocument

__all__ = ["Tenant"]


class Tenant(SQLModel, table=True):
    """One organisation; `identity_id` is the STIX identity it publishes as."""

    __tablename__ = "tenant"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    country: str | None = Field(default=None, max_length=2)
    identity_id: str = Field(max_length=64, unique=True)
    identity: dict[str, Any] = Field(sa_column=sa.Column(JsonDocument(), nullable=False))
    active: bool = Field(default=True)
    policy_seq: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    #: Public JWKs (X25519 or P-256) for fields delivered encrypted to this tenant; first wins.
    public_keys: list[dict[str, Any]] | None = Field(
        default=None, sa_column=sa.Column(JsonDocument())
    )

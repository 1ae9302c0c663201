"""API clients: the machine credentials of a tenant (OAuth2 client credentials, HTTP Basic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import JsonDocument, JsonList

__all__ = ["ApiClient"]


class ApiClient(SQLModel, table=True):
    """One client of one tenant. The secret is stored only as a slow hash."""

    __tablename__ = "api_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    name: str = Field(default="", max_length=200)
    secret_hash: str | None = Field(default=None, max_length=512)
    scopes: list[str] = Field(sa_column=sa.Column(JsonList(), nullable=False))
    jwks: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JsonDocument()))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )

"""People who sign in to the console: a tenant's policy officers, analysts and operators."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = ["ConsoleSession", "ConsoleUser"]


class ConsoleUser(SQLModel, table=True):
    """One person of one tenant. The password is stored only as a slow hash; the TOTP secret
    only sealed with the keyring's console key (AES-256-GCM bound to the user name)."""

    __tablename__ = "console_user"
    __table_args__ = (
        sa.CheckConstraint("role IN ('policy-officer', 'analyst', 'operator')", name="role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=32)
    password_hash: str = Field(max_length=512)
    totp_sealed: str = Field(max_length=512)
    #: The last TOTP time step accepted: a code is good once.
    totp_last_step: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    disabled_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a
    copy of the database signs nobody in."""

    __tablename__ = "console_session"

    token_hash: str = Field(max_length=64, primary_key=True)
    user_id: int = Field(foreign_key="console_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    last_seen_at: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    ended_at: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))

"""Client assertions already used: the replay guard of RFC 7523 §3 (item 7) for private_key_jwt."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = ["ClientAssertion"]


class ClientAssertion(SQLModel, table=True):
    """The `jti` of a client assertion, kept until the assertion expires; a second use fails."""

    __tablename__ = "client_assertion"

    client_id: str = Field(max_length=64, primary_key=True)
    jti: str = Field(max_length=200, primary_key=True)
    expires_at: datetime = Field(
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, index=True)
    )

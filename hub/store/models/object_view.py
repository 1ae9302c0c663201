"""Per-recipient views of a version: the object as a field profile leaves it (write time)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import BigId, JsonDocument

__all__ = ["ObjectView"]


class ObjectView(SQLModel, table=True):
    """Version `version_seq` with the fields of profile `digest` redacted or pruned.

    Most grants serve the version as published; a grant whose profile takes something away
    points at one of these, so the read path still copies stored bytes.
    """

    __tablename__ = "object_view"
    __table_args__ = (sa.UniqueConstraint("version_seq", "digest"),)

    seq: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    version_seq: int = Field(
        sa_column=sa.Column(
            BigId, sa.ForeignKey("object_version.seq", ondelete="CASCADE"), nullable=False
        )
    )
    digest: str = Field(max_length=64)
    profile: dict[str, Any] = Field(sa_column=sa.Column(JsonDocument(), nullable=False))
    body: dict[str, Any] = Field(sa_column=sa.Column(JsonDocument(), nullable=False))

"""Grants: which reader may read which object version. Visibility is decided at write time."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import BigId

__all__ = ["Grant"]


class Grant(SQLModel, table=True):
    """Reader `reader_id` may read version `version_seq` of a collection's object.

    The TAXII filter columns are copied from the version so a reader's page is one range scan
    of its own grants in `date_added` order. `is_latest` marks the newest version among those
    granted to this reader, which is what `match[version]=last` serves.

    A grant is in force only while `policy_seq` equals its publisher's current policy sequence
    (``tenant.policy_seq``): applying a new policy withdraws every grant at once, and the
    re-evaluation restores those the new policy still allows. `view_seq` names the stored view
    to serve when the recipient's field profile takes something away.
    """

    __tablename__ = "access_grant"
    __table_args__ = (
        sa.Index(
            "ix_access_grant_reader_object", "reader_id", "collection_id", "object_id", "version"
        ),
        sa.Index("ix_access_grant_reader_type", "reader_id", "collection_id", "type", "date_added"),
        sa.Index("ix_access_grant_version_seq", "version_seq"),
        sa.Index("ix_access_grant_owner", "owner_id", "policy_seq"),
        sa.Index("ix_access_grant_object", "object_id", "reader_id"),
        sa.Index("ix_access_grant_view_seq", "view_seq"),
    )

    reader_id: int = Field(foreign_key="tenant.id", primary_key=True, ondelete="CASCADE")
    collection_id: str = Field(foreign_key="collection.id", primary_key=True, max_length=36)
    date_added: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    version_seq: int = Field(
        sa_column=sa.Column(
            BigId, sa.ForeignKey("object_version.seq", ondelete="CASCADE"), nullable=False
        )
    )
    object_id: str = Field(max_length=300)
    type: str = Field(max_length=250)
    spec_version: str = Field(max_length=8)
    version: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    is_latest: bool = Field(default=True)
    owner_id: int = Field(foreign_key="tenant.id")
    policy_seq: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    view_seq: int | None = Field(
        default=None,
        sa_column=sa.Column(BigId, sa.ForeignKey("object_view.seq", ondelete="CASCADE")),
    )

"""TAXII collections and who may read and write them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import JsonList

__all__ = ["Collection"]


class Collection(SQLModel, table=True):
    """A TAXII 2.1 collection (§5.2). `readers`/`writers` hold audience selectors.

    A selector is ``*`` (every tenant), ``tenant:<slug>``, ``community:<slug>`` or
    ``kind:<national-cell|partner|operator>``.
    """

    __tablename__ = "collection"

    id: str = Field(primary_key=True, max_length=36)
    alias: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    readers: list[str] = Field(sa_column=sa.Column(JsonList(), nullable=False))
    writers: list[str] = Field(sa_column=sa.Column(JsonList(), nullable=False))
    allow_custom: bool = Field(default=False)
    clock: int = Field(
        default=0,
        sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"),
        description="Last date_added handed out (µs): grants and versions share this clock.",
    )

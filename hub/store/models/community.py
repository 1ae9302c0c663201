"""Communities: named groups of tenants (a regional bloc, all partners)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

__all__ = ["Community"]


class Community(SQLModel, table=True):
    """A named group of tenants that policies and collection permissions can refer to."""

    __tablename__ = "community"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)

"""Shared column types and the constraint naming convention of every table."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

__all__ = ["BigId", "JsonDocument", "JsonList", "json_text", "metadata"]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION

#: 64-bit integer primary keys on PostgreSQL; SQLite only auto-increments INTEGER.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def json_text(value: Any) -> str | None:
    """What a JSON column binds: stored bytes or text as they are, anything else as orjson."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


class JsonDocument(sa.types.TypeDecorator[Any]):
    """A JSON document: JSONB on PostgreSQL, compact UTF-8 text elsewhere.

    Bound values may be a Python object or already-serialised JSON (``bytes``), so the ingest
    path serialises each object once. Read back as text (see ``as_text``) so the serving path
    copies stored bytes instead of decoding and re-encoding them.
    """

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(sa.Text())

    def bind_processor(self, dialect: Dialect) -> Any:
        return json_text

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        def process(value: Any) -> Any:
            if value is None or isinstance(value, dict | list):
                return value
            return orjson.loads(value)

        return process


class JsonList(JsonDocument):
    """A JSON array (scopes, selectors, per-object outcomes)."""

    cache_ok = True

"""Helpers of the field-encryption wiring tests: publish and read in-process, raw database bytes."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hub.objects import read
from hub.objects.ingest import Publisher, ingest
from hub.store.db import Database
from hub.store.models import Collection, Status
from hub.taxii.pagination import PageTokens
from hub.tenancy.service import tenant_scope_for_cli
from tests.conftest import World

TOKENS = PageTokens(os.urandom(32))

#: Values that must never appear in clear at rest (unique, ASCII, easy to grep).
SECRET_DESCRIPTION = "Informant NG-HUMINT-17 met the courier at Kano bus station 7f3a"
SECRET_CASE = "NG-CASE-4711-c2d9e1"
SECRET_CUSTOM = "source reliability B2 / handler ALPHA-19b6"


def collection_id(db: Database, alias: str) -> str:
    """The id of the collection called `alias`."""
    with db.session() as s:
        return str(s.scalars(sa.select(Collection.id).where(Collection.alias == alias)).one())


def publish(world: World, slug: str, objects: list[dict[str, Any]], alias: str) -> Status:
    """Publish as tenant `slug` (the ingest path TAXII POST uses); asserts no failure."""
    status = ingest(world.db, Publisher(world.scope(slug)), collection_id(world.db, alias), objects)
    assert status.failure_count == 0, status.failures
    return status


def read_objects(db: Database, slug: str, alias: str, object_id: str = "") -> list[dict[str, Any]]:
    """What tenant `slug` gets from the collection (TAXII 2.1 §5.3 semantics, one page)."""
    import orjson

    scope = tenant_scope_for_cli(db, slug)
    filters = read.parse_filters({"limit": "1000"}, default_limit=1000, max_limit=1000)
    with db.session() as s:
        try:
            page = read.get_objects(s, TOKENS, scope, collection_id(db, alias), filters, object_id)
        except Exception as exc:
            if getattr(exc, "http_status", None) == 404:
                return []
            raise
    return [orjson.loads(body) for _, body in page.items]


def raw_bytes(db: Database) -> bytes:
    """Everything the database holds at rest: the SQLite file and its WAL, or a pg_dump."""
    url = make_url(db.url)
    if db.dialect == "sqlite":
        path = Path(url.database or "")
        files = [path, *(path.with_name(path.name + s) for s in ("-wal", "-journal", "-shm"))]
        return b"".join(p.read_bytes() for p in files if p.exists())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    with db.engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
    cmd = [pg_dump, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    cmd += ["-U", url.username or "postgres", "-n", schema, url.database or "test"]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def forms(values: Iterable[str | bytes]) -> list[bytes]:
    """How a value can appear at rest: raw UTF-8, and hex or base64 of it."""
    out: list[bytes] = []
    for v in values:
        data = v.encode() if isinstance(v, str) else v
        out += [data, data.hex().encode(), base64.b64encode(data), base64.urlsafe_b64encode(data)]
    return out


def assert_absent(data: bytes, values: Iterable[str | bytes]) -> None:
    """None of `values` (in any of its forms) occurs in `data`."""
    for form in forms(values):
        assert form not in data, f"{form[:40]!r} found at rest"


def version_row(db: Database, object_id: str) -> sa.Row[Any]:
    """The newest stored version of `object_id`, with its field-encryption columns."""
    with db.session() as s:
        return s.execute(
            sa.text(
                "SELECT seq, CAST(body AS TEXT) AS body, CAST(sealed AS TEXT) AS sealed, "
                "wrapped_key, key_id, mac, CAST(recipients AS TEXT) AS recipients, tlp, owner_id "
                "FROM object_version WHERE object_id = :id ORDER BY version DESC LIMIT 1"
            ),
            {"id": object_id},
        ).one()

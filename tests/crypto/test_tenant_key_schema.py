"""The tenant_key table: the migration matches the model, and its constraints hold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub.store.db import Database
from hub.store.models import TenantKey, metadata

pytestmark = pytest.mark.postgres


def test_migration_matches_the_model(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, metadata) if "tenant_key" in repr(d)]
    assert diffs == []


def _row(tenant: int, key_id: str, **kw: object) -> TenantKey:
    values: dict[str, object] = {
        "tenant_id": tenant,
        "key_id": key_id,
        "purpose": "kek",
        "state": "active",
        "wrapped_key": b"\x01wrapped",
        "master_key_id": "mk-1",
        "created_at": datetime.now(UTC),
    }
    values.update(kw)
    return TenantKey(**values)


def _insert(db: Database, row: TenantKey) -> None:
    with db.write_session() as s:
        s.add(row)


def test_one_active_key_per_tenant_and_purpose(
    db: Database, make_tenant: Callable[[str], int]
) -> None:
    tenant = make_tenant("t")
    _insert(db, _row(tenant, "k1"))
    _insert(db, _row(tenant, "r1", purpose="root"))
    _insert(db, _row(tenant, "k0", state="retired"))
    with pytest.raises(sa.exc.IntegrityError):
        _insert(db, _row(tenant, "k2"))


@pytest.mark.parametrize(
    "kw",
    [
        {"state": "lost"},
        {"purpose": "other"},
        {"state": "destroyed"},  # destroyed but still holding a wrapped key
        {"state": "retired", "wrapped_key": None},  # live but without one
    ],
)
def test_check_constraints(
    db: Database, make_tenant: Callable[[str], int], kw: dict[str, object]
) -> None:
    tenant = make_tenant("t")
    with pytest.raises(sa.exc.IntegrityError):
        _insert(db, _row(tenant, "k1", **kw))

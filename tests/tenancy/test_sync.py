"""`tenants sync`: applies the directory idempotently, all or nothing, and regrants on change."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.store.db import Database
from hub.store.models import Collection, Membership, Tenant
from hub.store.tenants import communities_of, tenant_by_slug
from hub.tenancy.loader import DirectoryError
from hub.tenancy.service import sync_directory

EXAMPLE = Path(__file__).resolve().parents[2] / "tenants"


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def test_sync_twice_is_harmless(db: Database) -> None:
    first = sync_directory(db, EXAMPLE)
    assert "tenant:ng-nctc" in first.created
    assert first.published > 0
    counts = (_count(db, Tenant), _count(db, Membership), _count(db, Collection))
    second = sync_directory(db, EXAMPLE)
    assert not second.changed
    assert (_count(db, Tenant), _count(db, Membership), _count(db, Collection)) == counts
    with db.session() as s:
        ng = tenant_by_slug(s, "ng-nctc")
        assert ng is not None and ng.id is not None
        assert communities_of(s, ng.id) == {"ecowas", "african-union"}
        assert ng.identity["type"] == "identity" and ng.identity["id"] == ng.identity_id


def test_invalid_directory_changes_nothing(db: Database, tenants_copy: Path) -> None:
    sync_directory(db, EXAMPLE)
    with db.session() as s:
        before = s.execute(sa.select(Tenant.slug, Tenant.name).order_by(Tenant.slug)).all()
    (tenants_copy / "ng-nctc.yaml").write_text(
        (tenants_copy / "ng-nctc.yaml").read_text().replace("Nigeria", "Renamed")
    )
    (tenants_copy / "cted.yaml").write_text("slug: cted\nkind: wizard\n")
    with pytest.raises(DirectoryError):
        sync_directory(db, tenants_copy)
    with db.session() as s:
        assert s.execute(sa.select(Tenant.slug, Tenant.name).order_by(Tenant.slug)).all() == before


def test_changes_are_applied_and_removed_tenants_deactivated(
    db: Database, tenants_copy: Path
) -> None:
    sync_directory(db, EXAMPLE)
    path = tenants_copy / "ng-nctc.yaml"
    path.write_text(path.read_text().replace("[ecowas, african-union]", "[ecowas]"))
    (tenants_copy / "unpol.yaml").unlink()
    cols = (tenants_copy / "collections.yaml").read_text().replace("tenant:unpol", "tenant:cted")
    (tenants_copy / "collections.yaml").write_text(cols)
    report = sync_directory(db, tenants_copy)
    assert "tenant:ng-nctc" in report.updated
    assert report.deactivated == ["tenant:unpol"]
    with db.session() as s:
        ng = tenant_by_slug(s, "ng-nctc")
        unpol = tenant_by_slug(s, "unpol")
        assert ng is not None and ng.id is not None and unpol is not None
        assert communities_of(s, ng.id) == {"ecowas"}
        assert unpol.active is False

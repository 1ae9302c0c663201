"""Apply the ``tenants/`` directory to the database, idempotently, in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from hub.store.db import Database
from hub.store.models import Collection, Community, Membership, Tenant
from hub.store.tenants import communities_of, tenant_by_slug
from hub.tenancy.identity import identity_content, identity_object
from hub.tenancy.loader import TenantDirectory, load_directory
from hub.types import TenantScope

__all__ = ["DIRECTORY_COLLECTION", "SyncReport", "operator_scope", "sync_directory"]

log = logging.getLogger("hub.tenancy")
DIRECTORY_COLLECTION = "hub-directory"


@dataclass
class SyncReport:
    """What a sync changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    regranted: dict[str, int] = field(default_factory=dict)
    published: int = 0
    keys: list[str] = field(default_factory=list)  # tenants whose public keys changed

    @property
    def changed(self) -> bool:
        """True if the sync wrote anything."""
        return bool(
            self.created
            or self.updated
            or self.deactivated
            or self.regranted
            or self.published
            or self.keys
        )


def _upsert_communities(session: Session, d: TenantDirectory, report: SyncReport) -> dict[str, int]:
    existing = {c.slug: c for c in session.scalars(sa.select(Community))}
    for spec in d.communities:
        row = existing.get(spec.slug)
        if row is None:
            row = Community(slug=spec.slug, name=spec.name, description=spec.description)
            session.add(row)
            existing[spec.slug] = row
            report.created.append(f"community:{spec.slug}")
        elif (row.name, row.description) != (spec.name, spec.description):
            row.name, row.description = spec.name, spec.description
            report.updated.append(f"community:{spec.slug}")
    session.flush()
    return {slug: c.id for slug, c in existing.items() if c.id is not None}


def _upsert_tenants(
    session: Session, d: TenantDirectory, community_ids: dict[str, int], report: SyncReport
) -> None:
    now = datetime.now(UTC)
    operator = next((t.identity_id for t in d.tenants if t.kind == "operator"), None)
    existing = {t.slug: t for t in session.scalars(sa.select(Tenant))}
    for spec in d.tenants:
        row = existing.get(spec.slug)
        if row is None:
            row = Tenant(
                slug=spec.slug,
                name=spec.name,
                kind=spec.kind,
                country=spec.country,
                identity_id=spec.identity_id,
                identity=identity_object(
                    spec, created=now, modified=now, operator_identity=operator
                ),
                created_at=now,
                public_keys=list(spec.public_keys) or None,
            )
            session.add(row)
            report.created.append(f"tenant:{spec.slug}")
        else:
            created = datetime.fromisoformat(row.identity["created"].replace("Z", "+00:00"))
            candidate = identity_object(
                spec, created=created, modified=now, operator_identity=operator
            )
            fields = (spec.name, spec.kind, spec.country, spec.identity_id, True)
            current = (row.name, row.kind, row.country, row.identity_id, row.active)
            if fields != current or identity_content(candidate) != identity_content(row.identity):
                if spec.identity_id != row.identity_id:
                    candidate["created"] = candidate["modified"]
                row.name, row.kind, row.country, row.identity_id = fields[:4]
                row.active = True
                row.identity = candidate
                report.updated.append(f"tenant:{spec.slug}")
            if (row.public_keys or []) != list(spec.public_keys):
                row.public_keys = list(spec.public_keys) or None  # no audience change: no regrant
                report.keys.append(f"tenant:{spec.slug}")
        session.flush()
        assert row.id is not None
        wanted = {community_ids[c] for c in spec.communities}
        have = {
            m.community_id
            for m in session.scalars(
                sa.select(Membership).where(col(Membership.tenant_id) == row.id)
            )
        }
        if wanted != have:
            session.execute(
                sa.delete(Membership).where(
                    col(Membership.tenant_id) == row.id,
                    col(Membership.community_id).not_in(wanted),
                )
            )
            session.add_all(Membership(tenant_id=row.id, community_id=c) for c in wanted - have)
            if f"tenant:{spec.slug}" not in report.created + report.updated:
                report.updated.append(f"tenant:{spec.slug}")
    declared = {t.slug for t in d.tenants}
    for slug, row in existing.items():
        if slug not in declared and row.active:
            row.active = False
            report.deactivated.append(f"tenant:{slug}")
    session.flush()


def _upsert_collections(session: Session, d: TenantDirectory, report: SyncReport) -> None:
    existing = {c.id: c for c in session.scalars(sa.select(Collection))}
    for spec in d.collections:
        cid = str(spec.id)
        values: dict[str, Any] = {
            "alias": spec.alias,
            "title": spec.title,
            "description": spec.description,
            "readers": list(spec.readers),
            "writers": list(spec.writers),
            "allow_custom": spec.allow_custom,
        }
        row = existing.get(cid)
        if row is None:
            session.add(Collection(id=cid, **values))
            report.created.append(f"collection:{spec.alias}")
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            report.updated.append(f"collection:{spec.alias}")
    session.flush()


def _regrant(session: Session, report: SyncReport) -> None:
    """Re-evaluate grants when audiences may have changed (tenants, memberships, collections)."""
    from hub.objects.grants import reevaluate_collection
    from hub.store.objects import lock_collection

    if not (report.created or report.updated or report.deactivated):
        return
    now = datetime.now(UTC)
    # Locked in one order (by id) by every transaction locking several collections, so two
    # syncs never hold each other's locks (heap order changes as rows are updated).
    for collection in session.scalars(sa.select(Collection).order_by(col(Collection.id))):
        lock_collection(session, collection.id)
        report.regranted[collection.alias] = reevaluate_collection(session, collection, now=now)


def operator_scope(session: Session) -> TenantScope | None:
    """The hub operator's scope, for the hub's own publications (trusted system entry point)."""
    row = session.scalars(
        sa.select(Tenant).where(col(Tenant.kind) == "operator", col(Tenant.active).is_(True))
    ).first()
    if row is None or row.id is None:
        return None
    return TenantScope(row.id, row.slug, row.kind, row.identity_id, communities_of(session, row.id))


def sync_directory(db: Database, directory: Path) -> SyncReport:
    """Validate `directory` and apply it; on any problem nothing is written.

    Then create the tenants' keys (when this process has its key service) and publish the
    tenants' identities, the TLP marking definitions and the hub's extension definitions (field
    encryption, TLP:RED recipients; STIX 2.1 §7.3) to the hub directory collection through the
    ordinary ingest path.
    """
    d = load_directory(directory)
    report = SyncReport()
    with db.write_session() as session:
        community_ids = _upsert_communities(session, d, report)
        _upsert_tenants(session, d, community_ids, report)
        _upsert_collections(session, d, report)
        _regrant(session, report)
    _ensure_tenant_keys(db)
    report.published = _publish_directory(db)
    log.info(
        "tenants synced",
        extra={"tenants_created": report.created, "tenants_updated": report.updated},
    )
    return report


def _ensure_tenant_keys(db: Database) -> None:
    """Create the key and root of every active tenant now (docs/crypto.md), if this process has
    its key service; otherwise they are created on each tenant's first protected publication."""
    from hub.crypto import KeyUnavailable
    from hub.objects.protection import registered

    protection = registered(db)
    if protection is None or not protection.enabled:
        return
    with db.session() as session:
        ids = session.scalars(
            sa.select(col(Tenant.id)).where(
                col(Tenant.active).is_(True), col(Tenant.kind) != "operator"
            )
        ).all()
    try:
        for tenant_id in ids:
            if tenant_id is not None:
                protection.keys.ensure_tenant_keys(tenant_id)
    except KeyUnavailable as exc:  # no keyring or HSM yet: each first publication makes them
        log.warning("tenant keys not created", extra={"reason": exc.description})


def _publish_directory(db: Database) -> int:
    from hub.crypto.extension import extension_definition
    from hub.objects.ingest import Publisher, ingest
    from hub.sharing.extension import red_recipients_extension_definition
    from hub.stix import TLP_DEFINITIONS

    with db.session() as session:
        scope = operator_scope(session)
        directory = session.scalars(
            sa.select(Collection).where(col(Collection.alias) == DIRECTORY_COLLECTION)
        ).first()
        identities = [
            t.identity for t in session.scalars(sa.select(Tenant).order_by(col(Tenant.slug)))
        ]
    if scope is None or directory is None:
        return 0
    extensions = [
        extension_definition(scope.identity_id),
        red_recipients_extension_definition(scope.identity_id),
    ]
    status = ingest(
        db,
        Publisher(scope, system=True),
        directory.id,
        [*TLP_DEFINITIONS, *extensions, *identities],
    )
    return sum(1 for s in status.successes if "message" not in s)


def tenant_scope_for_cli(db: Database, slug: str) -> TenantScope:
    """A tenant's scope for trusted command-line use (`fusion-hub publish`, the demo)."""
    with db.session() as session:
        row = tenant_by_slug(session, slug)
        if row is None or row.id is None or not row.active:
            raise LookupError(f"no active tenant {slug!r}")
        return TenantScope(
            row.id, row.slug, row.kind, row.identity_id, communities_of(session, row.id)
        )

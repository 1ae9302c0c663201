"""Every query on tenants, communities, memberships and collections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from hub.store.models import Collection, Community, Membership, Tenant

__all__ = [
    "audience_tenant_ids",
    "collection_by_id",
    "communities_of",
    "list_collections",
    "list_communities",
    "list_tenants",
    "operator_ids",
    "tenant_by_id",
    "tenant_by_identity",
    "tenant_by_slug",
    "tenant_identities",
    "tenant_profiles",
]


def tenant_by_slug(session: Session, slug: str) -> Tenant | None:
    """The tenant called `slug`, active or not."""
    return session.scalars(sa.select(Tenant).where(col(Tenant.slug) == slug)).first()


def tenant_by_id(session: Session, tenant_id: int) -> Tenant | None:
    """The tenant with primary key `tenant_id`."""
    return session.get(Tenant, tenant_id)


def tenant_by_identity(session: Session, identity_id: str) -> Tenant | None:
    """The tenant that publishes as STIX identity `identity_id`."""
    return session.scalars(sa.select(Tenant).where(col(Tenant.identity_id) == identity_id)).first()


def list_tenants(session: Session, *, active_only: bool = True) -> Sequence[Tenant]:
    """All tenants ordered by slug."""
    q = sa.select(Tenant).order_by(col(Tenant.slug))
    if active_only:
        q = q.where(col(Tenant.active).is_(True))
    return session.scalars(q).all()


def list_communities(session: Session) -> Sequence[Community]:
    """All communities ordered by slug."""
    return session.scalars(sa.select(Community).order_by(col(Community.slug))).all()


def communities_of(session: Session, tenant_id: int) -> frozenset[str]:
    """Slugs of the communities tenant `tenant_id` belongs to."""
    rows = session.execute(
        sa.select(col(Community.slug))
        .join(Membership, col(Membership.community_id) == col(Community.id))
        .where(col(Membership.tenant_id) == tenant_id)
    )
    return frozenset(r[0] for r in rows)


def list_collections(session: Session) -> Sequence[Collection]:
    """All collections ordered by alias."""
    return session.scalars(sa.select(Collection).order_by(col(Collection.alias))).all()


def collection_by_id(session: Session, collection_id: str) -> Collection | None:
    """The collection with TAXII id `collection_id`."""
    return session.get(Collection, collection_id)


def audience_tenant_ids(session: Session, audiences: Iterable[str]) -> set[int]:
    """Ids of the active tenants that any of the audience selectors includes."""
    selectors = list(audiences)
    conditions: list[sa.ColumnElement[bool]] = []
    slugs = [a.split(":", 1)[1] for a in selectors if a.startswith("tenant:")]
    kinds = [a.split(":", 1)[1] for a in selectors if a.startswith("kind:")]
    comms = [a.split(":", 1)[1] for a in selectors if a.startswith("community:")]
    if "*" in selectors:
        conditions.append(sa.true())
    if slugs:
        conditions.append(col(Tenant.slug).in_(slugs))
    if kinds:
        conditions.append(col(Tenant.kind).in_(kinds))
    if comms:
        members = (
            sa.select(col(Membership.tenant_id))
            .join(Community, col(Community.id) == col(Membership.community_id))
            .where(col(Community.slug).in_(comms))
        )
        conditions.append(col(Tenant.id).in_(members))
    if not conditions:
        return set()
    q = sa.select(col(Tenant.id)).where(col(Tenant.active).is_(True), sa.or_(*conditions))
    return {r[0] for r in session.execute(q) if r[0] is not None}


def tenant_profiles(
    session: Session, tenant_ids: Iterable[int]
) -> list[tuple[int, str, str, frozenset[str], str]]:
    """(id, slug, kind, community slugs, identity id) of each tenant, for sharing decisions."""
    ids = sorted(set(tenant_ids))
    if not ids:
        return []
    comms: dict[int, set[str]] = {i: set() for i in ids}
    rows = session.execute(
        sa.select(col(Membership.tenant_id), col(Community.slug))
        .join(Community, col(Community.id) == col(Membership.community_id))
        .where(col(Membership.tenant_id).in_(ids))
    )
    for tenant_id, slug in rows:
        comms[tenant_id].add(slug)
    tenants = session.execute(
        sa.select(
            col(Tenant.id), col(Tenant.slug), col(Tenant.kind), col(Tenant.identity_id)
        ).where(col(Tenant.id).in_(ids))
    )
    return [(t, s, k, frozenset(comms[t]), i) for t, s, k, i in tenants if t is not None]


def tenant_identities(session: Session) -> set[str]:
    """The STIX identity ids of every tenant: public, the hub publishes them."""
    return {r[0] for r in session.execute(sa.select(col(Tenant.identity_id)))}


def operator_ids(session: Session) -> set[int]:
    """Ids of the operator tenants, whose publications are the hub's own."""
    rows = session.execute(sa.select(col(Tenant.id)).where(col(Tenant.kind) == "operator"))
    return {r[0] for r in rows if r[0] is not None}

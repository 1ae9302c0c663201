"""What a tenant published and whom it reached: aggregate queries over its latest versions.

Every query is scoped to one publisher (the :class:`~hub.types.TenantScope` it is given) and
counts in SQL (``GROUP BY``), never by loading the publisher's objects.

* An object's **latest version** is its newest version (by ``version``, the object's
  ``modified``) in any collection: what TAXII serves as ``match[version]=last``. Its type and
  TLP are those of that version; the TLP is the effective level stored on publication (the most
  restrictive of its object and granular markings, else its publisher's default TLP), ``None``
  only for a version stored without one.
* A **recipient** is another active tenant holding a grant **in force** of any version of the
  object: one whose ``policy_seq`` equals the publisher's current ``tenant.policy_seq``
  (:class:`~hub.store.models.Grant`). The publisher's own grants are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.models import Grant, ObjectVersion, Tenant
from hub.types import TenantScope

__all__ = [
    "PublishedCount",
    "PublishedObject",
    "published_counts",
    "published_total",
    "recent_published",
]

G = Grant.__table__  # type: ignore[attr-defined]
V = ObjectVersion.__table__  # type: ignore[attr-defined]
T = Tenant.__table__  # type: ignore[attr-defined]

Dimension = Literal["type", "tlp"]


@dataclass(frozen=True, slots=True)
class PublishedCount:
    """How many of the publisher's objects share `key`, and how many recipients hold them.

    `key` is a STIX type or a TLP level (``None``: no TLP marking; also ``None`` in the total).
    `recipients` counts distinct tenants: one holding several of the objects counts once.
    """

    key: str | None
    objects: int
    recipients: int


@dataclass(frozen=True, slots=True)
class PublishedObject:
    """One of the publisher's objects, as its latest version stands, and how many hold it."""

    object_id: str
    type: str
    tlp: str | None
    date_added: int  # µs since the epoch: when the latest version was added
    recipients: int


def _latest(scope: TenantScope) -> sa.Subquery:
    """(object_id, type, tlp, date_added) of the latest version of each of the scope's objects."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=V.c.object_id,
            order_by=(V.c.version.desc(), V.c.date_added.desc(), V.c.seq.desc()),
        )
        .label("rank")
    )
    ranked = (
        sa.select(V.c.object_id, V.c.type, V.c.tlp, V.c.date_added, rank)
        .where(V.c.owner_id == scope.tenant_id)
        .subquery("ranked")
    )
    return (
        sa.select(ranked.c.object_id, ranked.c.type, ranked.c.tlp, ranked.c.date_added)
        .where(ranked.c.rank == 1)
        .subquery("latest")
    )


def _in_force(scope: TenantScope) -> list[sa.ColumnElement[bool]]:
    """Grants of the scope's objects to other active tenants, under its policy in force."""
    policy_seq = sa.select(T.c.policy_seq).where(T.c.id == scope.tenant_id).scalar_subquery()
    active = sa.select(T.c.id).where(T.c.active.is_(True))
    return [
        G.c.owner_id == scope.tenant_id,
        G.c.policy_seq == policy_seq,
        G.c.reader_id != scope.tenant_id,
        G.c.reader_id.in_(active),
    ]


def _held(scope: TenantScope) -> sa.Subquery:
    """Distinct (object_id, reader_id) pairs of the grants in force of the scope's objects."""
    pairs = sa.select(G.c.object_id, G.c.reader_id).where(*_in_force(scope)).distinct()
    return pairs.subquery("held")


def _counts(session: Session, scope: TenantScope, column: str | None) -> list[PublishedCount]:
    """Objects and distinct holders in force, grouped by a column of the latest versions."""
    latest, held = _latest(scope), _held(scope)
    objects = sa.func.count(sa.distinct(latest.c.object_id))
    readers = sa.func.count(sa.distinct(held.c.reader_id))
    key: sa.ColumnElement[Any] = sa.null() if column is None else latest.c[column]
    stmt = sa.select(key, objects, readers).select_from(
        latest.outerjoin(held, held.c.object_id == latest.c.object_id)
    )
    if column is not None:
        stmt = stmt.group_by(key).order_by(objects.desc(), key)
    return [PublishedCount(r[0], int(r[1]), int(r[2])) for r in session.execute(stmt)]


def published_counts(session: Session, scope: TenantScope, by: Dimension) -> list[PublishedCount]:
    """The scope's objects (latest versions) grouped by STIX type or by TLP level, most first.

    One query: the latest versions joined to the distinct holders in force, grouped.
    """
    return _counts(session, scope, by)


def published_total(session: Session, scope: TenantScope) -> PublishedCount:
    """All the scope's objects (latest versions) and the distinct tenants holding any of them."""
    (total,) = _counts(session, scope, None)
    return total


def recent_published(
    session: Session, scope: TenantScope, limit: int = 20
) -> list[PublishedObject]:
    """The scope's `limit` most recently added objects (by their latest version's
    ``date_added``, newest first), each with how many recipients hold it."""
    latest = _latest(scope)
    holders = (
        sa.select(sa.func.count(sa.distinct(G.c.reader_id)))
        .where(G.c.object_id == latest.c.object_id, *_in_force(scope))
        .scalar_subquery()
    )
    stmt = (
        sa.select(latest.c.object_id, latest.c.type, latest.c.tlp, latest.c.date_added, holders)
        .order_by(latest.c.date_added.desc(), latest.c.object_id)
        .limit(limit)
    )
    return [
        PublishedObject(str(r[0]), str(r[1]), r[2], int(r[3]), int(r[4]))
        for r in session.execute(stmt)
    ]

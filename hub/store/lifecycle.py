"""The queries of the policy lifecycle: resumable re-evaluation batches, preview, explain.

Read-only except through the functions of :mod:`hub.store.objects` the callers combine them
with. Every query here is scoped to one publisher (`owner_id`) or one reader (`reader_id`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.models import Grant, ObjectVersion

__all__ = [
    "count_versions",
    "object_owners",
    "owned_latest_versions",
    "reader_grant",
    "versions_after",
]

G = Grant.__table__  # type: ignore[attr-defined]
V = ObjectVersion.__table__  # type: ignore[attr-defined]

_COLUMNS = (
    V.c.seq,
    V.c.collection_id,
    V.c.object_id,
    V.c.type,
    V.c.spec_version,
    V.c.version,
    V.c.date_added,
    V.c.owner_id,
    V.c.tlp,
)


def versions_after(
    session: Session,
    collection_id: str,
    *,
    owner_id: int,
    after: int,
    limit: int,
) -> list[sa.Row[Any]]:
    """The next `limit` versions of one publisher in a collection after `date_added` `after`.

    Same columns as :func:`hub.store.objects.iter_versions` with its body, so a batch job can
    resume at any position (`after` = the last `date_added` it finished).
    """
    body = sa.cast(V.c.body, sa.Text).label("body")
    return list(
        session.execute(
            sa.select(*_COLUMNS, body)
            .where(V.c.collection_id == collection_id, V.c.owner_id == owner_id)
            .where(V.c.date_added > after)
            .order_by(V.c.date_added)
            .limit(limit)
        )
    )


def count_versions(session: Session, owner_id: int) -> dict[str, int]:
    """Collection id → how many versions the publisher stored there."""
    rows = session.execute(
        sa.select(V.c.collection_id, sa.func.count())
        .where(V.c.owner_id == owner_id)
        .group_by(V.c.collection_id)
    )
    return {str(r[0]): int(r[1]) for r in rows}


def object_owners(session: Session, object_id: str) -> set[int]:
    """The tenants that stored versions of `object_id` (one, unless ids collide)."""
    rows = session.execute(sa.select(V.c.owner_id).where(V.c.object_id == object_id).distinct())
    return {int(r[0]) for r in rows}


def owned_latest_versions(session: Session, owner_id: int, object_id: str) -> list[sa.Row[Any]]:
    """The newest version of `object_id` in each collection, if `owner_id` published it."""
    newer = V.alias("newer")
    body = sa.cast(V.c.body, sa.Text).label("body")
    exists_newer = (
        sa.select(newer.c.seq)
        .where(
            newer.c.collection_id == V.c.collection_id,
            newer.c.object_id == V.c.object_id,
            newer.c.version > V.c.version,
        )
        .exists()
    )
    return list(
        session.execute(
            sa.select(*_COLUMNS, body)
            .where(V.c.object_id == object_id, V.c.owner_id == owner_id, ~exists_newer)
            .order_by(V.c.collection_id)
        )
    )


def reader_grant(session: Session, reader_id: int, version_seq: int) -> sa.Row[Any] | None:
    """The grant of one version to one reader: (date_added, policy_seq, view_seq), or None."""
    return session.execute(
        sa.select(G.c.date_added, G.c.policy_seq, G.c.view_seq)
        .where(G.c.reader_id == reader_id, G.c.version_seq == version_seq)
        .limit(1)
    ).first()

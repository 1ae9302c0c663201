"""Every SQL statement on the audit tables (and the few lookups the audit queries need)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.store.models import AuditCheckpoint, AuditEntry, Collection, ObjectVersion, Tenant

__all__ = [
    "C",
    "E",
    "checkpoint_at",
    "checkpoints",
    "checkpoints_desc",
    "contains_object",
    "delete_before",
    "first_seq_from",
    "hash_at",
    "head",
    "insert_checkpoint",
    "insert_entries",
    "iter_entries",
    "latest_checkpoint",
    "object_owners",
    "published_in_trail",
    "scan",
    "tenant_by_slug",
    "tenant_ids",
]

E = AuditEntry.__table__  # type: ignore[attr-defined]
C = AuditCheckpoint.__table__  # type: ignore[attr-defined]
T = Tenant.__table__  # type: ignore[attr-defined]
V = ObjectVersion.__table__  # type: ignore[attr-defined]
COLLECTIONS = Collection.__table__  # type: ignore[attr-defined]
_CHUNK = 500


# The append path's statements, built once (constructing a statement costs more than running it).
_HEAD = sa.select(E.c.seq, E.c.hash, E.c.time).order_by(E.c.seq.desc()).limit(1)
_INSERT = sa.insert(E)


def head(db: Session | sa.Connection) -> tuple[int, str, int] | None:
    """(seq, hash, time) of the newest entry."""
    row = db.execute(_HEAD).first()
    return (row[0], row[1], row[2]) if row else None


def insert_entries(db: Session | sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert fully formed entries (Core executemany)."""
    db.execute(_INSERT, list(rows))


def iter_entries(
    session: Session, start: int, stop: int | None = None, chunk: int = 2000
) -> Iterator[list[sa.Row[Any]]]:
    """Entries with ``start <= seq (<= stop)`` in `seq` order, in chunks (keyset pagination)."""
    after = start - 1
    while True:
        q = sa.select(E).where(E.c.seq > after).order_by(E.c.seq).limit(chunk)
        if stop is not None:
            q = q.where(E.c.seq <= stop)
        rows = list(session.execute(q))
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def first_seq_from(session: Session, time: int) -> int | None:
    """The first `seq` whose time is at or after `time` (times never decrease along `seq`)."""
    return session.execute(
        sa.select(E.c.seq).where(E.c.time >= time).order_by(E.c.seq).limit(1)
    ).scalar()


def delete_before(session: Session, seq: int) -> int:
    """Delete the entries before `seq` (retention); returns how many."""
    result = session.execute(sa.delete(E).where(E.c.seq < seq))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def checkpoints(
    session: Session, *, after: int | None = None, limit: int | None = None
) -> list[sa.Row[Any]]:
    """Checkpoints in `seq` order, after `after`."""
    q = sa.select(C).order_by(C.c.seq, C.c.kind)
    if after is not None:
        q = q.where(C.c.seq > after)
    if limit is not None:
        q = q.limit(limit)
    return list(session.execute(q))


def checkpoints_desc(
    session: Session, *, at_most: int | None = None, chunk: int = 50
) -> Iterator[sa.Row[Any]]:
    """Checkpoints from the newest back (lazily, in chunks)."""
    below = None if at_most is None else at_most + 1
    while True:
        q = sa.select(C).order_by(C.c.seq.desc(), C.c.kind).limit(chunk)
        if below is not None:
            q = q.where(C.c.seq < below)
        rows = list(session.execute(q))
        yield from rows
        if len(rows) < chunk:
            return
        below = rows[-1].seq


def checkpoint_at(session: Session, seq: int) -> sa.Row[Any] | None:
    """A checkpoint of entry `seq` (of any kind), if there is one."""
    return session.execute(sa.select(C).where(C.c.seq == seq).order_by(C.c.kind).limit(1)).first()


def latest_checkpoint(session: Session) -> sa.Row[Any] | None:
    """The checkpoint with the greatest `seq`."""
    return session.execute(sa.select(C).order_by(C.c.seq.desc()).limit(1)).first()


def insert_checkpoint(session: Session, cp: Any) -> bool:
    """Store a signed checkpoint; False if one of that kind already exists for its `seq`."""
    values = {
        "seq": cp.seq,
        "kind": cp.kind,
        "hash": cp.hash,
        "time": cp.time,
        "key_id": cp.key_id,
        "signature": cp.signature,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    result = session.execute(insert(C).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


def hash_at(session: Session, seq: int) -> str | None:
    """The stored hash of entry `seq`."""
    return session.execute(sa.select(E.c.hash).where(E.c.seq == seq)).scalar()


def tenant_ids(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """slug → id of the given tenants (unknown slugs are left out)."""
    rows: Iterable[Any] = session.execute(
        sa.select(T.c.id, T.c.slug).where(T.c.slug.in_(list(slugs)))
    )
    return {str(slug): tid for tid, slug in rows}


def tenant_by_slug(session: Session, slug: str) -> tuple[int, str] | None:
    """(id, slug) of a tenant, active or not."""
    row = session.execute(sa.select(T.c.id, T.c.slug).where(T.c.slug == slug)).first()
    return (row[0], row[1]) if row else None


def contains_object(dialect: str, object_id: str) -> sa.ColumnElement[bool]:
    """A condition true for (at least) the entries whose `objects` list names `object_id`.

    PostgreSQL answers exactly from the GIN index (jsonb containment); SQLite pre-filters the JSON
    text, and callers check the decoded list.
    """
    if dialect == "postgresql":
        probe = sa.cast(sa.literal(f'[["{_json_escape(object_id)}"]]'), postgresql.JSONB)
        return E.c.objects.op("@>")(probe)  # type: ignore[no-any-return]
    escaped = object_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return E.c.objects.like(f'%"{escaped}"%', escape="\\")  # type: ignore[no-any-return]


def _json_escape(value: str) -> str:
    import orjson

    return orjson.dumps(value).decode()[1:-1]


def scan(
    session: Session,
    conditions: Sequence[sa.ColumnElement[bool]],
    *,
    after: int | None,
    limit: int,
) -> list[sa.Row[Any]]:
    """Up to `limit` entries matching every condition, with `seq` greater than `after`."""
    q = sa.select(E).where(*conditions).order_by(E.c.seq).limit(limit)
    if after is not None:
        q = q.where(E.c.seq > after)
    return list(session.execute(q))


def object_owners(session: Session, object_ids: Iterable[str]) -> dict[str, int]:
    """object id → publishing tenant id, for the ids stored in any collection."""
    ids = sorted(set(object_ids))
    collections: list[str] = list(session.scalars(sa.select(COLLECTIONS.c.id)))
    owners: dict[str, int] = {}
    for i in range(0, len(ids), _CHUNK):
        rows: Iterable[Any] = session.execute(
            sa.select(V.c.object_id, V.c.owner_id)
            .where(V.c.collection_id.in_(collections), V.c.object_id.in_(ids[i : i + _CHUNK]))
            .distinct()
        )
        for object_id, owner_id in rows:
            owners[object_id] = owner_id
    return owners


def published_in_trail(session: Session, tenant_id: int, object_ids: Iterable[str]) -> set[str]:
    """Those of `object_ids` that the trail's publish entries show `tenant_id` publishing.

    For objects deleted since: the entries outlive them (until retention prunes them).
    """
    dialect = session.get_bind().dialect.name
    found: set[str] = set()
    for object_id in sorted(set(object_ids)):
        rows: Iterable[list[list[str]]] = session.scalars(
            sa.select(E.c.objects)
            .where(
                E.c.action == "publish",
                E.c.actor_tenant_id == tenant_id,
                contains_object(dialect, object_id),
            )
            .limit(20)
        )
        if any(any(o[0] == object_id for o in objects) for objects in rows):
            found.add(object_id)
    return found

"""Every query on STIX object versions and the grants that make them visible.

Bulk writes are one prepared statement per batch, executed by the driver (`executemany`): the
ORM's unit of work is several times slower for bulk rows, and even Core spends more time
processing each row's parameters than SQLite spends storing it. Reads are range scans of the
reader's own grants in `date_added` order, joined to the stored bytes of exactly the versions
returned: a page never touches objects it will not serve.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.models import Collection, Grant, ObjectVersion, ObjectView, Tenant
from hub.store.models._base import json_text
from hub.store.sealed import PageRow, Protection, protection_row
from hub.types import TenantScope

__all__ = [
    "GrantRow",
    "NewVersion",
    "PageQuery",
    "PageRow",
    "Protection",
    "VersionFilter",
    "collection_clock",
    "delete_grants_of",
    "delete_versions",
    "existing_versions",
    "grant_views",
    "granted_pairs",
    "insert_grants",
    "insert_versions",
    "insert_views",
    "iter_versions",
    "lock_collection",
    "owned_by",
    "owner_collections",
    "owners",
    "page_grants",
    "page_objects",
    "refresh_latest",
    "set_collection_clock",
    "set_grants_policy",
    "version_owners",
]

G = Grant.__table__  # type: ignore[attr-defined]
V = ObjectVersion.__table__  # type: ignore[attr-defined]
W = ObjectView.__table__  # type: ignore[attr-defined]
T = Tenant.__table__  # type: ignore[attr-defined]
C = Collection.__table__  # type: ignore[attr-defined]
_CHUNK = 500


@dataclass(slots=True)
class NewVersion:
    """A validated object version about to be stored."""

    object_id: str
    type: str
    spec_version: str
    created: int | None
    version: int
    owner_id: int
    tlp: str | None
    revoked: bool
    body: bytes | str
    sealed: dict[str, str] | None = None
    wrapped_key: bytes | None = None
    key_id: str | None = None
    mac: str | None = None
    recipients: dict[str, str] | None = None


@dataclass(slots=True)
class GrantRow:
    """Reader `reader_id` may read the version stored at `date_added`."""

    reader_id: int
    date_added: int
    version_seq: int
    object_id: str
    type: str
    spec_version: str
    version: int
    is_latest: bool
    owner_id: int = 0
    policy_seq: int = 0
    view_seq: int | None = None


@dataclass(frozen=True, slots=True)
class VersionFilter:
    """TAXII 2.1 §3.4.3 `match[version]`: any of last, first, all, or exact timestamps."""

    last: bool = True
    first: bool = False
    all: bool = False
    exact: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class PageQuery:
    """One page of a reader's view of a collection, keyset-paginated on `date_added`."""

    collection_id: str
    limit: int
    after: int | None = None  # exclusive lower bound on date_added (added_after or next)
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    spec_versions: frozenset[str] = frozenset()
    versions: VersionFilter = field(default_factory=VersionFilter)


def lock_collection(session: Session, collection_id: str) -> None:
    """Serialise writers of one collection until commit, so `date_added` order is commit order.

    Readers paging with `next` then never miss a version committed behind their position.
    SQLite write transactions already hold the database's write lock (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(collection_id.encode()) - 2**31
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def existing_versions(
    session: Session, collection_id: str, object_ids: Iterable[str]
) -> dict[str, tuple[int, set[int]]]:
    """For each stored object id: its owner and the set of versions already stored."""
    result: dict[str, tuple[int, set[int]]] = {}
    ids = list(object_ids)
    for i in range(0, len(ids), _CHUNK):
        rows = session.execute(
            sa.select(V.c.object_id, V.c.owner_id, V.c.version).where(
                V.c.collection_id == collection_id, V.c.object_id.in_(ids[i : i + _CHUNK])
            )
        )
        for r in rows:
            result.setdefault(str(r[0]), (int(r[1]), set()))[1].add(int(r[2]))
    return result


_VERSION_COLUMNS = (
    "collection_id",
    "object_id",
    "type",
    "spec_version",
    "created",
    "version",
    "date_added",
    "owner_id",
    "tlp",
    "revoked",
    "body",
    "sealed",
    "wrapped_key",
    "key_id",
    "mac",
    "recipients",
)
_GRANT_COLUMNS = (
    "reader_id",
    "collection_id",
    "date_added",
    "version_seq",
    "object_id",
    "type",
    "spec_version",
    "version",
    "is_latest",
    "owner_id",
    "policy_seq",
    "view_seq",
)
_VIEW_COLUMNS = ("version_seq", "digest", "profile", "body")


def _insert_many(
    session: Session, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT `rows` (tuples in `columns` order) with one prepared statement: `executemany`.

    Values must be what the driver binds as is (JSON as text, see :func:`_json`); nothing is
    processed per row on the way, which is most of the cost of a Core bulk insert.
    """
    if not rows:
        return
    conn = session.connection()
    names = ", ".join(table.c[c].name for c in columns)  # identifiers of the table's own metadata
    marks = ", ".join(["?" if conn.dialect.name == "sqlite" else "%s"] * len(columns))
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 - no input in it
    conn.exec_driver_sql(sql, list(rows))


def insert_versions(
    session: Session, collection_id: str, versions: Sequence[NewVersion], first_date_added: int
) -> list[int]:
    """Insert versions with consecutive `date_added` values; return their `seq` keys in order.

    Callers hold the collection's writer lock and reserved the `date_added` range
    (:func:`set_collection_clock`): `(collection_id, date_added)` is unique, so the keys are
    read back by that range instead of a RETURNING per row.
    """
    if not versions:
        return []
    rows = [
        (
            collection_id,
            v.object_id,
            v.type,
            v.spec_version,
            v.created,
            v.version,
            first_date_added + i,
            v.owner_id,
            v.tlp,
            v.revoked,
            json_text(v.body),
            json_text(v.sealed),
            v.wrapped_key,
            v.key_id,
            v.mac,
            json_text(v.recipients),
        )
        for i, v in enumerate(versions)
    ]
    _insert_many(session, V, _VERSION_COLUMNS, rows)
    last = first_date_added + len(versions) - 1
    stored = session.execute(
        sa.select(V.c.date_added, V.c.seq).where(
            V.c.collection_id == collection_id, V.c.date_added.between(first_date_added, last)
        )
    )
    seqs = {int(r[0]): int(r[1]) for r in stored}
    return [seqs[first_date_added + i] for i in range(len(versions))]


def insert_grants(session: Session, collection_id: str, grants: Sequence[GrantRow]) -> None:
    """Insert grants (callers then :func:`refresh_latest` the objects concerned)."""
    _insert_many(
        session,
        G,
        _GRANT_COLUMNS,
        [
            (
                g.reader_id,
                collection_id,
                g.date_added,
                g.version_seq,
                g.object_id,
                g.type,
                g.spec_version,
                g.version,
                g.is_latest,
                g.owner_id,
                g.policy_seq,
                g.view_seq,
            )
            for g in grants
        ],
    )


def insert_views(
    session: Session, views: Sequence[tuple[int, str, dict[str, Any], bytes]]
) -> list[int]:
    """Store (version_seq, profile digest, profile, body) views; return their keys in order.

    `(version_seq, digest)` is unique, so the keys are read back by it.
    """
    if not views:
        return []
    values = [(v, d, json_text(p), json_text(b)) for v, d, p, b in views]
    _insert_many(session, W, _VIEW_COLUMNS, values)
    keys: dict[tuple[int, str], int] = {}
    version_seqs = sorted({v[0] for v in views})
    for i in range(0, len(version_seqs), _CHUNK):
        rows = session.execute(
            sa.select(W.c.version_seq, W.c.digest, W.c.seq).where(
                W.c.version_seq.in_(version_seqs[i : i + _CHUNK])
            )
        )
        keys.update(((int(r[0]), str(r[1])), int(r[2])) for r in rows)
    return [keys[(v, d)] for v, d, _, _ in views]


def grant_views(
    session: Session, version_seqs: Sequence[int]
) -> dict[int, dict[int, tuple[int, str | None]]]:
    """version_seq → reader → (date_added, view digest or None) of the grants of these versions
    (every version asked for is a key, with no readers if it has no grant)."""
    out: dict[int, dict[int, tuple[int, str | None]]] = {int(s): {} for s in version_seqs}
    for i in range(0, len(version_seqs), _CHUNK):
        rows = session.execute(
            sa.select(G.c.version_seq, G.c.reader_id, G.c.date_added, W.c.digest)
            .select_from(G.outerjoin(W, W.c.seq == G.c.view_seq))
            .where(G.c.version_seq.in_(list(version_seqs[i : i + _CHUNK])))
        )
        for r in rows:
            out[int(r[0])][int(r[1])] = (int(r[2]), r[3])
    return out


def set_grants_policy(session: Session, version_seqs: Sequence[int], policy_seq: int) -> None:
    """Put the grants of these versions in force under `policy_seq` (rows already so: untouched)."""
    for i in range(0, len(version_seqs), _CHUNK):
        session.execute(
            sa.update(G)
            .where(
                G.c.version_seq.in_(list(version_seqs[i : i + _CHUNK])),
                G.c.policy_seq != policy_seq,
            )
            .values(policy_seq=policy_seq)
        )


def delete_grants_of(session: Session, version_seqs: Sequence[int]) -> None:
    """Delete the grants and views of these versions (before deciding them again)."""
    for i in range(0, len(version_seqs), _CHUNK):
        chunk = list(version_seqs[i : i + _CHUNK])
        session.execute(sa.delete(G).where(G.c.version_seq.in_(chunk)))
        session.execute(sa.delete(W).where(W.c.version_seq.in_(chunk)))


def granted_pairs(
    session: Session,
    reader_ids: Sequence[int],
    object_ids: Iterable[str],
    *,
    excluding: Sequence[int] = (),
) -> set[tuple[int, str]]:
    """(reader, object id) pairs for which the reader holds a grant, in any collection, not
    counting the grants of the versions `excluding` names."""
    ids = sorted(set(object_ids))
    skip = frozenset(excluding)
    out: set[tuple[int, str]] = set()
    for i in range(0, len(ids), _CHUNK):
        rows = session.execute(
            sa.select(G.c.reader_id, G.c.object_id, G.c.version_seq).where(
                G.c.object_id.in_(ids[i : i + _CHUNK]), G.c.reader_id.in_(list(reader_ids))
            )
        )
        out.update((int(r[0]), str(r[1])) for r in rows if int(r[2]) not in skip)
    return out


def owned_by(session: Session, owner_ids: Iterable[int], object_ids: Iterable[str]) -> set[str]:
    """Those of `object_ids` stored by one of `owner_ids` (the hub's own publications)."""
    owners, ids = list(owner_ids), sorted(set(object_ids))
    out: set[str] = set()
    if not owners:
        return out
    for i in range(0, len(ids), _CHUNK):
        rows = session.execute(
            sa.select(V.c.object_id)
            .where(V.c.object_id.in_(ids[i : i + _CHUNK]), V.c.owner_id.in_(owners))
            .distinct()
        )
        out.update(str(r[0]) for r in rows)
    return out


def collection_clock(session: Session, collection_id: str) -> int:
    """The last date_added handed out in a collection."""
    return int(session.execute(sa.select(C.c.clock).where(C.c.id == collection_id)).scalar() or 0)


def set_collection_clock(session: Session, collection_id: str, value: int) -> None:
    """Advance a collection's clock (callers hold its writer lock)."""
    session.execute(sa.update(C).where(C.c.id == collection_id).values(clock=value))


def _reader_object_version(agg: Any) -> sa.ScalarSelect[Any]:
    """Correlated subquery: min/max version among this row's reader's grants of its object."""
    g2 = G.alias("g2")
    return (
        sa.select(agg(g2.c.version))
        .where(
            g2.c.reader_id == G.c.reader_id,
            g2.c.collection_id == G.c.collection_id,
            g2.c.object_id == G.c.object_id,
        )
        .scalar_subquery()
    )


def _page_order(q: PageQuery) -> sa.ColumnElement[Any]:
    """Keyset order. A lookup by id orders by an expression, so the planner reaches the rows
    through the (reader, collection, object) index instead of walking the reader's whole
    date_added range (SQLite, lacking statistics, otherwise prefers the primary key)."""
    added: sa.ColumnElement[Any] = G.c.date_added
    return added + 0 if q.ids else added


def _grant_filter(scope: TenantScope, q: PageQuery) -> list[sa.ColumnElement[bool]]:
    in_force = sa.select(T.c.policy_seq).where(T.c.id == G.c.owner_id).scalar_subquery()
    cond: list[sa.ColumnElement[bool]] = [
        G.c.reader_id == scope.tenant_id,
        G.c.collection_id == q.collection_id,
        sa.or_(G.c.owner_id == scope.tenant_id, G.c.policy_seq == in_force),
    ]
    if q.after is not None:
        cond.append(G.c.date_added > q.after)
    if q.ids:
        cond.append(G.c.object_id.in_(sorted(q.ids)))
    if q.types:
        cond.append(G.c.type.in_(sorted(q.types)))
    if q.spec_versions:
        cond.append(G.c.spec_version.in_(sorted(q.spec_versions)))
    vf = q.versions
    if not vf.all:
        alternatives: list[sa.ColumnElement[bool]] = []
        if vf.last:
            alternatives.append(G.c.is_latest.is_(True))
        if vf.first:
            alternatives.append(G.c.version == _reader_object_version(sa.func.min))
        if vf.exact:
            alternatives.append(G.c.version.in_(sorted(vf.exact)))
        cond.append(sa.or_(*alternatives) if alternatives else sa.false())
    return cond


def page_grants(
    session: Session, scope: TenantScope, q: PageQuery
) -> tuple[list[sa.Row[Any]], bool]:
    """Manifest rows (object_id, date_added, version, spec_version) and whether more follow."""
    stmt = (
        sa.select(G.c.object_id, G.c.date_added, G.c.version, G.c.spec_version)
        .where(*_grant_filter(scope, q))
        .order_by(_page_order(q))
        .limit(q.limit + 1)
    )
    rows = list(session.execute(stmt))
    return rows[: q.limit], len(rows) > q.limit


def page_objects(session: Session, scope: TenantScope, q: PageQuery) -> tuple[list[PageRow], bool]:
    """The page's versions as stored (date_added, JSON text), and whether more follow.

    Rows of versions with a row MAC also carry their :class:`Protection` columns; the others
    are served as the stored bytes.
    """
    page = (
        sa.select(G.c.date_added, G.c.version_seq, G.c.view_seq)
        .where(*_grant_filter(scope, q))
        .order_by(_page_order(q))
        .limit(q.limit + 1)
        .subquery("page")
    )
    body = sa.func.coalesce(sa.cast(W.c.body, sa.Text), sa.cast(V.c.body, sa.Text))
    guarded = V.c.mac.is_not(None)
    stmt = (
        sa.select(
            page.c.date_added,
            body,
            V.c.mac,
            V.c.object_id,
            V.c.version,
            V.c.owner_id,
            V.c.tlp,
            V.c.recipients,
            V.c.sealed,
            V.c.wrapped_key,
            sa.case((sa.and_(guarded, W.c.seq.is_not(None)), sa.cast(V.c.body, sa.Text))),
            sa.case((guarded, W.c.digest)),
            sa.case((guarded, W.c.profile), else_=sa.null()).label("profile"),
        )
        .select_from(
            page.join(V, V.c.seq == page.c.version_seq).outerjoin(W, W.c.seq == page.c.view_seq)
        )
        .order_by(page.c.date_added)
    )
    rows = [
        PageRow(r[0], r[1], None if r[2] is None else protection_row(r), r[3], r[4])
        for r in session.execute(stmt).all()  # one fetchall, not a fetch per row
    ]
    return rows[: q.limit], len(rows) > q.limit


def version_owners(
    session: Session, collection_id: str, object_id: str, versions: Sequence[int]
) -> list[tuple[int, int]]:
    """(seq, owner id) of the given versions of one object."""
    rows = session.execute(
        sa.select(V.c.seq, V.c.owner_id).where(
            V.c.collection_id == collection_id,
            V.c.object_id == object_id,
            V.c.version.in_(list(versions)),
        )
    )
    return [(r[0], r[1]) for r in rows]


def delete_versions(session: Session, collection_id: str, seqs: Sequence[int]) -> int:
    """Delete versions (their grants go with them); returns how many were deleted."""
    if not seqs:
        return 0
    session.execute(sa.delete(G).where(G.c.version_seq.in_(list(seqs))))
    result = session.execute(
        sa.delete(V).where(V.c.collection_id == collection_id, V.c.seq.in_(list(seqs)))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def refresh_latest(
    session: Session, collection_id: str, object_ids: Iterable[str] | None = None
) -> None:
    """Recompute `is_latest` of every reader's grants of these objects (None: all of them)."""
    newest = _reader_object_version(sa.func.max)
    stmt = sa.update(G).values(is_latest=G.c.version == newest)
    if object_ids is None:
        session.execute(stmt.where(G.c.collection_id == collection_id))
        return
    ids = list(object_ids)
    for i in range(0, len(ids), _CHUNK):
        session.execute(
            stmt.where(G.c.collection_id == collection_id, G.c.object_id.in_(ids[i : i + _CHUNK]))
        )


def iter_versions(
    session: Session,
    collection_id: str,
    *,
    owner_id: int | None = None,
    with_body: bool = False,
    chunk: int = 2000,
) -> Iterator[list[sa.Row[Any]]]:
    """The collection's versions (of one owner) in date_added order, in chunks."""
    after = -1
    columns = [
        V.c.seq,
        V.c.object_id,
        V.c.type,
        V.c.spec_version,
        V.c.version,
        V.c.date_added,
        V.c.owner_id,
        V.c.tlp,
    ]
    if with_body:
        columns.append(sa.cast(V.c.body, sa.Text).label("body"))
    while True:
        where = [V.c.collection_id == collection_id, V.c.date_added > after]
        if owner_id is not None:
            where.append(V.c.owner_id == owner_id)
        rows = list(
            session.execute(sa.select(*columns).where(*where).order_by(V.c.date_added).limit(chunk))
        )
        if not rows:
            return
        yield rows
        after = rows[-1].date_added


def owner_collections(session: Session, owner_id: int) -> list[str]:
    """Ids of the collections a tenant published into."""
    rows = session.execute(sa.select(V.c.collection_id).where(V.c.owner_id == owner_id).distinct())
    return sorted(str(r[0]) for r in rows)


def owners(session: Session, collection_id: str) -> set[int]:
    """Ids of the tenants that published into a collection."""
    rows = session.execute(
        sa.select(V.c.owner_id).where(V.c.collection_id == collection_id).distinct()
    )
    return {r[0] for r in rows}

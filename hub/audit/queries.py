"""Reading the trail, with who-may-see-what decided here (and only here).

* The hub operator (a tenant of kind ``operator``, or :class:`OperatorView` at the command line)
  sees every entry, but never protected values.
* A tenant sees the entries it acted in or that concern it (its clients, keys, policy), with
  their protected values.
* "Who received object X" answers only the publisher of X; to anyone else X is absent (404,
  exactly like an object that never existed).
* "What did recipient R receive" shows R everything it received; to another tenant only the
  versions of objects that tenant published (entries without any are left out); to the operator
  everything.

Every query pages on `seq` (``after`` is the last `seq` seen); time bounds are microseconds,
`since` inclusive and `until` exclusive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.audit import repository as repo
from hub.audit.events import POLICY_ACTIONS, Action
from hub.errors import NotFound
from hub.timeutil import format_micros
from hub.types import TenantScope

__all__ = [
    "OperatorView",
    "Page",
    "TimeRange",
    "Viewer",
    "entries",
    "full_view",
    "is_operator",
    "iter_pages",
    "policy_history",
    "received_by",
    "who_received",
]

_MAX_BATCHES = 20  # rows scanned per request: at most this many times the page size


@dataclass(frozen=True, slots=True)
class OperatorView:
    """The hub operator at the command line (no tenant scope needed): sees every entry."""

    name: str = "cli"


Viewer = TenantScope | OperatorView


@dataclass(frozen=True, slots=True)
class TimeRange:
    """`since` (inclusive) and `until` (exclusive), microseconds since the epoch."""

    since: int | None = None
    until: int | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """SQL conditions on the entry time."""
        cond: list[sa.ColumnElement[bool]] = []
        if self.since is not None:
            cond.append(repo.E.c.time >= self.since)
        if self.until is not None:
            cond.append(repo.E.c.time < self.until)
        return cond


@dataclass(slots=True)
class Page:
    """Items of one page and the cursor of the next (None at the end)."""

    items: list[dict[str, Any]]
    next: int | None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"items": self.items, "next": self.next}


def is_operator(viewer: Viewer) -> bool:
    """True for the hub operator."""
    return isinstance(viewer, OperatorView) or viewer.kind == "operator"


def full_view(row: Any, *, show_protected: bool) -> dict[str, Any]:
    """Every field of an entry (protected values as ``***`` unless shown). With the protected
    values, it is enough to recompute the entry's leaf digest
    (:func:`hub.audit.proofs.entry_leaf`)."""
    protected: Any = row.protected
    if protected is not None and not show_protected:
        protected = "***"
    return {
        "seq": row.seq,
        "time": format_micros(row.time),
        "action": row.action,
        "outcome": row.outcome,
        "tenant_id": row.actor_tenant_id,
        "tenant": row.actor_tenant,
        "client": row.actor_client,
        "subject_tenant_id": row.subject_tenant_id,
        "subject_tenant": row.subject_tenant,
        "collection": row.collection_id,
        "objects": row.objects,
        "request_id": row.request_id,
        "policy_hash": row.policy_hash,
        "details": row.details,
        "protected": protected,
        "protected_digest": row.protected_digest,
        "nonce": row.nonce,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _delivery(row: Any, objects: list[list[str]]) -> dict[str, Any]:
    """A read as its objects' publisher sees it: who, when, which of its versions."""
    return {
        "seq": row.seq,
        "time": format_micros(row.time),
        "recipient": row.actor_tenant,
        "client": row.actor_client,
        "collection": row.collection_id,
        "objects": objects,
        "request_id": row.request_id,
    }


def _paged(
    session: Session,
    conditions: Sequence[sa.ColumnElement[bool]],
    shape: Callable[[list[Any]], list[dict[str, Any] | None]],
    after: int | None,
    limit: int,
) -> Page:
    """Scan matching entries in `seq` order, keep what `shape` returns (None drops a row)."""
    items: list[dict[str, Any]] = []
    cursor = after
    for _ in range(_MAX_BATCHES):
        rows = repo.scan(session, conditions, after=cursor, limit=limit)
        if not rows:
            return Page(items, None)
        for row, item in zip(rows, shape(rows), strict=True):
            cursor = row.seq
            if item is not None:
                items.append(item)
                if len(items) == limit:
                    return Page(items, cursor)
        if len(rows) < limit:
            return Page(items, None)
    return Page(items, cursor)


def _owned(session: Session, tenant_id: int, object_ids: set[str]) -> set[str]:
    """Which of `object_ids` `tenant_id` published (stored versions, else publish entries)."""
    owners = repo.object_owners(session, object_ids)
    mine = {o for o, owner in owners.items() if owner == tenant_id}
    unknown = object_ids - owners.keys()
    return mine | (repo.published_in_trail(session, tenant_id, unknown) if unknown else set())


def who_received(
    session: Session,
    viewer: Viewer,
    object_id: str,
    *,
    window: TimeRange = TimeRange(),
    after: int | None = None,
    limit: int = 100,
) -> Page:
    """Every read that delivered a version of `object_id`: recipient, client, time, versions.

    :class:`NotFound` unless `viewer` published the object (or is the operator).
    """
    if not is_operator(viewer):
        assert isinstance(viewer, TenantScope)
        if not _owned(session, viewer.tenant_id, {object_id}):
            raise NotFound("No such object")
    dialect = session.get_bind().dialect.name
    conditions = [
        repo.E.c.action == Action.READ.value,
        repo.contains_object(dialect, object_id),
        *window.conditions(),
    ]

    def shape(rows: list[Any]) -> list[dict[str, Any] | None]:
        out: list[dict[str, Any] | None] = []
        for row in rows:
            mine = [o for o in row.objects if o[0] == object_id]
            out.append(_delivery(row, mine) if mine else None)
        return out

    return _paged(session, conditions, shape, after, limit)


def received_by(
    session: Session,
    viewer: Viewer,
    recipient: str,
    *,
    window: TimeRange = TimeRange(),
    after: int | None = None,
    limit: int = 100,
) -> Page:
    """Everything tenant `recipient` (a slug) received, within what `viewer` may see."""
    found = repo.tenant_by_slug(session, recipient)
    if found is None:
        raise NotFound("No such tenant")
    recipient_id = found[0]
    conditions = [
        repo.E.c.action == Action.READ.value,
        repo.E.c.actor_tenant_id == recipient_id,
        *window.conditions(),
    ]
    if is_operator(viewer) or (
        isinstance(viewer, TenantScope) and viewer.tenant_id == recipient_id
    ):
        show = not is_operator(viewer)
        return _paged(
            session,
            conditions,
            lambda rows: [full_view(r, show_protected=show) for r in rows],
            after,
            limit,
        )
    assert isinstance(viewer, TenantScope)
    publisher = viewer.tenant_id

    def shape(rows: list[Any]) -> list[dict[str, Any] | None]:
        owned = _owned(session, publisher, {o[0] for r in rows for o in r.objects})
        out: list[dict[str, Any] | None] = []
        for row in rows:
            mine = [o for o in row.objects if o[0] in owned]
            out.append(_delivery(row, mine) if mine else None)
        return out

    return _paged(session, conditions, shape, after, limit)


def _concerning(
    viewer: Viewer, tenant: str | None, session: Session
) -> list[sa.ColumnElement[bool]]:
    """Conditions restricting entries to those the viewer may see (and to `tenant`, if given)."""
    cond: list[sa.ColumnElement[bool]] = []
    ids: list[int] = []
    if not is_operator(viewer):
        assert isinstance(viewer, TenantScope)
        ids.append(viewer.tenant_id)
    if tenant is not None:
        found = repo.tenant_by_slug(session, tenant)
        if found is None:
            raise NotFound("No such tenant")
        if ids and ids[0] != found[0]:
            return [sa.false()]
        ids = [found[0]]
    if ids:
        cond.append(
            sa.or_(repo.E.c.actor_tenant_id == ids[0], repo.E.c.subject_tenant_id == ids[0])
        )
    return cond


def policy_history(
    session: Session,
    viewer: Viewer,
    *,
    tenant: str | None = None,
    window: TimeRange = TimeRange(),
    after: int | None = None,
    limit: int = 100,
) -> Page:
    """Policy validations, applications and grant re-evaluations (a tenant: its own)."""
    return entries(
        session,
        viewer,
        actions=[a.value for a in POLICY_ACTIONS],
        tenant=tenant,
        window=window,
        after=after,
        limit=limit,
    )


def entries(
    session: Session,
    viewer: Viewer,
    *,
    actions: Sequence[str] = (),
    tenant: str | None = None,
    window: TimeRange = TimeRange(),
    after: int | None = None,
    limit: int = 100,
) -> Page:
    """Entries the viewer may see, optionally of some actions and concerning one tenant."""
    conditions = [*_concerning(viewer, tenant, session), *window.conditions()]
    if actions:
        conditions.append(repo.E.c.action.in_(list(actions)))
    show = not is_operator(viewer)
    return _paged(
        session,
        conditions,
        lambda rows: [full_view(r, show_protected=show) for r in rows],
        after,
        limit,
    )


def iter_pages(
    query: Callable[[int | None], Page], after: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every item of a paged query from `after` on (JSON Lines export): ``query(after)``."""
    while True:
        page = query(after)
        yield from page.items
        if page.next is None:
            return
        after = page.next

"""Deciding and storing grants: who may read each version, and which view of it.

Visibility is decided at write time (and again when a policy or an audience changes) by the
publisher's sharing policy (:mod:`hub.sharing`), and stored as grants, so the read path is an
index range scan. A recipient whose field profile takes something away is granted a stored view
of the version, so reading still copies stored bytes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from hub.objects.guard import (
    prepare_items,
    protect_plans,
    protection_updates,
    view_body,
    withheld_views,
)
from hub.sharing.context import object_context
from hub.sharing.decision import Decision, FieldProfile, resolve_references
from hub.sharing.engine import Decider
from hub.sharing.floor import Party
from hub.sharing.policy import Policy
from hub.store import objects as repo
from hub.store import policies as policy_repo
from hub.store import sealed as sealed_repo
from hub.store.models import Collection
from hub.store.tenants import (
    audience_tenant_ids,
    operator_ids,
    tenant_identities,
    tenant_profiles,
)
from hub.timeutil import now_micros

__all__ = [
    "Audience",
    "GrantPlan",
    "Item",
    "View",
    "load_audience",
    "plan_grants",
    "reevaluate_collection",
    "reevaluate_versions",
    "write_grants",
]

_POLICY_CACHE: dict[str, Policy] = {}
_POLICY_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may receive a publisher's objects in one collection, and under which policy."""

    collection: Collection
    publisher: Party
    readers: tuple[Party, ...]
    policy: Policy
    policy_seq: int
    system: bool = False
    policy_hash: str | None = None


@dataclass(slots=True)
class Item:
    """One stored version to decide for: its object and its place in the store.

    `obj` is the stored body; :func:`plan_grants` replaces it by the whole version (sealed
    properties decrypted, :mod:`hub.objects.guard`) unless `sealed` is already known, as when
    publishing. The remaining fields are field-encryption state, filled in there.
    """

    obj: Mapping[str, Any]
    version_seq: int
    object_id: str
    type: str
    spec_version: str
    version: int
    tlp: str | None = None
    sealed: frozenset[str] | None = None  # sealed top-level properties; None: not looked up
    trusted: bool = True  # False: its row MAC or ciphertexts failed verification
    guarded: bool = False  # the stored version has a row MAC
    shredded: bool = False  # its keys were destroyed: the clear remainder is all there is
    to_seal: frozenset[str] = frozenset()  # the policy protects more: sealed when written
    stored_mac: str | None = None  # the row MAC and recipients stored with the version
    stored_recipients: dict[str, str] | None = None


class View:
    """A reader's view of a version: its field profile, and the body it serves, made on first
    use (a re-evaluation that changes nothing never needs it)."""

    __slots__ = ("_body", "digest", "item", "profile")

    def __init__(self, item: Item, profile: FieldProfile) -> None:
        self.item = item
        self.profile = profile
        self.digest = profile.digest
        self._body: bytes | None = None

    def __repr__(self) -> str:
        return f"View({self.item.object_id!r}, {self.digest!r})"

    @property
    def body(self) -> bytes:
        """The stored JSON of the version with the profile applied (and sealed fields out)."""
        if self._body is None:
            self._body = view_body(self.item, self.profile)
        return self._body


@dataclass(slots=True)
class GrantPlan:
    """What one version's readers get: reader id → None (as published) or a :class:`View`."""

    item: Item
    views: dict[int, View | None] = field(default_factory=dict)


def _policy(document: Mapping[str, Any], content_hash: str) -> Policy:
    with _POLICY_LOCK:
        cached = _POLICY_CACHE.get(content_hash)
    if cached is None:
        cached = Policy.model_validate(document)
        with _POLICY_LOCK:
            if len(_POLICY_CACHE) > 256:
                _POLICY_CACHE.clear()
            _POLICY_CACHE[content_hash] = cached
    return cached


def _parties(session: Session, ids: Iterable[int]) -> list[Party]:
    return [Party(*p) for p in tenant_profiles(session, ids)]


def load_audience(
    session: Session, col: Collection, publisher_id: int, *, system: bool = False
) -> Audience:
    """The readers of `col` and the policy in force for `publisher_id` (read once per write)."""
    readers = tuple(_parties(session, audience_tenant_ids(session, col.readers)))
    (publisher,) = _parties(session, [publisher_id])
    current = policy_repo.current_version(session, publisher_id)
    if current is None:
        policy, seq = Policy(tenant=publisher.slug), 0
    else:
        policy, seq = _policy(current.document, current.content_hash), current.seq
    digest = current.content_hash if current is not None else None
    return Audience(col, publisher, readers, policy, seq, system, digest)


def plan_grants(
    session: Session,
    audience: Audience,
    items: Sequence[Item],
    now: datetime,
    *,
    deciding: Sequence[int] = (),
) -> list[GrantPlan]:
    """Decide every reader's access to every item (TLP floor, the publisher's rules, references).

    The hub's own publications (identities, marking definitions) go to every reader as they are.
    Otherwise references are resolved against what each reader may already see, what this batch
    grants it, the tenants' identities and the hub's publications; a reader that may not see an
    object an item depends on does not get the item (STIX 2.1 §3.3 references never leak).
    `deciding` names stored versions being decided again: their grants still in the table are
    not what a reader "already sees".
    """
    plans = [GrantPlan(item) for item in items]
    if audience.system:
        for plan in plans:
            plan.views = {r.tenant_id: None for r in audience.readers}
        return plans
    prepare_items(session, audience, items)
    decided: list[dict[int, Decision]] = []
    batch: set[tuple[int, str]] = set()
    refs: set[str] = set()
    decider = Decider(audience.policy, audience.publisher, audience.readers)
    for item in items:
        if not item.trusted:
            decided.append({})
            continue
        ctx = object_context(item.obj, collection=audience.collection.alias, now=now)
        decisions = decider.decide_all(item.obj, ctx, trail=False)  # verdicts and fields only
        granted = {r: d for r, d in decisions.items() if d.granted}  # (kept for a whole batch)
        decided.append(granted)
        for reader_id, d in granted.items():
            batch.add((reader_id, item.object_id))
            refs.update(d.requires_refs)
            for ref_field in d.prune_refs.values():
                refs.update(ref_field.ids)
    reader_ids = [r.tenant_id for r in audience.readers]
    held = repo.granted_pairs(session, reader_ids, refs, excluding=deciding) if refs else set()
    public = tenant_identities(session) | repo.owned_by(session, operator_ids(session), refs)
    for plan, decisions in zip(plans, decided, strict=True):
        if not plan.item.trusted:
            plan.views = withheld_views(audience, plan.item)
        shared: dict[str, View] = {}  # readers with one profile share one view
        for reader_id, d in decisions.items():
            if not d.granted:
                continue

            if not d.refs_resolved:

                def visible(ref: str, r: int = reader_id) -> bool:
                    return ref in public or (r, ref) in batch or (r, ref) in held

                d = resolve_references(d, visible)
                if not d.granted:
                    continue
            profile = d.profile()
            if d.full or profile.is_full:
                plan.views[reader_id] = None
            else:
                view = shared.get(profile.digest)
                if view is None:
                    view = shared[profile.digest] = View(plan.item, profile)
                plan.views[reader_id] = view
    return plans


def next_dates(session: Session, collection_id: str, count: int) -> int:
    """Reserve `count` consecutive `date_added` values (µs) in a collection; returns the first.

    Callers hold the collection's writer lock, so the clock only moves forward and no two
    versions or grants share a value.
    """
    clock = repo.collection_clock(session, collection_id)
    start = max(now_micros(), clock + 1)
    repo.set_collection_clock(session, collection_id, start + count - 1)
    return start


def write_grants(
    session: Session,
    audience: Audience,
    plans: Sequence[GrantPlan],
    date_added: Mapping[int, int],
    reuse: Mapping[tuple[int, int], int] | None = None,
    *,
    only_versions: frozenset[str] = frozenset(),
    protect: bool = True,
) -> int:
    """Store the views and grants of `plans`; returns the number of grants written.

    `date_added` gives each version's own date; a reader that already held a grant of the
    version keeps its date (`reuse`), one newly granted gets a fresh date from the collection
    clock, so readers paging with `added_after` see what a policy change newly shows them.

    `only_versions` names objects of which the collection holds no other version (a first
    publication): their grants are written as their readers' latest instead of recomputed.
    ``protect=False``: the caller stores the row MACs itself
    (:func:`hub.objects.guard.protection_updates`).
    """
    col = audience.collection
    views: dict[tuple[int, str], int] = {}
    new_views = []
    for plan in plans:
        for view in plan.views.values():
            if view is not None and (plan.item.version_seq, view.digest) not in views:
                views[(plan.item.version_seq, view.digest)] = -1
                new_views.append(
                    (plan.item.version_seq, view.digest, view.profile.to_json(), view.body)
                )
    for (version_seq, digest), seq in zip(
        [(v[0], v[1]) for v in new_views], repo.insert_views(session, new_views), strict=True
    ):
        views[(version_seq, digest)] = seq
    fresh = 0
    if reuse is not None:
        fresh = sum(1 for p in plans for r in p.views if (r, p.item.version_seq) not in reuse)
    clock = next_dates(session, col.id, fresh) if fresh else 0
    grants: list[repo.GrantRow] = []
    for plan in plans:
        it = plan.item
        for reader_id, view in plan.views.items():
            if reuse is None:
                when = date_added[it.version_seq]
            elif (reader_id, it.version_seq) in reuse:
                when = reuse[(reader_id, it.version_seq)]
            else:
                when, clock = clock, clock + 1
            grants.append(
                repo.GrantRow(
                    reader_id=reader_id,
                    date_added=when,
                    version_seq=it.version_seq,
                    object_id=it.object_id,
                    type=it.type,
                    spec_version=it.spec_version,
                    version=it.version,
                    is_latest=it.object_id in only_versions,
                    owner_id=audience.publisher.tenant_id,
                    policy_seq=audience.policy_seq,
                    view_seq=views[(it.version_seq, view.digest)] if view is not None else None,
                )
            )
    repo.insert_grants(session, col.id, grants)
    stale = {p.item.object_id for p in plans} - only_versions
    if stale:
        repo.refresh_latest(session, col.id, stale)
    if protect:
        protect_plans(session, audience, plans)
    return len(grants)


def reevaluate_collection(
    session: Session, col: Collection, *, owner_id: int | None = None, now: datetime
) -> int:
    """Decide again every grant of a collection (or of one publisher's objects in it).

    Runs in the caller's write transaction, in batches of versions in date_added order; returns
    the number of grants in force afterwards. Grants that persist keep their date; new ones
    get fresh dates; withdrawn ones and their views are deleted.
    """
    total = 0
    owners = sorted(repo.owners(session, col.id)) if owner_id is None else [owner_id]
    for owner in owners:
        audience = load_audience(session, col, owner, system=owner in operator_ids(session))
        for rows in repo.iter_versions(session, col.id, owner_id=owner, with_body=True):
            total += reevaluate_versions(session, audience, rows, now)
    return total


def reevaluate_versions(
    session: Session, audience: Audience, rows: Sequence[Any], now: datetime
) -> int:
    """Decide again the grants of one batch of stored versions (rows of ``iter_versions`` with
    their body) of the audience's publisher; idempotent. Returns the grants written.

    Runs in the caller's write transaction, which holds the collection's writer lock (the
    resumable policy re-evaluation job calls it once per batch).
    """
    items = [
        Item(
            obj=orjson.loads(r.body),
            version_seq=r.seq,
            object_id=r.object_id,
            type=r.type,
            spec_version=r.spec_version,
            version=r.version,
        )
        for r in rows
    ]
    held = repo.grant_views(session, [i.version_seq for i in items])
    plans = plan_grants(session, audience, items, now, deciding=list(held))
    updates = {id(item): u for item, u in protection_updates(session, audience, plans)}
    kept: list[int] = []
    changed: list[GrantPlan] = []
    for plan in plans:
        update = updates.get(id(plan.item))
        if _unchanged(plan, held.get(plan.item.version_seq, {}), update):
            kept.append(plan.item.version_seq)
        else:
            changed.append(plan)
    if kept:  # same readers, views and row MAC: only the policy they are in force under moves
        repo.set_grants_policy(session, kept, audience.policy_seq)
    if changed:
        seqs = [p.item.version_seq for p in changed]
        reuse = {
            (reader, seq): date for seq in seqs for reader, (date, _) in held.get(seq, {}).items()
        }
        repo.delete_grants_of(session, seqs)
        dates = {r.seq: r.date_added for r in rows}
        write_grants(session, audience, changed, dates, reuse, protect=False)
        stored = [updates[id(p.item)] for p in changed if id(p.item) in updates]
        if stored:
            sealed_repo.set_protection(session, stored)
    return sum(len(p.views) for p in plans)


def _unchanged(
    plan: GrantPlan,
    held: Mapping[int, tuple[int, str | None]],
    update: sealed_repo.ProtectionUpdate | None,
) -> bool:
    """Would re-writing this version's grants, views and row MAC store what is stored already?

    True only for a verified version with nothing newly sealed, the same readers with the same
    field profiles (a view's body is a function of the version and its profile digest), and a
    row MAC recomputed to the stored value (or none needed and none stored).
    """
    item = plan.item
    if not item.trusted or item.shredded or item.to_seal:
        return False
    if len(held) != len(plan.views):
        return False
    for reader, view in plan.views.items():
        old = held.get(reader)
        if old is None or old[1] != (view.digest if view is not None else None):
            return False
    if update is None:
        return item.stored_mac is None
    return (
        update.body is None
        and not update.forget
        and update.mac == item.stored_mac
        and update.recipients == item.stored_recipients
    )


def content_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of a policy document's canonical JSON."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()

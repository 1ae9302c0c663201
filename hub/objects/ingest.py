"""Publishing: validate, check ownership, decide recipients, store versions and grants.

TAXII 2.1 §5.4 (Add Objects) semantics: each object succeeds or fails on its own and is
reported in the status resource (§4.3.1); the successful ones are stored with their grants in one
transaction, so nothing half-written stays behind.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEvent, AuditLog
from hub.crypto import DecryptionFailed, KeyUnavailable
from hub.errors import Forbidden, NotFound
from hub.objects.grants import (
    Audience,
    GrantPlan,
    Item,
    load_audience,
    next_dates,
    plan_grants,
    write_grants,
)
from hub.objects.guard import protection_updates
from hub.objects.protection import FieldProtection, protection_for
from hub.objects.sealing import DataKeys, seal
from hub.sharing.floor import effective_tlp
from hub.sharing.protect import protected_properties
from hub.stix import TLP_MARKING_IDS, StixValidationError, validate_object
from hub.store import objects as repo
from hub.store import policies as policy_repo
from hub.store import sealed as sealed_repo
from hub.store import statuses
from hub.store.db import Database
from hub.store.models import Collection, Status
from hub.store.tenants import collection_by_id
from hub.timeutil import format_micros, micros
from hub.types import TenantScope

__all__ = ["STORE_SLICE", "Outcome", "Publisher", "ingest", "writable_collection"]

#: Versions decided and stored together within one publication's transaction.
STORE_SLICE = 1000


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who publishes: a tenant scope, or the hub itself (`system`).

    The hub's own objects (TLP marking definitions, tenant identities) skip the ownership check
    and go to every reader of the collection as they are.
    """

    scope: TenantScope
    system: bool = False
    client_id: str | None = None


@dataclass(slots=True)
class Outcome:
    """The fate of one object of an envelope (TAXII 2.1 §4.3.1 status details)."""

    id: str
    version: str | None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id}
        if self.version:
            d["version"] = self.version
        if self.message:
            d["message"] = self.message
        return d


@dataclass(slots=True)
class _Candidate:
    obj: dict[str, Any]
    object_id: str
    version_str: str | None
    new: repo.NewVersion
    sealed: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Result:
    successes: list[Outcome] = field(default_factory=list)
    failures: list[Outcome] = field(default_factory=list)


def writable_collection(session: Session, scope: TenantScope, collection_id: str) -> Collection:
    """The collection if `scope` may write it; 404 if it may not even see it, else 403."""
    col = collection_by_id(session, collection_id)
    if col is None or not (scope.matches_any(col.readers) or scope.matches_any(col.writers)):
        raise NotFound("No such collection")
    if not scope.matches_any(col.writers):
        raise Forbidden("This client's tenant may not write to this collection")
    return col


def _validate(
    raw: Any, publisher: Publisher, allow_custom: bool
) -> tuple[_Candidate | None, Outcome | None]:
    object_id = raw.get("id") if isinstance(raw, dict) else None
    label = object_id if isinstance(object_id, str) else "(no id)"
    try:
        info = validate_object(raw, allow_custom=allow_custom)
    except StixValidationError as exc:
        version = raw.get("modified") if isinstance(raw, dict) else None
        return None, Outcome(label, version if isinstance(version, str) else None, exc.reason)
    obj: dict[str, Any] = raw
    version_dt = info.modified or info.created
    version_str = obj.get("modified") or obj.get("created")
    if not publisher.system:
        if info.created_by_ref is None and not info.is_sco:
            return None, Outcome(info.id, version_str, "created_by_ref is required")
        if info.created_by_ref is not None and info.created_by_ref != publisher.scope.identity_id:
            return None, Outcome(
                info.id,
                version_str,
                f"created_by_ref must be this tenant's identity {publisher.scope.identity_id}",
            )
    new = repo.NewVersion(
        object_id=info.id,
        type=info.type,
        spec_version=info.spec_version,
        created=micros(info.created) if info.created else None,
        version=micros(version_dt) if version_dt else -1,
        owner_id=publisher.scope.tenant_id,
        tlp=info.tlp,
        revoked=info.revoked,
        body="",  # the stored JSON: set once it is known what is sealed (_seal, _clear)
    )
    return _Candidate(obj, info.id, version_str, new), None


def _protect_section(session: Session, owner: int) -> tuple[int, dict[str, Any]]:
    """The publisher's policy sequence and its ``protect:`` section (read before sealing)."""
    current = policy_repo.current_version(session, owner)
    if current is None:
        return 0, {}
    section = current.document.get("protect") if isinstance(current.document, dict) else None
    return current.seq, section if isinstance(section, dict) else {}


def _seal(
    protection: FieldProtection,
    owner: int,
    candidates: Sequence[_Candidate],
    protect: Mapping[str, Sequence[str]],
) -> None:
    """Seal each candidate's protected properties: its stored body becomes the clear rest."""
    keys = DataKeys(protection.keys)
    for cand in candidates:
        props = protected_properties(cand.obj, protect)
        sealed = seal(keys, owner, cand.obj, props) if props else None
        cand.sealed = frozenset(props) if sealed is not None else frozenset()
        new = cand.new
        if sealed is None:
            new.body, new.sealed, new.wrapped_key, new.key_id = _text(cand.obj), None, None, None
        else:
            new.body, new.sealed = _text(sealed.clear), sealed.sealed
            new.wrapped_key, new.key_id = sealed.wrapped_key, sealed.key_id


def _clear(candidates: Sequence[_Candidate]) -> None:
    """Store each candidate as published (nothing sealed)."""
    for cand in candidates:
        cand.new.body = _text(cand.obj)


def _text(obj: Mapping[str, Any]) -> str:
    """The JSON text to store. Text, not orjson's bytes: those hold a buffer of ~4 KiB whatever
    their length, which for a 50 MB envelope held until the commit is hundreds of MiB."""
    return orjson.dumps(obj).decode()


def _store(
    session: Session,
    collection_id: str,
    audience: Audience,
    accepted: Sequence[_Candidate],
    start: int,
    now: datetime,
    stored: Mapping[str, object],
) -> None:
    """Decide, then store the accepted versions (`date_added` from `start`) and their grants.

    Decided before the versions are stored, so each version row is written once, with its row
    MAC (which binds the recipients); the items' `version_seq` is filled in after the insert.
    All are decided together (a reference to an object later in the envelope resolves), then
    stored :data:`STORE_SLICE` at a time, so the rows and view bodies of a 50 MB envelope are
    never all held at once.
    """
    items = [
        Item(
            c.obj,
            0,
            c.object_id,
            c.new.type,
            c.new.spec_version,
            c.new.version,
            tlp=c.new.tlp,
            sealed=c.sealed,
        )
        for c in accepted
    ]
    plans = plan_grants(session, audience, items, now)
    # An object with no other version in the collection: its grants are its readers' latest.
    counts = Counter(c.object_id for c in accepted)
    first = frozenset(o for o, n in counts.items() if n == 1 and o not in stored)
    for i in range(0, len(plans), STORE_SLICE):
        part = plans[i : i + STORE_SLICE]
        _store_slice(
            session, collection_id, audience, accepted[i : i + STORE_SLICE], part, start + i, first
        )
        for plan in part:
            plan.views.clear()  # written: let their bodies go


def _store_slice(
    session: Session,
    collection_id: str,
    audience: Audience,
    accepted: Sequence[_Candidate],
    plans: Sequence[GrantPlan],
    start: int,
    first: frozenset[str],
) -> None:
    macs: dict[int, sealed_repo.ProtectionUpdate] = {}
    later: list[tuple[Item, sealed_repo.ProtectionUpdate]] = []  # re-sealing: not at publication
    for item, update in protection_updates(session, audience, plans):
        if update.body is None and not update.forget:
            macs[id(item)] = update
        else:
            later.append((item, update))
    for cand, plan in zip(accepted, plans, strict=True):
        mac = macs.get(id(plan.item))
        if mac is not None:
            cand.new.mac, cand.new.recipients = mac.mac, mac.recipients
    seqs = repo.insert_versions(session, collection_id, [c.new for c in accepted], start)
    for plan, seq in zip(plans, seqs, strict=True):
        plan.item.version_seq = seq
    dates = {seq: start + i for i, seq in enumerate(seqs)}
    write_grants(session, audience, plans, dates, only_versions=first, protect=False)
    for item, update in later:
        update.seq = item.version_seq
    if later:
        sealed_repo.set_protection(session, [u for _, u in later])


def ingest(
    db: Database,
    publisher: Publisher,
    collection_id: str,
    objects: Sequence[Any],
    *,
    now: datetime | None = None,
    audit: bool = True,
) -> Status:
    """Publish `objects` to a collection and return the stored TAXII status resource.

    ``audit=False`` (``HUB_AUDIT_TRAIL=off``, for measuring the audit trail's cost only, refused
    in production) leaves no audit entry for the publication.
    """
    request_ts = now or datetime.now(UTC)
    owner = publisher.scope.tenant_id
    with db.session() as session:
        col = writable_collection(session, publisher.scope, collection_id)
        allow_custom = col.allow_custom
        protect = None if publisher.system else _protect_section(session, owner)
    result = _Result()
    candidates: list[_Candidate] = []
    for raw in objects:
        cand, failure = _validate(raw, publisher, allow_custom)
        if failure:
            result.failures.append(failure)
        elif cand:
            candidates.append(cand)
    protection = protection_for(db) if protect is not None and candidates else None
    if protection is not None and protection.enabled:
        # Keys are created (a write) before the ingest transaction opens: SQLite has one writer.
        try:
            protection.keys.ensure_tenant_keys(owner)
            protection.keys.tenant_key(owner)
        except DecryptionFailed:  # wrapped by a master key this provider does not hold
            raise KeyUnavailable(
                "the publisher's keys cannot be opened by the key provider"
            ) from None
        assert protect is not None
        _seal(protection, owner, candidates, protect[1])
    else:
        _clear(candidates)

    with db.write_session() as session:
        repo.lock_collection(session, collection_id)
        audience = load_audience(session, col, owner, system=publisher.system)
        if (
            protection is not None
            and protection.enabled
            and protect is not None
            and audience.policy_seq != protect[0]
        ):  # a new policy came in between: seal as it says
            _seal(protection, owner, candidates, audience.policy.protect)
        stored = repo.existing_versions(session, collection_id, {c.object_id for c in candidates})
        accepted: list[_Candidate] = []
        seen: set[tuple[str, int]] = set()
        for cand in candidates:
            key = (cand.object_id, cand.new.version)
            prior = stored.get(cand.object_id)
            if prior and prior[0] != publisher.scope.tenant_id and not publisher.system:
                result.failures.append(
                    Outcome(cand.object_id, cand.version_str, "object belongs to another publisher")
                )
                continue
            unversioned = cand.new.version < 0
            if key in seen or (prior and (cand.new.version in prior[1] or unversioned)):
                result.successes.append(
                    Outcome(cand.object_id, cand.version_str, "already stored; unchanged")
                )
                continue
            seen.add(key)
            accepted.append(cand)
        if accepted:
            start = next_dates(session, collection_id, len(accepted))
            for i, cand in enumerate(accepted):
                if cand.new.version < 0:  # no modified/created: the version is date_added
                    cand.new.version = start + i
                default = "clear" if publisher.system else audience.policy.default_tlp
                cand.new.tlp = effective_tlp(
                    cand.obj, cand.new.tlp, TLP_MARKING_IDS, default=default
                )
            _store(session, collection_id, audience, accepted, start, request_ts, stored)
            for cand in accepted:
                result.successes.append(
                    Outcome(cand.object_id, cand.version_str or format_micros(cand.new.version))
                )
        status = statuses.create(
            session,
            Status(
                id=str(uuid.uuid4()),
                tenant_id=publisher.scope.tenant_id,
                collection_id=collection_id,
                status="complete",
                request_timestamp=request_ts,
                total_count=len(objects),
                success_count=len(result.successes),
                failure_count=len(result.failures),
                pending_count=0,
                successes=[o.as_dict() for o in result.successes],
                failures=[o.as_dict() for o in result.failures],
                pendings=[],
            ),
        )
        if audit:
            # The audit entry commits with what it records (TAXII 2.1 §5.4 outcomes per object).
            actor = (
                Actor.system("directory")
                if publisher.system
                else Actor.of_scope(publisher.scope, publisher.client_id)
            )
            AuditLog.record(
                session,
                AuditEvent.publish(
                    actor,
                    collection_id,
                    [(c.object_id, c.new.version) for c in accepted],
                    unchanged=[
                        (o.id, o.version) for o in result.successes if o.message and o.version
                    ],
                    failed=[(o.id, o.version, o.message or "") for o in result.failures],
                    policy_hash=audience.policy_hash,
                ),
            )
    return status

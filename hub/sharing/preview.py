"""Before and after: the impact of a proposed policy, and why a recipient gets what it gets.

:func:`preview_policy` decides the publisher's latest versions under the policy in force and
under the proposed one, exactly as a re-evaluation would (:func:`hub.objects.grants.plan_grants`:
the TLP floor, the rules, references resolved against what each recipient holds), and says per
recipient which objects it would gain, lose, or see differently. Pure: one read transaction, no
writes. Versions stream in batches (:func:`hub.store.objects.iter_versions`); what is kept per
object is four integers (its newest version and bit sets of recipients), so a preview over a
hundred thousand objects stays within a few tens of megabytes. Like the re-evaluation itself,
a reference to one of the publisher's objects outside the batch at hand is resolved against what
the recipient holds now (its stored grants), so a preview is exact except where a proposed
change to one object changes whether a recipient may see another that refers to it.

:func:`explain_object` answers "what does this recipient get of this object, and why": the
decision rule by rule and field by field (:func:`hub.sharing.explain.explain_data`), with
references resolved against what the recipient actually holds, and whether a grant is stored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from hub.errors import NotFound
from hub.objects.grants import (
    Audience,
    GrantPlan,
    Item,
    View,
    content_hash,
    load_audience,
    plan_grants,
)
from hub.objects.guard import prepare_items
from hub.sharing.context import object_context
from hub.sharing.decision import Decision, resolve_references
from hub.sharing.engine import decide
from hub.sharing.explain import explain, explain_data
from hub.sharing.floor import Party
from hub.sharing.policy import Policy
from hub.store import lifecycle
from hub.store import objects as objects_repo
from hub.store import policies as policy_repo
from hub.store.models import Collection, Tenant
from hub.store.tenants import (
    operator_ids,
    tenant_by_slug,
    tenant_identities,
    tenant_profiles,
)
from hub.timeutil import format_micros
from hub.types import TenantScope

__all__ = ["explain_object", "preview_policy"]

_VERSION, _CUR, _NEW, _CHANGED = range(4)


def _view_key(view: View | None) -> str | None:
    return None if view is None else view.digest


def preview_policy(
    session: Session,
    proposed: Policy,
    *,
    limit: int = 20,
    chunk: int = 500,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Per recipient: the objects `proposed` would make it gain, lose or see differently.

    `limit` bounds each list of ids (sorted); the counts are exact. "Differently" means it keeps
    the object but its view changes (fields redacted, encrypted or references pruned).
    """
    now = now or datetime.now(UTC)
    publisher = tenant_by_slug(session, proposed.tenant)
    if publisher is None or publisher.id is None:
        raise NotFound("No such tenant")
    owner = publisher.id
    current = policy_repo.current_version(session, owner)
    bits: dict[int, int] = {}  # recipient tenant id → its bit
    latest: dict[tuple[str, str], list[int]] = {}  # (collection, object) → version, masks
    versions = 0
    for collection_id in objects_repo.owner_collections(session, owner):
        col = session.get(Collection, collection_id)
        if col is None:
            continue
        audience = load_audience(session, col, owner, system=owner in operator_ids(session))
        after = replace(audience, policy=proposed)
        for reader in audience.readers:
            if reader.tenant_id != owner:
                bits.setdefault(reader.tenant_id, len(bits))
        for rows in objects_repo.iter_versions(
            session, collection_id, owner_id=owner, with_body=True, chunk=chunk
        ):
            versions += len(rows)
            items = [
                Item(orjson.loads(r.body), r.seq, r.object_id, r.type, r.spec_version, r.version)
                for r in rows
            ]
            before_plans = plan_grants(session, audience, items, now)
            after_plans = plan_grants(session, after, items, now)
            for item, old, new in zip(items, before_plans, after_plans, strict=True):
                key = (collection_id, item.object_id)
                seen = latest.get(key)
                if seen is not None and seen[_VERSION] > item.version:
                    continue  # an older version: TAXII serves the newest (§3.4.3 "last")
                latest[key] = [item.version, *_masks(old, new, bits)]
    return _report(session, proposed, current, bits, latest, versions, limit)


def _masks(old: GrantPlan, new: GrantPlan, bits: dict[int, int]) -> tuple[int, int, int]:
    cur = nxt = changed = 0
    for reader, view in old.views.items():
        if reader in bits:
            cur |= 1 << bits[reader]
            if reader in new.views and _view_key(new.views[reader]) != _view_key(view):
                changed |= 1 << bits[reader]
    for reader in new.views:
        if reader in bits:
            nxt |= 1 << bits[reader]
    return cur, nxt, changed


def _report(
    session: Session,
    proposed: Policy,
    current: Any,
    bits: dict[int, int],
    latest: dict[tuple[str, str], list[int]],
    versions: int,
    limit: int,
) -> dict[str, Any]:
    by_object: dict[str, list[int]] = {}
    for (_, object_id), (_, cur, nxt, changed) in latest.items():
        acc = by_object.setdefault(object_id, [0, 0, 0])
        acc[0] |= cur
        acc[1] |= nxt
        acc[2] |= changed
    slugs = {p[0]: p[1] for p in tenant_profiles(session, bits)}
    recipients = []
    for tenant_id, bit in sorted(bits.items(), key=lambda kv: slugs.get(kv[0], "")):
        flag = 1 << bit
        gain, lose, change = [], [], []
        keep = 0
        for object_id, (cur, nxt, changed) in by_object.items():
            if nxt & flag and not cur & flag:
                gain.append(object_id)
            elif cur & flag and not nxt & flag:
                lose.append(object_id)
            elif cur & flag:
                keep += 1
                if changed & flag:
                    change.append(object_id)
        recipients.append(
            {
                "tenant": slugs.get(tenant_id, str(tenant_id)),
                "gain": {"count": len(gain), "ids": sorted(gain)[:limit]},
                "lose": {"count": len(lose), "ids": sorted(lose)[:limit]},
                "change": {"count": len(change), "ids": sorted(change)[:limit]},
                "keep": keep,
            }
        )
    proposed_hash = content_hash(proposed.model_dump(mode="json", exclude_defaults=False))
    return {
        "tenant": proposed.tenant,
        "current_version": current.seq if current is not None else 0,
        "current_hash": current.content_hash if current is not None else None,
        "proposed_hash": proposed_hash,
        "identical": current is not None and current.content_hash == proposed_hash,
        "objects": len(by_object),
        "versions": versions,
        "recipients": recipients,
    }


def explain_object(
    session: Session,
    publisher: TenantScope,
    object_id: str,
    recipient: str,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """What `recipient` gets of `object_id` (published by `publisher`), and why.

    One explanation per collection holding the object (its newest version there). Raises
    :class:`~hub.errors.NotFound` alike for an object that is absent and one published by
    someone else, and for an unknown recipient.
    """
    now = now or datetime.now(UTC)
    publisher_id = publisher.tenant_id
    rows = lifecycle.owned_latest_versions(session, publisher_id, object_id)
    if not rows:
        raise NotFound("No such object")
    target = tenant_by_slug(session, recipient)
    if target is None or target.id is None:
        raise NotFound("No such tenant")
    owner = session.get(Tenant, publisher_id)
    assert owner is not None
    (profile,) = tenant_profiles(session, [target.id])
    party = Party(*profile)
    public = tenant_identities(session)
    explanations = []
    for row in rows:
        col = session.get(Collection, row.collection_id)
        if col is None:
            continue
        audience = load_audience(session, col, publisher_id)
        item = Item(
            orjson.loads(row.body), row.seq, row.object_id, row.type, row.spec_version, row.version
        )
        prepare_items(session, audience, [item])  # sealed properties decrypted, as on write
        grant = lifecycle.reader_grant(session, target.id, row.seq)
        entry: dict[str, Any] = {
            "collection": {"id": col.id, "alias": col.alias},
            "version": format_micros(row.version),
            "policy_version": audience.policy_seq,
            "grant": {
                "stored": grant is not None,
                "in_force": grant is not None
                and (target.id == publisher_id or grant.policy_seq == owner.policy_seq),
                "date_added": format_micros(grant.date_added) if grant is not None else None,
                "view": None if grant is None else "as published" if grant.view_seq is None
                else "restricted view",
            },
        }  # fmt: skip
        if all(r.tenant_id != target.id for r in audience.readers):
            reason = f"{recipient} may not read the collection {col.alias}"
            entry |= {"reader": False, "decision": None, "explanation": [reason]}
            explanations.append(entry)
            continue
        if not item.trusted:
            reason = "the stored version failed verification: withheld from all but its publisher"
            entry |= {"reader": True, "decision": None, "explanation": [reason]}
            explanations.append(entry)
            continue
        obj = dict(item.obj)
        decision = _resolved(session, obj, col.alias, audience, party, public, now)
        entry |= {
            "reader": True,
            "decision": explain_data(decision, obj),
            "explanation": explain(decision),
        }
        explanations.append(entry)
    return {"object_id": object_id, "recipient": recipient, "explanations": explanations}


def _resolved(
    session: Session,
    obj: dict[str, Any],
    alias: str,
    audience: Audience,
    party: Party,
    public: set[str],
    now: datetime,
) -> Decision:
    """The decision for `party`, references resolved against what it holds (as on write)."""
    ctx = object_context(obj, collection=alias, now=now)
    decision = decide(obj, ctx, audience.policy, audience.publisher, party)
    refs = set(decision.requires_refs)
    for ref_field in decision.prune_refs.values():
        refs.update(ref_field.ids)
    held = objects_repo.granted_pairs(session, [party.tenant_id], refs) if refs else set()
    hub_own = objects_repo.owned_by(session, operator_ids(session), refs) if refs else set()

    def visible(ref: str) -> bool:
        return ref in public or ref in hub_own or (party.tenant_id, ref) in held

    return resolve_references(decision, visible)

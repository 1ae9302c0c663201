"""Field encryption on the grant path: decrypt before deciding, MAC what was decided.

:func:`hub.objects.grants.plan_grants` calls :func:`prepare_items` first, so every decision —
at publication, at re-evaluation (whoever runs it), in a policy preview — sees the whole
version: the stored clear remainder with its sealed properties decrypted, once the row MAC
verified. :func:`hub.objects.grants.write_grants` then calls :func:`protect_plans`, which binds
the new recipients and their field profiles into the row MAC (docs/crypto.md "Row MAC"), so an
edited grant, marking or TLP column never widens who receives plaintext. A publication computes
the same MACs (:func:`protection_updates`) before it stores the versions, and writes each
version once, with its MAC.

A version whose MAC or ciphertexts do not verify has been tampered with: it is withheld from
everyone but its publisher and its MAC is left failing (nothing re-blesses the edit). A version
whose keys were crypto-shredded is kept as its clear remainder, the ciphertexts forgotten.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.orm import Session

from hub.crypto import DecryptionFailed, KeyUnavailable
from hub.crypto import repository as key_repo
from hub.crypto.mac import mac_key_id
from hub.crypto.pointer import from_property
from hub.crypto.tenant_keys import PURPOSE_KEK, PURPOSE_ROOT
from hub.objects.protection import FieldProtection, protection_for
from hub.objects.sealing import DataKeys, mac_fields, seal, sealed_properties, unseal
from hub.sharing.apply import apply_profile
from hub.sharing.decision import FieldProfile
from hub.sharing.protect import protected_properties
from hub.store import sealed as sealed_repo

if TYPE_CHECKING:
    from hub.objects.grants import Audience, GrantPlan, Item

__all__ = [
    "prepare_items",
    "protect_plans",
    "protection_updates",
    "sealed_now",
    "view_body",
    "withheld_views",
]

log = logging.getLogger("hub.crypto")


def sealed_now(item: Item) -> frozenset[str]:
    """The properties of the version that are (or are about to be) sealed at rest."""
    return (item.sealed or frozenset()) | item.to_seal


def view_body(item: Item, profile: FieldProfile) -> bytes:
    """A recipient's stored view: the profile applied, then the sealed properties removed."""
    view = apply_profile(item.obj, profile)
    props = sealed_now(item)
    if props:
        view = {k: v for k, v in view.items() if k not in props}
    return orjson.dumps(view)


def withheld_views(audience: Audience, item: Item) -> dict[int, Any]:
    """The views of a version that failed verification: its publisher's own, nobody else's."""
    owner = audience.publisher.tenant_id
    return {owner: None} if any(r.tenant_id == owner for r in audience.readers) else {}


def _shredded(session: Session, owner_id: int, mac: object) -> bool:
    """Were the keys of this row destroyed (rather than the row edited)?"""
    try:
        kid = mac_key_id(mac)
    except DecryptionFailed:
        return False
    row = key_repo.key_by_id(session, kid)
    return row is not None and row.tenant_id == owner_id and row.state == "destroyed"


def _open(session: Session, prot: FieldProtection, keys: DataKeys, item: Item, row: Any) -> None:
    item.guarded = row.mac is not None
    try:
        if row.mac is None:  # ciphertexts without a MAC: the hub never writes that
            raise DecryptionFailed()
        fields = mac_fields(
            clear=item.obj,
            object_id=item.object_id,
            version=item.version,
            owner_id=row.owner_id,
            tlp=row.tlp,
            sealed=row.sealed or {},
            recipients=row.recipients,
        )
        prot.keys.verify_row_mac(row.owner_id, fields, row.mac)
        item.obj = unseal(keys, row.owner_id, item.obj, row.sealed or {}, row.wrapped_key)
        item.sealed = sealed_properties(row.sealed)
    except DecryptionFailed:
        if _shredded(session, row.owner_id, row.mac):
            item.shredded = True
            return
        item.trusted = False
        log.error(
            "stored version failed verification; withheld from all but its publisher",
            extra={
                "event": "row_mac_failure",
                "object_id": item.object_id,
                "seq": item.version_seq,
            },
        )


def prepare_items(session: Session, audience: Audience, items: Sequence[Item]) -> None:
    """Decrypt the versions about to be decided (those not already whole, i.e. not just
    published), record how they are sealed, and plan sealing what the policy newly protects."""
    pending = [i for i in items if i.sealed is None]
    if not pending:
        return
    rows = sealed_repo.protection_of(session, [i.version_seq for i in pending])
    prot: FieldProtection | None = None
    keys: DataKeys | None = None
    keyed: dict[int, bool] = {}
    for item in pending:
        item.sealed = frozenset()
        row = rows.get(item.version_seq)
        if row is None:
            continue
        item.tlp = row.tlp
        item.stored_mac, item.stored_recipients = row.mac, row.recipients
        if row.mac is not None or row.sealed:
            prot = prot or protection_for(session)
            keys = keys or DataKeys(prot.keys)
            _open(session, prot, keys, item, row)
        if not item.trusted or item.shredded or audience.system:
            continue
        prot = prot or protection_for(session)
        if not prot.enabled:
            continue
        wanted = protected_properties(item.obj, audience.policy.protect) - item.sealed
        if wanted and _keyed(session, keyed, row.owner_id):  # (else at a later re-evaluation)
            item.to_seal = wanted


def _keyed(session: Session, cache: dict[int, bool], owner: int) -> bool:
    """Does the tenant have its keys? (Read in the caller's transaction: creating them would
    need a second writer, which SQLite does not have.)"""
    if owner not in cache:
        cache[owner] = all(
            key_repo.active_key(session, owner, purpose) is not None
            for purpose in (PURPOSE_KEK, PURPOSE_ROOT)
        )
    return cache[owner]


def protect_plans(session: Session, audience: Audience, plans: Sequence[GrantPlan]) -> None:
    """Bind each protected version's recipients into its row MAC (and store re-sealed ones)."""
    updates = [u for _, u in protection_updates(session, audience, plans)]
    if updates:
        sealed_repo.set_protection(session, updates)


def protection_updates(
    session: Session, audience: Audience, plans: Sequence[GrantPlan]
) -> list[tuple[Item, sealed_repo.ProtectionUpdate]]:
    """What :func:`protect_plans` stores, per item: its row MAC and recipients (and re-sealed
    or forgotten ciphertexts). Nothing is written, so a publication stores the MAC with the
    version's own row; an update's `seq` is the item's `version_seq` at the time of the call.
    """
    if audience.system:
        return []
    owner = audience.publisher.tenant_id
    prot: FieldProtection | None = None
    keys: DataKeys | None = None
    keyed: bool | None = None
    updates: list[tuple[Item, sealed_repo.ProtectionUpdate]] = []
    stored = sealed_repo.protection_of(
        session, [p.item.version_seq for p in plans if p.item.to_seal]
    )
    for plan in plans:
        item = plan.item
        if not item.trusted:
            continue
        props = sealed_now(item)
        encrypting = any(v is not None and v.profile.encrypt for v in plan.views.values())
        needed = bool(props)
        if not needed and encrypting:
            prot = prot or protection_for(session)
            needed = prot.enabled
        if needed and keyed is None:
            keyed = key_repo.active_key(session, owner, PURPOSE_ROOT) is not None
        if props and not keyed:  # sealed or verified just now, yet no key: refuse to store
            raise KeyUnavailable(f"tenant {owner} has no keys for its sealed fields")
        if not (needed and keyed):
            if item.guarded or item.shredded:
                forget = sealed_repo.ProtectionUpdate(item.version_seq, None, None, forget=True)
                updates.append((item, forget))
            continue
        prot = prot or protection_for(session)
        recipients = {str(r): (v.digest if v else "") for r, v in plan.views.items()}
        if _mac_holds(prot, owner, item, recipients):
            mac = item.stored_mac
            updates.append((item, sealed_repo.ProtectionUpdate(item.version_seq, mac, recipients)))
            continue
        clear = {k: v for k, v in item.obj.items() if k not in props}
        reseal = None
        if item.to_seal:  # seal what the policy newly protects, under the version's data key
            row = stored[item.version_seq]
            old = {k: v for k, v in item.obj.items() if k not in (item.sealed or ())}
            wrapped = None if row.wrapped_key is None else bytes(row.wrapped_key)
            keys = keys or DataKeys(prot.keys)
            reseal = seal(keys, owner, old, item.to_seal, wrapped_key=wrapped, sealed=row.sealed)
        fields = mac_fields(
            clear=clear,
            object_id=item.object_id,
            version=item.version,
            owner_id=owner,
            tlp=item.tlp,
            sealed=[from_property(p) for p in props],
            recipients=recipients,
        )
        update = sealed_repo.ProtectionUpdate(
            item.version_seq, prot.keys.row_mac(owner, fields), recipients
        )
        if reseal is not None:
            update.body = reseal.body
            update.sealed = reseal.sealed
            update.wrapped_key = reseal.wrapped_key
            update.key_id = reseal.key_id
        updates.append((item, update))
    return updates


def _mac_holds(
    prot: FieldProtection, owner: int, item: Item, recipients: Mapping[str, str]
) -> bool:
    """Is the stored row MAC of a version verified just now what a new MAC would be?

    It is when nothing it covers changed: the same recipients and profiles, nothing newly
    sealed (the clear remainder, TLP and markings are the stored ones it was verified over),
    and it was made under the owner's active root.
    """
    if not (item.guarded and item.trusted) or item.shredded or item.to_seal:
        return False
    if item.stored_recipients != recipients or item.stored_mac is None:
        return False
    try:
        return mac_key_id(item.stored_mac) == prot.keys.tenant_root(owner).key_id
    except DecryptionFailed:
        return False

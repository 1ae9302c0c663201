"""What the engine decides for one object and one recipient, and why: :class:`Decision`.

A decision says whether the recipient gets the object, what becomes of each field (share,
redact, encrypt: :class:`FieldAction`), the effective TLP and where it came from, and the trail
of rules that produced it. References are resolved afterwards by the store-facing caller, which
alone knows what the recipient may see (:func:`resolve_references`); the part of a decision the
read path needs is its :class:`FieldProfile`, small, hashable and JSON-serialisable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from hub.sharing.context import RefField

__all__ = [
    "Action",
    "Decision",
    "FieldAction",
    "FieldProfile",
    "SharingError",
    "Step",
    "resolve_references",
]


class SharingError(ValueError):
    """A sharing function was called with something it must refuse (a bug in the caller)."""


class Action(StrEnum):
    """What a recipient gets of one field."""

    SHARE = "share"
    ENCRYPT = "encrypt"  # JWE to the recipient's key; removed until field encryption exists
    REDACT = "redact"

    @property
    def rank(self) -> int:
        """Restrictiveness: when several rules name one field, the most restrictive wins."""
        return _RANK[self]


_RANK = {Action.SHARE: 0, Action.ENCRYPT: 1, Action.REDACT: 2}


class FieldAction(NamedTuple):
    """The action on one selector (STIX 2.1 §7.2.3.1) and what decided it."""

    action: Action
    reason: str
    source: str  # "rule #1 'name'", "granular marking TLP:RED", "hub"


class Step(NamedTuple):
    """One line of the trail: a rule (or the floor, the publisher, the references) and its effect.

    ``effect``: ``share``, ``deny``, ``restrict``, ``capped`` (matched but TLP 2.0 does not
    let this rule reach the recipient), ``none`` (did not match), ``withhold`` (the object
    cannot be shared as the actions require).
    """

    rule: str
    rule_index: int | None
    matched: bool
    effect: str
    reason: str


@dataclass(frozen=True, slots=True)
class FieldProfile:
    """What the read path does to a stored object for one recipient (stored with the grant).

    Empty: the object as published. ``redact``: selectors removed; ``encrypt``: selectors to
    deliver encrypted to the recipient (removed until that exists); ``drop_refs``: reference
    property -> ids removed from it.
    """

    redact: tuple[str, ...] = ()
    encrypt: tuple[str, ...] = ()
    drop_refs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_full(self) -> bool:
        """True if the recipient gets the object exactly as published."""
        return not (self.redact or self.encrypt or self.drop_refs)

    def to_json(self) -> dict[str, Any]:
        """A canonical JSON form (sorted), for storage."""
        return {
            "redact": list(self.redact),
            "encrypt": list(self.encrypt),
            "drop_refs": {prop: list(ids) for prop, ids in self.drop_refs},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldProfile:
        """The profile :meth:`to_json` wrote."""
        drops = data.get("drop_refs") or {}
        return cls(
            tuple(sorted(data.get("redact") or ())),
            tuple(sorted(data.get("encrypt") or ())),
            tuple(sorted((p, tuple(sorted(ids))) for p, ids in drops.items())),
        )

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical form: one stored row per distinct profile."""
        parts = [*self.redact, "|", *self.encrypt, "|"]
        for prop, ids in self.drop_refs:
            parts += [prop, ":", *ids, ";"]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


_EMPTY: Mapping[str, Any] = MappingProxyType({})
_FULL_PROFILE = FieldProfile()


class Decision(NamedTuple):
    """What `recipient` gets of object `object_id`, and why (immutable: ``_replace`` copies)."""

    object_id: str
    object_type: str
    recipient_id: int
    recipient: str
    granted: bool
    reason: str
    tlp: str
    tlp_source: str  # "marking" or "policy default"
    fields: Mapping[str, FieldAction]
    trail: tuple[Step, ...]
    requires_refs: tuple[str, ...] = ()
    prune_refs: Mapping[str, RefField] = _EMPTY
    removed_refs: Mapping[str, frozenset[str]] | None = None
    full: bool = False  # the publisher: everything, always

    @property
    def refs_resolved(self) -> bool:
        """True once references are resolved (or the decision has none to resolve)."""
        return self.removed_refs is not None or not (self.requires_refs or self.prune_refs)

    def removing(self) -> dict[str, FieldAction]:
        """The field actions that take something away from the recipient."""
        return {s: a for s, a in self.fields.items() if a.action is not Action.SHARE}

    def profile(self) -> FieldProfile:
        """The :class:`FieldProfile` to store with this recipient's grant."""
        if not self.granted:
            raise SharingError(f"{self.object_id} is not granted to {self.recipient}")
        if not self.refs_resolved:
            raise SharingError("resolve_references() before taking the field profile")
        if not self.fields and not self.removed_refs:
            return _FULL_PROFILE
        redact = sorted(s for s, a in self.fields.items() if a.action is Action.REDACT)
        encrypt = sorted(s for s, a in self.fields.items() if a.action is Action.ENCRYPT)
        drops = sorted((p, tuple(sorted(ids))) for p, ids in (self.removed_refs or {}).items())
        return FieldProfile(tuple(redact), tuple(encrypt), tuple(drops))


def resolve_references(decision: Decision, visible: Callable[[str], bool]) -> Decision:
    """Apply what the recipient may see to the references the decision depends on.

    `visible(id)` says whether the recipient may see the object `id` (hub-published objects,
    such as tenant identities, are visible to all; an id the hub does not hold should be
    invisible). A required reference it may not see withholds the object (a relationship or
    sighting whose end it cannot see; a report none of whose ``object_refs`` it can see); other
    invisible ids are pruned from their lists. A decision taken without its trail
    (``trail=False``) stays without one.
    """
    if not decision.granted or decision.refs_resolved:
        return decision
    missing = [ref for ref in decision.requires_refs if not visible(ref)]
    if missing:
        reason = f"{decision.recipient} may not see {', '.join(missing)}, which it refers to"
        return _withheld(decision, reason)
    removed: dict[str, frozenset[str]] = {}
    for prop, ref_field in decision.prune_refs.items():
        gone = frozenset(ref for ref in ref_field.ids if not visible(ref))
        if not gone:
            continue
        if ref_field.required and gone >= set(ref_field.ids):
            reason = f"{decision.recipient} may see none of the objects in {prop}"
            return _withheld(decision, reason)
        removed[prop] = gone
    if not decision.trail:
        return decision._replace(removed_refs=removed)
    if removed:
        detail = "; ".join(f"{p}: {len(ids)} removed" for p, ids in sorted(removed.items()))
        step = Step("references", None, True, "share", f"pruned what it may not see ({detail})")
    else:
        step = Step("references", None, True, "share", "it may see every object referred to")
    return decision._replace(removed_refs=removed, trail=(*decision.trail, step))


def _withheld(decision: Decision, reason: str) -> Decision:
    trail = decision.trail
    if trail:
        trail = (*trail, Step("references", None, True, "withhold", reason))
    return decision._replace(granted=False, reason=reason, removed_refs={}, trail=trail)

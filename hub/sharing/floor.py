"""TLP 2.0 as the floor of every sharing decision (FIRST TLP 2.0; STIX 2.1 §7.2.1.4).

The policy engine (:mod:`hub.sharing.engine`) asks :func:`floor_refusal`: given *how* a rule
names a recipient, may an object (or a field marked by a granular marking) of a given TLP level
reach it? A policy can narrow the floor, never widen it. Per FIRST TLP 2.0:

- CLEAR (TLP 1.0 WHITE): every tenant, named or not.
- GREEN ("peers and partner organisations within their community"): recipients that share a
  community with the publisher, and recipients a rule names (tenants, communities, kinds).
  A rule for "everyone" reaches only the publisher's communities. (The floor is monotone:
  whoever may receive a level may receive every lower level under the same rule.)
- AMBER ("on a need-to-know basis"): recipients a rule names: tenants, communities or kinds
  of tenant, never "everyone".
- AMBER+STRICT ("restricts sharing to the organisation only"): organisations named
  individually: a rule's ``tenants``, or the object's own recipient list; a community or kind
  does not name organisations individually.
- RED ("for the eyes and ears of individual recipients only"): only recipients the object
  itself names (the hub's recipients extension, :mod:`hub.sharing.extension`); no rule widens it.

`floor_allows`/`recipients`/`effective_tlp` are the floor without a policy, as the publish path
used it before sharing policies: CLEAR to every reader, GREEN to readers sharing a community
with the publisher, stricter levels to nobody but the publisher; an unmarked object is AMBER,
and a granular marking raises the whole object to its level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "DEFAULT_TLP",
    "TLP_RANK",
    "Naming",
    "Party",
    "effective_tlp",
    "floor_allows",
    "floor_refusal",
    "recipients",
]

TLP_RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
DEFAULT_TLP = "amber"


@dataclass(frozen=True, slots=True)
class Party:
    """A tenant as the sharing rules see it."""

    tenant_id: int
    slug: str
    kind: str
    communities: frozenset[str]
    identity_id: str | None = None  # the STIX identity; None: never named on an object (RED)


#: How a rule names a recipient, from most to least individual: by tenant slug, through the
#: object's own recipient list, through a community, through a kind of tenant, or as everyone.
Naming = Literal["tenant", "object", "community", "kind", "everyone"]
_INDIVIDUAL: frozenset[str] = frozenset({"tenant", "object"})


def effective_tlp(
    obj: Mapping[str, Any],
    object_tlp: str | None,
    tlp_ids: Mapping[str, str],
    *,
    default: str = DEFAULT_TLP,
) -> str:
    """The most restrictive TLP among the object's and its granular markings (else `default`)."""
    levels = [object_tlp] if object_tlp else []
    granular = obj.get("granular_markings")
    if isinstance(granular, list):
        for gm in granular:
            if isinstance(gm, dict):
                level = tlp_ids.get(str(gm.get("marking_ref")))
                if level:
                    levels.append(level)
    if not levels:
        return default
    return max(levels, key=TLP_RANK.__getitem__)


def floor_allows(tlp: str, publisher: Party, recipient: Party) -> bool:
    """Does the TLP floor let `recipient` read an object of `publisher` marked `tlp`?"""
    if recipient.tenant_id == publisher.tenant_id:
        return True
    if tlp == "clear":
        return True
    if tlp == "green":
        return bool(publisher.communities & recipient.communities)
    return False


def recipients(tlp: str, publisher: Party, readers: Iterable[Party]) -> list[int]:
    """Ids of the collection readers the floor admits."""
    return [r.tenant_id for r in readers if floor_allows(tlp, publisher, r)]


def floor_refusal(
    level: str, publisher: Party, recipient: Party, named_as: Naming, *, named_on_object: bool
) -> str | None:
    """Why TLP 2.0 refuses `level` to `recipient` named by a rule `named_as`; None if it allows.

    `named_on_object`: the object's TLP:RED recipient list names the recipient, which then
    counts as named individually at every level (so the floor stays monotone: whoever may
    receive a level may receive every lower one). The publisher is always allowed.
    """
    if recipient.tenant_id == publisher.tenant_id or level == "clear":
        return None
    if named_on_object:  # the object itself names it: named individually, whatever the rule
        named_as = "object"
    if level == "green":
        if named_as != "everyone" or publisher.communities & recipient.communities:
            return None
        return (
            f"TLP:GREEN goes to the publisher's communities and to recipients a rule names; "
            f"{recipient.slug} shares no community with {publisher.slug} and is named only "
            f"as one of everyone"
        )
    if level == "amber":
        if named_as != "everyone":
            return None
        return "TLP:AMBER goes only to recipients a rule names (tenants, communities, kinds)"
    if level == "amber+strict":
        if named_as in _INDIVIDUAL:
            return None
        return (
            f"TLP:AMBER+STRICT goes only to organisations named individually; "
            f"{recipient.slug} is named only as {named_as}"
        )
    if level == "red":
        if named_on_object:
            return None
        return (
            f"TLP:RED goes only to recipients the object itself names (recipient_refs); "
            f"{recipient.slug} is not named there"
        )
    return f"unknown TLP level {level!r}"

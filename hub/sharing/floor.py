"""TLP 2.0 as the floor of every sharing decision (FIRST TLP 2.0; STIX 2.1 §7.2.1.4).

CLEAR (and TLP 1.0 WHITE) goes to every reader; GREEN to readers that share a community with
the publisher; AMBER, AMBER+STRICT and RED only to recipients that a rule or the object itself
names — until a sharing policy names them, nobody but the publisher. The publisher always reads
its own objects. An object without a TLP marking is treated as the publisher's default (AMBER),
never as CLEAR; a granular marking more restrictive than the object's raises the whole object to
that level, so no single field can reach a recipient its marking does not allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_TLP", "TLP_RANK", "Party", "effective_tlp", "floor_allows"]

TLP_RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
DEFAULT_TLP = "amber"


@dataclass(frozen=True, slots=True)
class Party:
    """A tenant as the sharing rules see it."""

    tenant_id: int
    slug: str
    kind: str
    communities: frozenset[str]


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

"""TLP 2.0 as the floor (FIRST TLP 2.0): the table, monotone, and the policy-less floor."""

from __future__ import annotations

from typing import get_args

import pytest

from hub.sharing.floor import (
    TLP_RANK,
    Naming,
    effective_tlp,
    floor_allows,
    floor_refusal,
    recipients,
)
from hub.stix.tlp import TLP_MARKING_IDS
from tests.sharing.helpers import TLP, party

NAMINGS: tuple[Naming, ...] = get_args(Naming)
# level -> the namings that reach ne-cclt (shares `sahel` with the publisher ml-cnlt) and
# interpol (shares no community), the object not naming either.
ALLOWED = {
    "clear": (set(NAMINGS), set(NAMINGS)),
    "green": (set(NAMINGS), set(NAMINGS) - {"everyone"}),
    "amber": (set(NAMINGS) - {"everyone"}, set(NAMINGS) - {"everyone"}),
    "amber+strict": ({"tenant", "object"}, {"tenant", "object"}),
    "red": (set(), set()),
}


@pytest.mark.parametrize("level", list(TLP_RANK))
def test_floor_table(level: str) -> None:
    pub = party("ml-cnlt")
    for to, allowed in zip(("ne-cclt", "interpol"), ALLOWED[level], strict=True):
        got = {
            n
            for n in NAMINGS
            if floor_refusal(level, pub, party(to), n, named_on_object=False) is None
        }
        assert got == allowed, (level, to)
        assert floor_refusal(level, pub, pub, "everyone", named_on_object=False) is None


def test_red_needs_the_object_to_name_the_recipient_whatever_the_rule() -> None:
    pub, to = party("ml-cnlt"), party("interpol")
    for naming in NAMINGS:
        assert floor_refusal("red", pub, to, naming, named_on_object=True) is None


def test_floor_is_monotone() -> None:
    pub = party("ml-cnlt")
    levels = sorted(TLP_RANK, key=TLP_RANK.__getitem__)
    for to in ("ne-cclt", "interpol", "gh-ctfc"):
        for naming in NAMINGS:
            for on_object in (False, True):
                ok = [
                    floor_refusal(lv, pub, party(to), naming, named_on_object=on_object) is None
                    for lv in levels
                ]
                assert ok == sorted(ok, reverse=True), (to, naming, on_object)


def test_policy_less_floor_still_works() -> None:
    pub = party("ml-cnlt")
    readers = [party(s) for s in ("ne-cclt", "interpol", "ml-cnlt")]
    assert recipients("green", pub, readers) == [party("ne-cclt").tenant_id, pub.tenant_id]
    assert recipients("clear", pub, readers) == [r.tenant_id for r in readers]
    assert recipients("amber", pub, readers) == [pub.tenant_id]
    assert floor_allows("red", pub, pub)
    granular = {"granular_markings": [{"marking_ref": TLP["red"], "selectors": ["name"]}]}
    assert effective_tlp(granular, "green", TLP_MARKING_IDS) == "red"
    assert effective_tlp({}, None, TLP_MARKING_IDS) == "amber"

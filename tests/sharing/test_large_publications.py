"""A publication larger than one store slice (hub.objects.ingest.STORE_SLICE): decided as a
whole, so a reference to an object later in the envelope resolves, and stored in order."""

from __future__ import annotations

from typing import Any

import pytest

from hub.objects import ingest
from tests.conftest import World
from tests.crypto.wiring_support import publish, read_objects
from tests.factories import indicator, malware, relationship

pytestmark = pytest.mark.postgres

POLICY: dict[str, Any] = {
    "tenant": "ng-nctc",
    "default_tlp": "amber",
    "rules": [
        {
            "name": "interpol",
            "effect": "share",
            "match": {"types": ["indicator", "relationship", "malware"], "tlp": ["green"]},
            "recipients": {"tenants": ["interpol"]},
        }
    ],
}


def test_references_resolve_across_slices_and_order_is_kept(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "STORE_SLICE", 2)
    world.apply_policy(POLICY)
    me = world.scope("ng-nctc").identity_id
    ind, target = indicator(me, tlp="green"), malware(me, tlp="green")
    rel = relationship(me, ind["id"], target["id"])
    fillers = [indicator(me, tlp="green") for _ in range(3)]
    envelope = [rel, *fillers, ind, target]  # the relationship first, its ends in later slices
    publish(world, "ng-nctc", envelope, "shared-exchange")

    got = read_objects(world.db, "interpol", "shared-exchange")
    assert [o["id"] for o in got if o["created_by_ref"] == me] == [o["id"] for o in envelope]
    (shared,) = read_objects(world.db, "interpol", "shared-exchange", rel["id"])
    assert shared["source_ref"] == ind["id"] and shared["target_ref"] == target["id"]

"""What a tenant published and whom it reached: counts over latest versions and grants in force."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from hub.objects.ingest import Publisher, ingest
from hub.store.models import Tenant
from hub.store.published import (
    PublishedCount,
    published_counts,
    published_total,
    recent_published,
)
from tests.conftest import World
from tests.factories import indicator, malware
from tests.taxii.helpers import collection_id

POLICY: dict[str, Any] = {
    "tenant": "ng-nctc",
    "rules": [
        {
            "name": "au-green-indicators",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green"]},
            "recipients": {"communities": ["african-union"]},
        }
    ],
}
AU_OTHERS = 6  # the African Union community without Nigeria


def _publish(world: World, slug: str, objects: list[dict[str, Any]]) -> None:
    cid = collection_id(world, "shared-exchange")
    status = ingest(world.db, Publisher(world.scope(slug)), cid, objects)
    assert status.failure_count == 0, status.failures


def _by(rows: list[PublishedCount]) -> dict[str | None, tuple[int, int]]:
    return {r.key: (r.objects, r.recipients) for r in rows}


def test_counts_are_of_latest_versions_and_distinct_recipients_in_force(world: World) -> None:
    world.apply_policy(POLICY)
    me = world.scope("ng-nctc").identity_id
    amber = [indicator(me, tlp="amber") for _ in range(3)]
    green = [indicator(me, tlp="green") for _ in range(2)]
    unmarked, family = indicator(me, tlp=None), malware(me, tlp="green")
    _publish(world, "ng-nctc", [*amber, *green, unmarked, family])
    # A newer version of the last AMBER indicator is GREEN: it counts once, as GREEN.
    newer = indicator(me, tlp="green", object_id=amber[2]["id"], modified="2026-11-05T00:00:00Z")
    _publish(world, "ng-nctc", [newer])
    _publish(world, "gh-ctfc", [indicator(world.scope("gh-ctfc").identity_id, tlp="green")])

    scope = world.scope("ng-nctc")
    with world.db.session() as s:
        assert published_total(s, scope) == PublishedCount(None, 7, AU_OTHERS)
        assert _by(published_counts(s, scope, "type")) == {
            "indicator": (6, AU_OTHERS),
            "malware": (1, 0),  # the rule shares indicators only
        }
        # The effective TLP: the unmarked indicator is stored at the policy's default, AMBER.
        assert _by(published_counts(s, scope, "tlp")) == {"green": (4, AU_OTHERS), "amber": (3, 0)}
        recent = recent_published(s, scope, limit=3)
    assert [r.object_id for r in recent] == [newer["id"], family["id"], unmarked["id"]]
    assert [(r.type, r.tlp, r.recipients) for r in recent] == [
        ("indicator", "green", AU_OTHERS),
        ("malware", "green", 0),
        ("indicator", "amber", 0),
    ]
    assert recent[0].date_added > recent[1].date_added > recent[2].date_added


def test_grants_of_a_withdrawn_policy_and_inactive_tenants_do_not_count(world: World) -> None:
    world.apply_policy(POLICY)
    me = world.scope("ng-nctc").identity_id
    _publish(world, "ng-nctc", [indicator(me, tlp="green")])
    scope = world.scope("ng-nctc")
    with world.db.write_session() as s:
        s.execute(sa.update(Tenant).where(col(Tenant.slug) == "gh-ctfc").values(active=False))
    with world.db.session() as s:
        assert published_total(s, scope) == PublishedCount(None, 1, AU_OTHERS - 1)
    # A new policy sequence withdraws every grant at once, until they are decided again.
    with world.db.write_session() as s:
        s.execute(
            sa.update(Tenant)
            .where(col(Tenant.slug) == "ng-nctc")
            .values(policy_seq=col(Tenant.policy_seq) + 1)
        )
    with world.db.session() as s:
        assert published_total(s, scope) == PublishedCount(None, 1, 0)
        (only,) = recent_published(s, scope)
        assert only.recipients == 0


def test_a_tenant_that_published_nothing_has_nothing(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    _publish(world, "ng-nctc", [indicator(me, tlp="clear")])
    other = world.scope("ke-nctc")  # it holds Nigeria's CLEAR indicator, but published nothing
    with world.db.session() as s:
        assert published_total(s, other) == PublishedCount(None, 0, 0)
        assert published_counts(s, other, "type") == []
        assert recent_published(s, other) == []
        assert published_total(s, world.scope("ng-nctc")).recipients > 0

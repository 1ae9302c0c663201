"""Who may see what: a tenant learns about its own objects and its own reads, nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from hub.audit import Actor, AuditEvent, AuditLog
from hub.audit.queries import (
    OperatorView,
    TimeRange,
    entries,
    policy_history,
    received_by,
    who_received,
)
from hub.errors import NotFound
from hub.objects.ingest import Publisher, ingest
from hub.timeutil import parse_taxii_timestamp
from tests.audit.helpers import COLLECTION, T0
from tests.conftest import World
from tests.factories import indicator

ABSENT = "indicator--00000000-0000-4000-8000-000000000000"


def publish(world: World, slug: str) -> tuple[str, int]:
    """Publish one indicator as `slug` (ingest records its audit entry); return (id, version)."""
    scope = world.scope(slug)
    obj = indicator(scope.identity_id)
    ingest(world.db, Publisher(scope), COLLECTION, [obj])
    return obj["id"], parse_taxii_timestamp(obj["modified"])


def read(world: World, slug: str, *versions: tuple[str, int]) -> None:
    """Record that `slug` received `versions` in one request."""
    actor = Actor.of_scope(world.scope(slug), f"{slug}-client")
    AuditLog.record(
        world.db, AuditEvent.read(actor, COLLECTION, versions, request_id=f"{slug}-req")
    )


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    """ng-nctc and gh-ctfc publish; ke-nctc, interpol and gh-ctfc read."""
    a = publish(world, "ng-nctc")
    b = publish(world, "gh-ctfc")
    read(world, "ke-nctc", a, b)
    read(world, "interpol", a)
    read(world, "gh-ctfc", b)
    return {"a": a, "b": b, "world": world}


def _q(world: World, fn: Any, viewer: Any, *args: Any, **kw: Any) -> list[dict[str, Any]]:
    with world.db.session() as session:
        return list(fn(session, viewer, *args, **kw).items)


def test_the_publisher_learns_who_received_its_object_and_nothing_more(
    scene: dict[str, Any],
) -> None:
    world, (a_id, _), (b_id, _) = scene["world"], scene["a"], scene["b"]
    got = _q(world, who_received, world.scope("ng-nctc"), a_id)
    assert [(g["recipient"], g["client"]) for g in got] == [
        ("ke-nctc", "ke-nctc-client"), ("interpol", "interpol-client"),
    ]  # fmt: skip
    assert all(g["objects"] == [[a_id, "2026-11-01T10:00:00.000000Z"]] for g in got)
    assert b_id not in str(got)  # ke-nctc's request also carried gh-ctfc's object: not shown


def test_anyone_else_gets_not_found_exactly_as_for_an_absent_object(scene: dict[str, Any]) -> None:
    world, (a_id, _) = scene["world"], scene["a"]
    for slug in ("gh-ctfc", "ke-nctc", "interpol"):
        with pytest.raises(NotFound) as theirs, world.db.session() as s:
            who_received(s, world.scope(slug), a_id)
        with pytest.raises(NotFound) as absent, world.db.session() as s:
            who_received(s, world.scope(slug), ABSENT)
        assert theirs.value.description == absent.value.description


def test_what_a_recipient_received_depends_on_who_asks(scene: dict[str, Any]) -> None:
    world, (a_id, _), (b_id, _) = scene["world"], scene["a"], scene["b"]
    own = _q(world, received_by, world.scope("ke-nctc"), "ke-nctc")
    assert [sorted(o[0] for o in g["objects"]) for g in own] == [sorted([a_id, b_id])]
    assert own[0]["request_id"] == "ke-nctc-req" and "hash" in own[0]
    as_ng = _q(world, received_by, world.scope("ng-nctc"), "ke-nctc")
    assert [g["objects"] for g in as_ng] == [[[a_id, "2026-11-01T10:00:00.000000Z"]]]
    assert _q(world, received_by, world.scope("ng-nctc"), "gh-ctfc") == []  # nothing of ng's
    assert _q(world, received_by, world.scope("ke-nctc"), "interpol") == []
    with pytest.raises(NotFound), world.db.session() as s:
        received_by(s, world.scope("ke-nctc"), "no-such-tenant")


def test_the_operator_sees_everything_but_protected_values(scene: dict[str, Any]) -> None:
    world, (a_id, _) = scene["world"], scene["a"]
    ke = world.scope("ke-nctc")
    AuditLog.record(world.db, AuditEvent.decrypt_failure(
        Actor.of_scope(ke), collection_id=COLLECTION, object_id=a_id, version=1,
        reason="bad-tag", field_path="x_secret.source",
    ))  # fmt: skip
    op = world.scope("hub-operator")
    assert len(_q(world, who_received, op, a_id)) == 2
    for viewer in (op, OperatorView()):
        mine = _q(world, entries, viewer, actions=["decrypt.failure"])
        assert mine[0]["protected"] == "***" and "x_secret" not in str(mine)
    own = _q(world, entries, ke, actions=["decrypt.failure"])
    assert own[0]["protected"] == {"field": "x_secret.source"}


def test_a_deleted_object_still_has_its_recipients_for_its_publisher(scene: dict[str, Any]) -> None:
    import sqlalchemy as sa

    from hub.store.models import Grant, ObjectVersion

    world, (a_id, _) = scene["world"], scene["a"]
    with world.db.write_session() as s:
        s.execute(sa.delete(Grant).where(Grant.object_id == a_id))  # type: ignore[arg-type]
        s.execute(sa.delete(ObjectVersion).where(ObjectVersion.object_id == a_id))  # type: ignore[arg-type]
    assert len(_q(world, who_received, world.scope("ng-nctc"), a_id)) == 2
    with pytest.raises(NotFound), world.db.session() as s:
        who_received(s, world.scope("gh-ctfc"), a_id)


def test_policy_history_is_the_tenants_own(world: World) -> None:
    for slug in ("ng-nctc", "gh-ctfc"):
        actor = Actor.of_scope(world.scope(slug))
        AuditLog.record_many(world.db, [
            AuditEvent.policy_validated(actor, f"sha256:{slug}-1"),
            AuditEvent.policy_applied(actor, f"sha256:{slug}-1"),
        ])  # fmt: skip
    ng = _q(world, policy_history, world.scope("ng-nctc"))
    assert [g["policy_hash"] for g in ng] == ["sha256:ng-nctc-1", "sha256:ng-nctc-1"]
    assert _q(world, policy_history, world.scope("ng-nctc"), tenant="gh-ctfc") == []
    assert len(_q(world, policy_history, OperatorView())) == 4
    assert len(_q(world, policy_history, OperatorView(), tenant="gh-ctfc")) == 2


def test_time_window_and_paging(world: World) -> None:
    from hub.timeutil import now_micros

    # Entry times never go backwards along the chain: start after what the sync recorded.
    t0 = max(T0, now_micros() + 1_000_000)
    actor = Actor.of_scope(world.scope("ke-nctc"))
    for i in range(7):
        AuditLog.record(world.db, AuditEvent.read(actor, COLLECTION, [(f"x--{i}", i)]), now=t0 + i)
    viewer = world.scope("ke-nctc")
    window = TimeRange(t0 + 2, t0 + 6)
    with world.db.session() as s:
        first = received_by(s, viewer, "ke-nctc", window=window, limit=3)
        second = received_by(s, viewer, "ke-nctc", window=window, limit=3, after=first.next)
    assert [g["objects"][0][0] for g in first.items + second.items] == [
        f"x--{i}" for i in range(2, 6)
    ]
    assert second.next is None

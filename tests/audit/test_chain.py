"""Appending: a dense, hash-chained sequence; in the caller's transaction or in its own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.audit import Action, Actor, AuditError, AuditEvent, AuditLog, TenantRef, verify_log
from hub.audit.canonical import GENESIS, canonical_entry, chain_hash, iso_micros, leaf_digest
from hub.audit.events import POLICY_ACTIONS
from hub.store.db import Database
from hub.store.models import Status
from hub.timeutil import format_micros
from tests.audit.conftest import SIGNER
from tests.audit.helpers import ALICE, BOB, COLLECTION, T0, fill, read_event, rows


def test_entries_form_a_dense_hash_chain(db: Database) -> None:
    fill(db, 5)
    stored = rows(db)
    assert [r["seq"] for r in stored] == [1, 2, 3, 4, 5]
    prev = GENESIS
    for r in stored:
        assert r["prev_hash"] == prev
        assert r["hash"] == chain_hash(prev, leaf_digest(r))
        prev = r["hash"]
    assert [r["request_id"] for r in stored] == [f"req-{i}" for i in range(5)]
    assert stored[0]["objects"][0] == [
        f"indicator--{0:08x}-0000-4000-8000-{0:012x}",
        format_micros(T0),
    ]


def test_canonical_encoding_is_fixed() -> None:
    fields = {
        "seq": 7, "time": T0, "action": "read", "outcome": "success", "actor_tenant_id": 2,
        "actor_tenant": "ke-nctc", "actor_client": "c", "subject_tenant_id": None,
        "subject_tenant": None, "collection_id": None, "objects": [["x--1", "v"]],
        "request_id": None, "policy_hash": None, "details": {"b": 1, "a": [True, None]},
        "protected_digest": None, "nonce": "00" * 16,
    }  # fmt: skip
    assert canonical_entry(fields) == (
        b'{"action":"read","client":"c","collection":null,"details":{"a":[true,null],"b":1},'
        b'"nonce":"00000000000000000000000000000000","objects":[["x--1","v"]],"outcome":"success",'
        b'"policy_hash":null,"protected":null,"request_id":null,"seq":7,"subject_tenant":null,'
        b'"subject_tenant_id":null,"tenant":"ke-nctc","tenant_id":2,'
        b'"time":"2026-11-18T11:06:40.000000Z","v":1}'
    )
    for us in (0, 1, T0, T0 + 999_999, 253_402_300_799_999_999):
        assert iso_micros(us) == format_micros(us)


def test_time_never_decreases_along_the_chain(db: Database) -> None:
    AuditLog.record(db, read_event(1), now=T0 + 10)
    AuditLog.record(db, read_event(2), now=T0)  # a process with a slow clock
    assert [r["time"] for r in rows(db)] == [T0 + 10, T0 + 10]


def test_entry_commits_and_rolls_back_with_the_callers_transaction(db: Database) -> None:
    with db.write_session() as session:
        AuditLog.record(session, read_event(1))

    def failing_publish() -> None:
        with db.write_session() as session:
            AuditLog.record(session, read_event(2))
            raise RuntimeError("the publish failed")

    with pytest.raises(RuntimeError):
        failing_publish()
    AuditLog.record(db, read_event(3))
    assert [(r["seq"], r["request_id"]) for r in rows(db)] == [(1, "req-1"), (2, "req-3")]
    with db.session() as session:
        assert verify_log(session, SIGNER.public).ok


def test_sqlite_appends_need_a_write_transaction(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite only")
    with pytest.raises(AuditError, match="write_session"), db.session() as session:
        AuditLog.record(session, read_event(1))


def test_record_many_appends_in_order_under_one_lock(db: Database) -> None:
    with db.write_session() as session:
        records = AuditLog.record_many(session, [read_event(i) for i in range(3)])
        assert AuditLog.head(session) == records[-1]
    assert [r.seq for r in records] == [1, 2, 3]
    assert [r["request_id"] for r in rows(db)] == ["req-0", "req-1", "req-2"]


@pytest.mark.parametrize(
    "details",
    [{"ratio": 0.5}, {"big": 2**60}, {"nul": "a\x00b"}, {1: "x"}, {"set": {1, 2}}],
)
def test_values_that_would_not_survive_jsonb_are_refused(db: Database, details: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(AuditError):
        AuditLog.record(db, AuditEvent(Action.KEY_ROTATE, ALICE, details=details))
    assert rows(db) == []


def test_protected_values_are_committed_by_digest(db: Database) -> None:
    event = AuditEvent.decrypt_failure(
        BOB, collection_id=COLLECTION, object_id="indicator--1", version=T0, reason="bad-tag",
        field_path="x_secret.source",
    )  # fmt: skip
    AuditLog.record(db, event)
    (row,) = rows(db)
    assert row["protected"] == {"field": "x_secret.source"}
    assert row["protected_digest"] and "x_secret" not in canonical_entry(row).decode()


def test_constructors_fill_action_outcome_subject_and_details(db: Database) -> None:
    pub = AuditEvent.publish(
        ALICE, COLLECTION, [("indicator--a", T0)], unchanged=[("indicator--b", T0)],
        failed=[("indicator--c", None, "created_by_ref must be this tenant's identity")],
        policy_hash="sha256:" + "ab" * 32,
    )  # fmt: skip
    assert (pub.action, pub.outcome, pub.subject) == (Action.PUBLISH, "partial", ALICE.tenant)
    assert (
        AuditEvent.publish(ALICE, COLLECTION, [], failed=[("x", None, "bad")]).outcome == "failure"
    )
    owner = TenantRef(101, "ng-nctc")
    events = [
        pub,
        AuditEvent.read(BOB, COLLECTION, [("indicator--a", T0)], endpoint="object"),
        AuditEvent.delete(ALICE, COLLECTION, [("indicator--a", T0)]),
        AuditEvent.policy_validated(ALICE, "sha256:1", problems=["rule 3: unknown community"]),
        AuditEvent.policy_applied(ALICE, "sha256:2", previous_hash="sha256:0", version=2),
        AuditEvent.grants_reevaluated(
            Actor.system("jobs"), collection_id=COLLECTION, policy_hash="sha256:2",
            publisher=owner, granted=40, revoked=3, job_id="job-1",
        ),
        AuditEvent.key_rotated(Actor.system("cli"), key_id="k1", new_key_id="k2", owner=owner),
        AuditEvent.key_shredded(Actor.system("cli"), key_id="k1", owner=owner),
        AuditEvent.client_created(Actor.system("cli"), client_id="c9", owner=owner,
                                  scopes=["taxii:read", "audit:read"]),
        AuditEvent.client_revoked(Actor.system("cli"), client_id="c9", owner=owner),
        AuditEvent.auth_failure(client_id="nobody", tenant=None, reason="unknown-client",
                                method="basic", source="192.0.2.7"),
    ]  # fmt: skip
    AuditLog.record_many(db, events)
    stored = rows(db)
    assert [r["action"] for r in stored] == [
        "publish", "read", "object.delete", "policy.validate", "policy.apply",
        "grants.reevaluate", "key.rotate", "key.shred", "client.create", "client.revoke",
        "auth.failure",
    ]  # fmt: skip
    assert stored[0]["details"]["failed"][0][0] == "indicator--c"
    assert stored[3]["outcome"] == "failure"
    assert all(r["subject_tenant_id"] == 101 for r in stored[5:10])
    assert stored[10]["actor_tenant_id"] is None and stored[10]["details"]["source"] == "192.0.2.7"
    assert {a.value for a in POLICY_ACTIONS} == {r["action"] for r in stored[3:6]}


def test_auth_subscriber_records_failures_and_resolves_the_tenant(world: object) -> None:
    from dataclasses import dataclass

    db: Database = world.db  # type: ignore[attr-defined]

    @dataclass
    class Ev:
        client_id: str | None
        tenant: str | None
        source: str | None
        outcome: str
        reason: str
        method: str

    on_event = AuditLog.auth_subscriber(db)
    on_event(Ev("ng-nctc-1", "ng-nctc", "192.0.2.1", "success", "ok", "basic"))
    on_event(Ev("ng-nctc-1", "ng-nctc", "192.0.2.1", "failure", "bad-secret", "basic"))
    on_event(Ev("x" * 500, None, "192.0.2.2", "throttled", "throttled", "basic"))
    stored = [r for r in rows(db) if r["action"] == "auth.failure"]
    assert [(r["outcome"], r["details"]["reason"]) for r in stored] == [
        ("failure", "bad-secret"), ("denied", "throttled"),
    ]  # fmt: skip
    ng = world.scope("ng-nctc")  # type: ignore[attr-defined]
    assert stored[0]["actor_tenant_id"] == ng.tenant_id == stored[0]["subject_tenant_id"]
    assert len(stored[1]["actor_client"]) == 200


def test_appending_in_the_publish_transaction_with_other_writes(db: Database) -> None:
    """The publish path's shape: domain rows, then the audit entry, one commit."""
    import uuid
    from datetime import UTC, datetime

    from hub.store.models import Collection, Tenant

    with db.write_session() as session:
        session.add(Tenant(slug="t1", name="T", kind="national-cell", identity_id="identity--1",
                           identity={}, created_at=datetime.now(UTC)))  # fmt: skip
        session.add(Collection(id=COLLECTION, alias="c", title="c", readers=["*"], writers=["*"]))
        session.flush()
        tenant_id = session.scalars(sa.select(Tenant.id)).one()
        session.add(Status(
            id=str(uuid.uuid4()), tenant_id=tenant_id, collection_id=COLLECTION,
            status="complete", request_timestamp=datetime.now(UTC), total_count=1,
            success_count=1, failure_count=0, pending_count=0, successes=[], failures=[],
            pendings=[],
        ))  # fmt: skip
        session.flush()
        AuditLog.record(session, AuditEvent.publish(ALICE, COLLECTION, [("indicator--a", T0)]))
    assert [r["action"] for r in rows(db)] == ["publish"]

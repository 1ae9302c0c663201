"""Field-level encryption wired into publishing, grants and reading (docs/crypto.md "Stored
objects"): protected properties sealed at rest, each reader's profile applied after unsealing,
re-evaluation deciding on the whole object, and a tampered row never yielding plaintext."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from hub.objects.protection import FieldProtection, register, registered
from hub.sharing.protect import DEFAULT_PROTECTED, protected_properties
from hub.store.db import Database
from tests.conftest import World
from tests.crypto.wiring_support import (
    SECRET_CASE,
    SECRET_DESCRIPTION,
    assert_absent,
    publish,
    raw_bytes,
    read_objects,
    version_row,
)
from tests.factories import indicator, new_id

pytestmark = pytest.mark.postgres

POLICY: dict[str, Any] = {
    "tenant": "ng-nctc",
    "default_tlp": "amber",
    "rules": [
        {
            "name": "ecowas-indicators",
            "effect": "share",
            "match": {"types": ["indicator", "sighting", "identity"], "tlp": ["green", "amber"]},
            "recipients": {"communities": ["ecowas"]},
        },
        {
            "name": "interpol-indicators",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"]},
            "recipients": {"tenants": ["interpol"]},
            "fields": {"external_references": "redact"},
        },
    ],
}


def _secret_indicator(world: World, **extra: Any) -> dict[str, Any]:
    me = world.scope("ng-nctc").identity_id
    fields: dict[str, Any] = {
        "description": SECRET_DESCRIPTION,
        "external_references": [{"source_name": "ng-case-files", "external_id": SECRET_CASE}],
    }
    return indicator(me, tlp="green", **(fields | extra))


@pytest.fixture
def policy_world(world: World) -> World:
    world.apply_policy(POLICY)
    return world


def test_protected_properties_are_sealed_at_rest(policy_world: World) -> None:
    world = policy_world
    obj = _secret_indicator(world)
    publish(world, "ng-nctc", [obj], "shared-exchange")
    row = version_row(world.db, obj["id"])
    body = json.loads(row.body)
    assert "description" not in body and "external_references" not in body
    assert body["pattern"] == obj["pattern"] and body["valid_from"] == obj["valid_from"]
    assert body["object_marking_refs"] == obj["object_marking_refs"]
    assert set(json.loads(row.sealed)) == {"/description", "/external_references"}
    assert all(v.startswith("fh1.A256GCM.") for v in json.loads(row.sealed).values())
    wrapped = bytes(row.wrapped_key)  # 0x01, GCM-SIV, the tenant key id, nonce, key, tag
    assert wrapped[:3] == bytes([1, 2, len(row.key_id)]) and wrapped[3:].startswith(
        row.key_id.encode()
    )
    assert row.key_id.startswith(f"t{row.owner_id}-kek-")
    assert row.mac.startswith("fh1.HS256.")
    recipients = json.loads(row.recipients)
    gh, interpol = world.scope("gh-ctfc").tenant_id, world.scope("interpol").tenant_id
    assert recipients[str(row.owner_id)] == "" and recipients[str(gh)] == ""
    assert len(recipients[str(interpol)]) == 64  # interpol's view: a profile digest
    with world.db.session() as s:
        views = s.execute(
            sa.text("SELECT CAST(body AS TEXT) FROM object_view WHERE version_seq = :s"),
            {"s": row.seq},
        ).scalars()
        for view in views:
            assert "description" not in json.loads(view)
    assert_absent(raw_bytes(world.db), [SECRET_DESCRIPTION, SECRET_CASE])


def test_each_reader_gets_what_its_profile_says(policy_world: World) -> None:
    world = policy_world
    obj = _secret_indicator(world)
    publish(world, "ng-nctc", [obj], "shared-exchange")
    (mine,) = read_objects(world.db, "ng-nctc", "shared-exchange", obj["id"])
    assert mine == obj
    (ghana,) = read_objects(world.db, "gh-ctfc", "shared-exchange", obj["id"])
    assert ghana == obj
    (interpol,) = read_objects(world.db, "interpol", "shared-exchange", obj["id"])
    assert interpol["description"] == SECRET_DESCRIPTION
    assert "external_references" not in interpol
    assert read_objects(world.db, "ke-nctc", "shared-exchange", obj["id"]) == []


def test_objects_without_protected_fields_are_served_as_stored(policy_world: World) -> None:
    world = policy_world
    obj = indicator(world.scope("ng-nctc").identity_id, tlp="green")
    publish(world, "ng-nctc", [obj], "shared-exchange")
    row = version_row(world.db, obj["id"])
    assert row.sealed is None and row.mac is None and row.wrapped_key is None
    (ghana,) = read_objects(world.db, "gh-ctfc", "shared-exchange", obj["id"])
    assert ghana == obj


def test_the_default_table_keeps_required_and_filtered_properties_clear() -> None:
    for obj_type, props in DEFAULT_PROTECTED.items():
        obj = {p: "x" for p in (*props, "id", "type", "created", "modified", "name", "pattern")}
        obj["type"] = obj_type
        sealed = protected_properties(obj)
        assert not sealed & {"id", "type", "created", "modified", "pattern", "name"} - set(props)
    custom = {"type": "malware", "id": "malware--1", "name": "n", "is_family": True, "x_src": 1}
    assert protected_properties(custom, {"malware": ["name", "description"]}) == {"x_src"}


def test_a_policy_protects_more(world: World) -> None:
    world.apply_policy({**POLICY, "protect": {"indicator": ["name"], "*": ["labels"]}})
    obj = _secret_indicator(world, labels=["hawala"])
    publish(world, "ng-nctc", [obj], "shared-exchange")
    sealed = json.loads(version_row(world.db, obj["id"]).sealed)
    assert set(sealed) == {"/description", "/external_references", "/name", "/labels"}
    (ghana,) = read_objects(world.db, "gh-ctfc", "shared-exchange", obj["id"])
    assert ghana == obj


def test_re_evaluation_seals_what_a_new_policy_protects(policy_world: World) -> None:
    world = policy_world
    obj = _secret_indicator(world)
    publish(world, "ng-nctc", [obj], "shared-exchange")
    world.apply_policy({**POLICY, "protect": {"indicator": ["name"]}})
    row = version_row(world.db, obj["id"])
    assert "name" not in json.loads(row.body)
    assert set(json.loads(row.sealed)) == {"/description", "/external_references", "/name"}
    with world.db.session() as s:  # no live row holds it (older copies: see docs/crypto.md)
        bodies = s.execute(
            sa.text(
                "SELECT CAST(body AS TEXT) FROM object_version UNION ALL "
                "SELECT CAST(body AS TEXT) FROM object_view"
            )
        ).scalars()
        assert not [b for b in bodies if obj["name"] in b]
    (ghana,) = read_objects(world.db, "gh-ctfc", "shared-exchange", obj["id"])
    assert ghana == obj


def test_re_evaluation_decides_on_the_decrypted_object(policy_world: World) -> None:
    """A rule on a sealed property (where_sighted_refs) and a field action on one (description)
    work at publication and again after a policy change."""
    world = policy_world
    me = world.scope("ng-nctc").identity_id
    ghana_identity = world.scope("gh-ctfc").identity_id
    ind = _secret_indicator(world)
    sighting = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": new_id("sighting"),
        "created": "2026-11-02T10:00:00.000Z",
        "modified": "2026-11-02T10:00:00.000Z",
        "created_by_ref": me,
        "sighting_of_ref": ind["id"],
        "where_sighted_refs": [ghana_identity],
        "description": SECRET_DESCRIPTION,
        "confidence": 80,
        "object_marking_refs": ind["object_marking_refs"],
    }
    publish(world, "ng-nctc", [ind, sighting], "shared-exchange")
    assert "where_sighted_refs" not in json.loads(version_row(world.db, sighting["id"]).body)
    where_rule = {
        "name": "sightings-where-ghana",
        "effect": "share",
        "match": {"types": ["sighting"], "where_sighted_types": ["identity"]},
        "recipients": {"tenants": ["interpol"]},
        "fields": {"description": "redact"},
    }
    world.apply_policy({**POLICY, "rules": [*POLICY["rules"], where_rule]})
    (interpol,) = read_objects(world.db, "interpol", "shared-exchange", sighting["id"])
    assert interpol["where_sighted_refs"] == [ghana_identity]
    assert "description" not in interpol
    (ghana,) = read_objects(world.db, "gh-ctfc", "shared-exchange", sighting["id"])
    assert ghana == sighting


def _tamper(db: Database, sql: str, **params: Any) -> None:
    with db.write_session() as s:
        s.execute(sa.text(sql), params)


def test_a_tampered_tlp_or_recipient_list_yields_no_plaintext(policy_world: World) -> None:
    world = policy_world
    obj = _secret_indicator(world)
    publish(world, "ng-nctc", [obj], "shared-exchange")
    _tamper(world.db, "UPDATE object_version SET tlp = 'clear' WHERE object_id = :i", i=obj["id"])
    for reader in ("ng-nctc", "gh-ctfc", "interpol"):
        (got,) = read_objects(world.db, reader, "shared-exchange", obj["id"])
        assert "description" not in got and "external_references" not in got
        assert got["pattern"] == obj["pattern"]
        assert SECRET_DESCRIPTION not in json.dumps(got)
    with world.db.session() as s:  # each withheld read is in the audit trail, without details
        audited = (
            s.execute(
                sa.text("SELECT CAST(details AS TEXT) FROM audit_entry WHERE action = :a"),
                {"a": "decrypt.failure"},
            )
            .scalars()
            .all()
        )
    assert len(audited) == 3 and not any(SECRET_DESCRIPTION in d for d in audited)


def test_a_forged_grant_yields_no_plaintext(policy_world: World) -> None:
    world = policy_world
    obj = _secret_indicator(world)
    publish(world, "ng-nctc", [obj], "shared-exchange")
    ke, gh = world.scope("ke-nctc").tenant_id, world.scope("gh-ctfc").tenant_id
    _tamper(
        world.db,
        "INSERT INTO access_grant (reader_id, collection_id, date_added, version_seq, object_id,"
        " type, spec_version, version, is_latest, owner_id, policy_seq, view_seq) "
        "SELECT :ke, collection_id, date_added + 1, version_seq, object_id, type, spec_version,"
        " version, is_latest, owner_id, policy_seq, view_seq FROM access_grant "
        "WHERE reader_id = :gh AND object_id = :i",
        ke=ke,
        gh=gh,
        i=obj["id"],
    )
    (got,) = read_objects(world.db, "ke-nctc", "shared-exchange", obj["id"])
    assert "description" not in got
    # Pointing interpol's grant at the version as published (no view) does not help either.
    interpol = world.scope("interpol").tenant_id
    _tamper(
        world.db,
        "UPDATE access_grant SET view_seq = NULL WHERE reader_id = :r AND object_id = :i",
        r=interpol,
        i=obj["id"],
    )
    (got,) = read_objects(world.db, "interpol", "shared-exchange", obj["id"])
    assert "external_references" not in got and "description" not in got


def test_a_ciphertext_moved_to_another_object_does_not_open(policy_world: World) -> None:
    world = policy_world
    a, b = _secret_indicator(world), _secret_indicator(world, description="harmless")
    publish(world, "ng-nctc", [a, b], "shared-exchange")
    src = version_row(world.db, a["id"])
    _tamper(
        world.db,
        "UPDATE object_version SET sealed = (SELECT sealed FROM object_version WHERE seq = :a), "
        "wrapped_key = :w WHERE object_id = :b",
        a=src.seq,
        w=bytes(src.wrapped_key),
        b=b["id"],
    )
    (got,) = read_objects(world.db, "gh-ctfc", "shared-exchange", b["id"])
    assert "description" not in got and got["id"] == b["id"]


def test_a_tampered_marking_is_withheld_at_re_evaluation(policy_world: World) -> None:
    world = policy_world
    obj = _secret_indicator(world, object_marking_refs=None)  # unmarked: the policy's AMBER
    del obj["object_marking_refs"]
    publish(world, "ng-nctc", [obj], "shared-exchange")
    assert read_objects(world.db, "ke-nctc", "shared-exchange", obj["id"]) == []
    from tests.factories import TLP

    row = version_row(world.db, obj["id"])
    body = json.loads(row.body) | {"object_marking_refs": [TLP["clear"]]}
    _tamper(
        world.db,
        "UPDATE object_version SET tlp = 'clear', body = :b WHERE seq = :s",
        b=orjson.dumps(body).decode(),
        s=row.seq,
    )
    world.apply_policy({**POLICY, "description": "a new version: everything re-evaluated"})
    assert read_objects(world.db, "ke-nctc", "shared-exchange", obj["id"]) == []
    assert read_objects(world.db, "gh-ctfc", "shared-exchange", obj["id"]) == []
    (mine,) = read_objects(world.db, "ng-nctc", "shared-exchange", obj["id"])
    assert "description" not in mine


def test_the_hubs_own_publications_stay_clear(world: World) -> None:
    with world.db.session() as s:
        rows = s.execute(
            sa.text("SELECT mac, sealed FROM object_version WHERE type = 'identity'")
        ).all()
    assert rows and all(r.mac is None and r.sealed is None for r in rows)


@pytest.fixture
def encryption_off(world: World) -> Iterator[World]:
    previous = registered(world.db)
    assert previous is not None
    register(world.db, FieldProtection(enabled=False, keys=lambda: previous.keys))
    try:
        yield world
    finally:
        register(world.db, previous)


def test_switched_off_for_measurement_fields_stay_in_clear(encryption_off: World) -> None:
    world = encryption_off
    world.apply_policy(POLICY)
    obj = _secret_indicator(world)
    publish(world, "ng-nctc", [obj], "shared-exchange")
    row = version_row(world.db, obj["id"])
    assert json.loads(row.body)["description"] == SECRET_DESCRIPTION
    assert row.sealed is None and row.mac is None
    (ghana,) = read_objects(world.db, "gh-ctfc", "shared-exchange", obj["id"])
    assert ghana == obj


def test_one_publication_shares_a_data_key_yet_each_version_opens_alone(
    policy_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions sealed together share a data key, at most VERSIONS_PER_DATA_KEY of them; every
    ciphertext still binds its own object, so each reads back as published and no other."""
    from hub.objects import sealing

    monkeypatch.setattr(sealing, "VERSIONS_PER_DATA_KEY", 2)
    world = policy_world
    objs = [_secret_indicator(world, description=f"case {i}") for i in range(5)]
    publish(world, "ng-nctc", objs, "shared-exchange")
    rows = [version_row(world.db, o["id"]) for o in objs]
    wrapped = [bytes(r.wrapped_key) for r in rows]
    assert wrapped[0] == wrapped[1] and wrapped[2] == wrapped[3]
    assert len(set(wrapped)) == 3  # 2 + 2 + 1
    for obj in objs:
        (got,) = read_objects(world.db, "gh-ctfc", "shared-exchange", obj["id"])
        assert got["description"] == obj["description"]
    a, b = rows[0], rows[1]  # same data key: b's ciphertext moved into a must still fail
    _tamper(
        world.db,
        "UPDATE object_version SET sealed = (SELECT sealed FROM object_version WHERE seq = :b) "
        "WHERE seq = :a",
        a=a.seq,
        b=b.seq,
    )
    (got,) = read_objects(world.db, "gh-ctfc", "shared-exchange", objs[0]["id"])
    assert "description" not in got and "case 1" not in json.dumps(got)

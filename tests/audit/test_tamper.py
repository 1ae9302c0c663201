"""Verification detects a modified, deleted, inserted or reordered entry, naming the first bad
sequence number; the database refuses the plain attempts outright."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from hub.audit import AuditLog, VerifyReport, create_checkpoint, verify_log
from hub.audit.canonical import protected_digest
from hub.store.db import Database
from tests.audit.conftest import SIGNER
from tests.audit.helpers import (
    delete_entry,
    fill,
    insert_row,
    rehash,
    renumber,
    rows,
    set_column,
    tampering,
)


def _verify(db: Database) -> VerifyReport:
    with db.session() as session:
        return verify_log(session, SIGNER.public)


def _bad(db: Database) -> tuple[int | None, str]:
    report = _verify(db)
    assert not report.ok
    return report.first_bad_seq, report.problems[0].kind


def test_an_intact_trail_verifies(db: Database) -> None:
    fill(db, 12)
    report = _verify(db)
    assert report.ok and report.first_bad_seq is None
    assert (report.start_seq, report.head_seq, report.entries_checked) == (1, 12, 12)


def test_an_empty_trail_verifies(db: Database) -> None:
    assert _verify(db).ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_tenant", "someone-else"),
        ("actor_tenant_id", 999),
        ("objects", '[["indicator--forged", "2026-01-01T00:00:00.000000Z"]]'),
        ("time", 1),
        ("action", "publish"),
        ("nonce", "11" * 16),
        ("prev_hash", "22" * 32),
        ("hash", "33" * 32),
    ],
)
def test_a_modified_entry_is_named(db: Database, column: str, value: object) -> None:
    fill(db, 10)
    set_column(db, 6, **{column: value})
    assert _bad(db) == (6, "modified")


def test_modified_protected_values_are_named(db: Database) -> None:
    from hub.audit import AuditEvent
    from tests.audit.helpers import BOB, COLLECTION

    fill(db, 3)
    AuditLog.record(db, AuditEvent.decrypt_failure(
        BOB, collection_id=COLLECTION, object_id="indicator--1", version=1, reason="bad-tag",
        field_path="x.secret",
    ))  # fmt: skip
    fill(db, 3, start=3)
    set_column(db, 4, protected='{"field": "x.other"}')
    assert _bad(db) == (4, "modified")


def test_a_deleted_entry_is_named(db: Database) -> None:
    fill(db, 10)
    delete_entry(db, 4)
    assert _bad(db) == (4, "missing")


def test_deleting_the_first_entries_is_detected(db: Database) -> None:
    fill(db, 5)
    delete_entry(db, 1)
    delete_entry(db, 2)
    assert _bad(db) == (1, "missing")


def test_deleting_and_renumbering_to_hide_the_gap_is_detected(db: Database) -> None:
    fill(db, 8)
    with tampering(db) as conn:
        conn.execute(sa.text("DELETE FROM audit_entry WHERE seq = 5"))
        renumber(conn, {6: 5, 7: 6, 8: 7})
    assert _bad(db) == (5, "modified")


def test_an_inserted_forged_entry_is_named(db: Database) -> None:
    fill(db, 8)
    stored = rows(db)
    forged = {**stored[3], "seq": 5, "actor_tenant": "forger", "nonce": secrets.token_hex(16)}
    forged = rehash(forged, stored[3]["hash"])
    with tampering(db) as conn:
        renumber(conn, {s: s + 1 for s in range(5, 9)})
        insert_row(conn, forged)
    assert _bad(db) == (5, "inserted")


def test_an_inserted_copy_is_named(db: Database) -> None:
    fill(db, 8)
    stored = rows(db)
    with tampering(db) as conn:
        renumber(conn, {s: s + 1 for s in range(5, 9)})
        insert_row(conn, {**stored[3], "seq": 5})  # a replay of entry 4
    assert _bad(db) == (5, "inserted")


def test_a_naively_inserted_entry_is_named(db: Database) -> None:
    fill(db, 8)
    stored = rows(db)
    with tampering(db) as conn:
        renumber(conn, {s: s + 1 for s in range(5, 9)})
        insert_row(conn, {**stored[2], "seq": 5, "prev_hash": stored[3]["hash"], "hash": "44" * 32})
    assert _bad(db) == (5, "modified")


def test_reordered_entries_are_named(db: Database) -> None:
    fill(db, 8)
    with tampering(db) as conn:
        renumber(conn, {3: 4, 4: 3})
    assert _bad(db) == (3, "modified")


def test_an_entry_rewritten_and_rehashed_alone_is_named(db: Database) -> None:
    fill(db, 8)
    stored = rows(db)
    forged = rehash({**stored[4], "actor_tenant": "forger"}, stored[3]["hash"])
    set_column(db, 5, actor_tenant="forger", hash=forged["hash"])
    assert _bad(db) == (5, "rewritten")


def test_the_database_refuses_updates_and_stray_deletes(db: Database) -> None:
    fill(db, 3)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entry SET actor_tenant = 'x' WHERE seq = 2"))
    if db.dialect == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="pruning"), db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_entry WHERE seq = 2"))
    assert _verify(db).ok


def test_a_consistent_rewrite_is_caught_by_the_next_checkpoint(db: Database) -> None:
    fill(db, 5)
    create_checkpoint(db, SIGNER)
    fill(db, 10, start=5)
    create_checkpoint(db, SIGNER)
    fill(db, 3, start=15)
    stored = rows(db)
    prev = stored[6]["hash"]  # rewrite entry 8 and re-chain everything after it
    with tampering(db) as conn:
        conn.execute(sa.text("DELETE FROM audit_entry WHERE seq >= 8"))
        for row in stored[7:]:
            row = rehash({**row, "actor_tenant": "forger"} if row["seq"] == 8 else row, prev)
            insert_row(conn, row)
            prev = row["hash"]
    report = _verify(db)
    assert report.first_bad_seq == 6  # after the last checkpoint (5) that still matches
    assert report.problems[0].kind == "checkpoint" and "entry 15" in report.problems[0].message


def test_truncating_the_end_is_caught_by_a_checkpoint(db: Database) -> None:
    fill(db, 6)
    create_checkpoint(db, SIGNER)
    with tampering(db) as conn:
        conn.execute(sa.text("DELETE FROM audit_entry WHERE seq >= 5"))
    assert _bad(db) == (5, "checkpoint")


def test_protected_digest_helper_matches_the_stored_one(db: Database) -> None:
    from hub.audit import AuditEvent
    from tests.audit.helpers import BOB

    AuditLog.record(db, AuditEvent.decrypt_failure(
        BOB, collection_id=None, object_id="x--1", version=1, reason="r", field_path="f",
    ))  # fmt: skip
    (row,) = rows(db)
    assert protected_digest(row["nonce"], row["protected"]) == row["protected_digest"]

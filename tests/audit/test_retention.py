"""Retention: pruning keeps the chain verifiable from a signed checkpoint at the cut."""

from __future__ import annotations

import pytest

from hub.audit import AuditError, create_checkpoint, prune, verify_log
from hub.store.db import Database
from tests.audit.conftest import SIGNER
from tests.audit.helpers import T0, fill, rows, seqs, set_column

DAY = 86_400_000_000


def _report(db: Database):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return verify_log(session, SIGNER.public)


def test_pruning_cuts_at_the_retention_and_verification_starts_there(db: Database) -> None:
    fill(db, 5, now=T0)  # day 0
    create_checkpoint(db, SIGNER, now=T0 + DAY)
    fill(db, 5, start=5, now=T0 + 10 * DAY)  # day 10
    result = prune(db, SIGNER, retention_days=7, now=T0 + 12 * DAY)
    assert result.removed == 5 and result.checkpoint is not None
    assert result.checkpoint.seq == 6 and result.checkpoint.kind == "prune"
    assert seqs(db) == [6, 7, 8, 9, 10, 11]
    assert rows(db)[-1]["action"] == "audit.prune"
    assert rows(db)[-1]["details"] == {"retention_days": 7, "cut": 6, "from": 1}
    report = _report(db)
    assert report.ok and report.start_seq == 6 and report.anchor == result.checkpoint
    # Appending continues the same chain; pruning again finds nothing to do.
    fill(db, 2, start=10)
    assert _report(db).ok and seqs(db)[-1] == 13
    assert prune(db, SIGNER, retention_days=7, now=T0 + 12 * DAY).removed == 0


def test_pruning_everything_keeps_the_prune_entry_as_the_anchor(db: Database) -> None:
    fill(db, 4, now=T0)
    result = prune(db, SIGNER, retention_days=1, now=T0 + 30 * DAY)
    assert result.removed == 4 and seqs(db) == [5]
    assert _report(db).ok


def test_tampering_after_the_cut_is_still_named(db: Database) -> None:
    fill(db, 5, now=T0)
    fill(db, 5, start=5, now=T0 + 10 * DAY)
    prune(db, SIGNER, retention_days=7, now=T0 + 12 * DAY)
    set_column(db, 8, actor_tenant="forger")
    report = _report(db)
    assert report.first_bad_seq == 8


def test_a_forged_anchor_does_not_hide_deleted_history(db: Database) -> None:
    from hub.audit import Checkpoint, CheckpointSigner
    from hub.audit.repository import insert_checkpoint
    from tests.audit.helpers import tampering

    fill(db, 6, now=T0)
    cut_hash = rows(db)[3]["hash"]
    forged = Checkpoint.sign(CheckpointSigner.from_secret(b"\x09" * 32), 4, cut_hash, T0, "prune")
    with db.write_session() as session:
        insert_checkpoint(session, forged)
    with tampering(db) as conn:
        conn.exec_driver_sql("DELETE FROM audit_entry WHERE seq < 4")
    report = _report(db)
    assert report.first_bad_seq == 1  # the forged anchor is not trusted
    assert {p.kind for p in report.problems} == {"missing", "signature"}


def test_pruning_refuses_a_tampered_trail(db: Database) -> None:
    fill(db, 5, now=T0)
    fill(db, 5, start=5, now=T0 + 10 * DAY)
    set_column(db, 2, actor_tenant="forger")
    with pytest.raises(AuditError, match="verification at 2"):
        prune(db, SIGNER, retention_days=7, now=T0 + 12 * DAY)
    assert len(seqs(db)) == 10  # the evidence is kept

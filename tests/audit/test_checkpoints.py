"""Signed checkpoints: they verify, detect rewriting, and let a tenant prove consistency."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.audit import AuditError, Checkpoint, CheckpointSigner, create_checkpoint, verify_log
from hub.audit.checkpoints import list_checkpoints
from hub.audit.proofs import Proof, build_proof, check_proof, entry_leaf
from hub.audit.queries import OperatorView, entries
from hub.audit.signing import PublicKey
from hub.crypto.keyring import LocalKeyring
from hub.store.db import Database
from tests.audit.conftest import SIGNER
from tests.audit.helpers import fill, rehash, rows, set_column, tampering


def test_checkpoint_signs_the_head_and_verifies(db: Database) -> None:
    assert create_checkpoint(db, SIGNER) is None  # nothing to sign yet
    fill(db, 4)
    cp = create_checkpoint(db, SIGNER, now=123)
    assert cp is not None and (cp.seq, cp.hash) == (4, rows(db)[-1]["hash"])
    assert cp.verify(SIGNER.public) and cp.time == 123
    assert create_checkpoint(db, SIGNER) == cp  # idempotent while the head stands still
    with db.session() as session:
        assert list_checkpoints(session) == [cp]
        report = verify_log(session, SIGNER.public)
    assert report.ok and report.checkpoints_valid == 1


def test_checkpoint_json_round_trip_and_pem(db: Database) -> None:
    fill(db, 2)
    cp = create_checkpoint(db, SIGNER)
    assert cp is not None
    assert Checkpoint.from_dict(cp.as_dict()) == cp
    assert Checkpoint.from_dict(cp.as_dict()).verify(
        PublicKey.from_pem(SIGNER.public.pem().encode())
    )


def test_a_forged_or_foreign_signature_is_reported(db: Database) -> None:
    fill(db, 3)
    create_checkpoint(db, SIGNER)
    other = CheckpointSigner.from_secret(b"\x01" * 32)
    fill(db, 2, start=3)
    create_checkpoint(db, other)  # signed by a key the verifier does not trust
    with tampering(db) as conn:
        conn.execute(sa.text("UPDATE audit_checkpoint SET signature = :s WHERE seq = 3"),
                     {"s": "00" * 64})  # fmt: skip
    with db.session() as session:
        report = verify_log(session, SIGNER.public)
    assert not report.ok and report.first_bad_seq is None  # the chain itself is fine
    assert sorted((p.seq, p.kind) for p in report.problems) == [(3, "signature"), (5, "signature")]


def test_the_hub_refuses_to_sign_a_broken_chain(db: Database) -> None:
    fill(db, 3)
    create_checkpoint(db, SIGNER)
    fill(db, 3, start=3)
    set_column(db, 5, actor_tenant="forger")
    with pytest.raises(AuditError, match="broken at 5"):
        create_checkpoint(db, SIGNER)


def test_checkpoints_a_tenant_kept_expose_a_rewrite_the_hub_hid(db: Database) -> None:
    fill(db, 6)
    kept = create_checkpoint(db, SIGNER)
    assert kept is not None
    # The attacker rewrites entry 3, re-chains the rest and deletes the hub's checkpoints.
    stored = rows(db)
    prev = stored[1]["hash"]
    with tampering(db) as conn:
        conn.execute(sa.text("DELETE FROM audit_entry WHERE seq >= 3"))
        conn.execute(sa.text("DELETE FROM audit_checkpoint"))
        for row in stored[2:]:
            row = rehash({**row, "details": {"forged": True}} if row["seq"] == 3 else row, prev)
            from tests.audit.helpers import insert_row

            insert_row(conn, row)
            prev = row["hash"]
    with db.session() as session:
        assert verify_log(session, SIGNER.public).ok  # the database alone looks fine
        report = verify_log(session, SIGNER.public, [kept])
    assert report.first_bad_seq == 1 and report.problems[0].kind == "checkpoint"


def test_a_tenant_proves_consistency_between_two_checkpoints(db: Database) -> None:
    fill(db, 3)
    old = create_checkpoint(db, SIGNER)
    fill(db, 7, start=3)
    new = create_checkpoint(db, SIGNER)
    assert old is not None and new is not None
    with db.session() as session:
        proof = build_proof(session, old.seq, new.seq)
        exported = entries(session, OperatorView(), limit=100).items
    assert check_proof(proof, old, new, SIGNER.public) is None
    # Entries the tenant received in the export are in the chain, unchanged.
    for item in exported[old.seq : new.seq]:
        assert entry_leaf(item) == proof.leaves[item["seq"] - old.seq - 1]
    forged = Proof(proof.from_seq, proof.from_hash, proof.to_seq, proof.to_hash,
                   [*proof.leaves[:-1], "00" * 32])  # fmt: skip
    assert check_proof(forged, old, new, SIGNER.public) is not None
    assert check_proof(proof, old, new, CheckpointSigner.from_secret(b"\x02" * 32).public)


def test_signer_derives_from_the_keyring(tmp_path: object) -> None:
    from pathlib import Path

    keyring = LocalKeyring.create_or_open(Path(str(tmp_path)))
    a = CheckpointSigner.from_keyring(keyring)
    b = CheckpointSigner.from_keyring(LocalKeyring.create_or_open(Path(str(tmp_path))))
    assert a.public.key_id == b.public.key_id  # every process on the keyring: one key
    assert a.public.verify(a.sign(b"m"), b"m") and not a.public.verify(a.sign(b"m"), b"n")

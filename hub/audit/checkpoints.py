"""Signed checkpoints of the chain's head, and retention pruning behind a checkpoint.

The hub never signs a head it has not verified: before signing, it walks the chain from the
newest checkpoint it can verify up to the head. Pruning verifies the whole trail first (so it
never deletes the evidence of tampering), records itself as an entry, signs a ``prune``
checkpoint at the cut (the first entry kept) and deletes the entries before it, in one
transaction; verification then starts from that checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hub.audit import repository as repo
from hub.audit.errors import AuditError
from hub.audit.events import Action, Actor, AuditEvent
from hub.audit.log import AuditLog, lock_chain
from hub.audit.signing import Checkpoint, PublicKey, Signer
from hub.audit.verify import verify_log, walk
from hub.store.db import Database
from hub.timeutil import now_micros

__all__ = ["PruneResult", "create_checkpoint", "list_checkpoints", "newest_valid", "prune"]

_DAY = 86_400_000_000


@dataclass(frozen=True, slots=True)
class PruneResult:
    """How many entries were removed, and the checkpoint verification now starts from."""

    removed: int
    checkpoint: Checkpoint | None


def newest_valid(
    session: Session, public: PublicKey, *, at_most: int | None = None
) -> Checkpoint | None:
    """The checkpoint with the greatest `seq` (up to `at_most`) that `public` verifies."""
    for row in repo.checkpoints_desc(session, at_most=at_most):
        cp = Checkpoint.from_row(row)
        if cp.verify(public):
            return cp
    return None


def list_checkpoints(
    session: Session, *, after: int | None = None, limit: int = 1000
) -> list[Checkpoint]:
    """Checkpoints in `seq` order (what tenants download)."""
    return [Checkpoint.from_row(r) for r in repo.checkpoints(session, after=after, limit=limit)]


def create_checkpoint(
    db: Database, signer: Signer, *, kind: str = "manual", now: int | None = None
) -> Checkpoint | None:
    """Sign the current head (None if the trail is empty); idempotent for an unchanged head.

    Raises :class:`AuditError` — and signs nothing — if the chain since the newest valid
    checkpoint does not verify.
    """
    with db.session() as session:
        head = repo.head(session)
        if head is None:
            return None
        existing = repo.checkpoint_at(session, head[0])
        if existing is not None:
            return Checkpoint.from_row(existing)
        w = walk(session, newest_valid(session, signer.public, at_most=head[0]), stop=head[0])
        if w.problem is not None:
            raise AuditError(
                f"refusing to sign a checkpoint: the trail is broken at {w.problem.seq} "
                f"({w.problem.message}); run `fusion-hub audit verify`"
            )
        if w.last_seq != head[0] or w.last_hash != head[1]:
            raise AuditError("refusing to sign a checkpoint: the head moved during verification")
    cp = Checkpoint.sign(signer, head[0], head[1], now if now is not None else now_micros(), kind)
    with db.write_session() as session:
        if not repo.insert_checkpoint(session, cp):
            row = repo.checkpoint_at(session, head[0])
            assert row is not None
            return Checkpoint.from_row(row)
    return cp


def prune(
    db: Database, signer: Signer, *, retention_days: int, now: int | None = None
) -> PruneResult:
    """Remove the entries older than `retention_days`, keeping the chain verifiable.

    Refuses (:class:`AuditError`) if the trail does not verify. Appends stay blocked only for the
    short final step (the chain since the full verification, then the cut).
    """
    if retention_days < 1:
        raise AuditError("retention must be at least one day")
    now = now if now is not None else now_micros()
    with db.session() as session:
        report = verify_log(session, signer.public)
    if not report.ok:
        raise AuditError(
            f"refusing to prune: the trail fails verification at {report.first_bad_seq}; "
            "run `fusion-hub audit verify`"
        )
    with db.write_session() as session:
        lock_chain(session)
        head = repo.head(session)
        if head is None:
            return PruneResult(0, None)
        verified = Checkpoint(report.head_seq, report.head_hash, 0, "", "", "")
        tail = walk(session, verified if report.head_seq else None)
        if tail.problem is not None:
            raise AuditError(f"refusing to prune: the trail is broken at {tail.problem.seq}")
        cut = repo.first_seq_from(session, now - retention_days * _DAY) or head[0] + 1
        if cut <= report.start_seq:
            return PruneResult(0, None)
        event = AuditEvent(
            Action.AUDIT_PRUNE,
            Actor.system("retention"),
            details={"retention_days": retention_days, "cut": cut, "from": report.start_seq},
        )
        record = AuditLog.record(session, event, now=now)
        cut_hash = record.hash if cut == record.seq else repo.hash_at(session, cut)
        assert cut_hash is not None
        cp = Checkpoint.sign(signer, cut, cut_hash, now, "prune")
        repo.insert_checkpoint(session, cp)
        removed = repo.delete_before(session, cut)
    return PruneResult(removed, cp)

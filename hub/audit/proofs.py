"""Consistency proofs: a tenant proves the trail was not rewritten between two checkpoints.

A tenant keeps checkpoints (signed by the hub's key, which it also keeps). Later it asks for a
proof between an old checkpoint and a newer one: the leaf digest of every entry in between. It
checks both signatures and recomputes ``hash(n) = SHA-256(hash(n-1) || leaf(n))`` from the old
checkpoint's hash to the new one's. The leaves reveal nothing about other tenants' entries (each
entry carries a random nonce); for its own entries the tenant can recompute the leaf from the
exported entry (:func:`entry_leaf`) and so prove they are in the chain, unchanged.

If the hub ever rewrote history, it could not produce such a proof for a checkpoint the tenant
kept — short of signing a second, conflicting checkpoint for the same `seq`, which is itself
proof of misconduct.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hub.audit import repository as repo
from hub.audit.canonical import chain_hash, entry_fields, leaf_digest
from hub.audit.errors import AuditQueryError
from hub.audit.signing import Checkpoint, PublicKey
from hub.errors import NotFound
from hub.timeutil import parse_taxii_timestamp

__all__ = ["MAX_PROOF", "Proof", "build_proof", "check_proof", "entry_leaf"]

MAX_PROOF = 100_000


@dataclass(frozen=True, slots=True)
class Proof:
    """Leaf digests (hex) of entries ``from_seq+1 … to_seq``, with the two end hashes."""

    from_seq: int
    from_hash: str
    to_seq: int
    to_hash: str
    leaves: Sequence[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "from_seq": self.from_seq,
            "from_hash": self.from_hash,
            "to_seq": self.to_seq,
            "to_hash": self.to_hash,
            "leaves": list(self.leaves),
        }


def build_proof(session: Session, from_seq: int, to_seq: int) -> Proof:
    """The proof between entries `from_seq` and `to_seq` (both must still be stored)."""
    if not 0 < from_seq <= to_seq or to_seq - from_seq > MAX_PROOF:
        raise AuditQueryError(f"need 0 < from_seq <= to_seq and at most {MAX_PROOF} entries")
    from_hash = repo.hash_at(session, from_seq)
    to_hash = repo.hash_at(session, to_seq)
    if from_hash is None or to_hash is None:
        raise NotFound("No such entry (pruned, or not yet written)")
    leaves = [
        leaf_digest(entry_fields(row)).hex()
        for chunk in repo.iter_entries(session, from_seq + 1, to_seq)
        for row in chunk
    ]
    return Proof(from_seq, from_hash, to_seq, to_hash, leaves)


def check_proof(
    proof: Proof, older: Checkpoint, newer: Checkpoint, public: PublicKey
) -> str | None:
    """None if `proof` links two checkpoints signed by `public`; else what is wrong."""
    for cp in (older, newer):
        if not cp.verify(public):
            return f"the checkpoint at {cp.seq} is not signed by key {public.key_id}"
    if (proof.from_seq, proof.from_hash) != (older.seq, older.hash):
        return "the proof does not start at the older checkpoint"
    if (proof.to_seq, proof.to_hash) != (newer.seq, newer.hash):
        return "the proof does not end at the newer checkpoint"
    if len(proof.leaves) != proof.to_seq - proof.from_seq:
        return "the proof has the wrong number of leaves"
    current = proof.from_hash
    for leaf in proof.leaves:
        try:
            digest = bytes.fromhex(leaf)
        except ValueError:
            return "a leaf is not hex"
        if len(digest) != 32:
            return "a leaf is not a SHA-256 digest"
        current = chain_hash(current, digest)
    if current != proof.to_hash:
        return "the leaves do not chain from the older checkpoint to the newer one"
    return None


def entry_leaf(view: Mapping[str, Any]) -> str:
    """The leaf digest (hex) of an exported entry (:func:`hub.audit.queries.full_view`)."""
    fields = {
        "seq": view["seq"],
        "time": parse_taxii_timestamp(view["time"]),
        "action": view["action"],
        "outcome": view["outcome"],
        "actor_tenant_id": view["tenant_id"],
        "actor_tenant": view["tenant"],
        "actor_client": view["client"],
        "subject_tenant_id": view["subject_tenant_id"],
        "subject_tenant": view["subject_tenant"],
        "collection_id": view["collection"],
        "objects": view["objects"],
        "request_id": view["request_id"],
        "policy_hash": view["policy_hash"],
        "details": view["details"],
        "protected_digest": view["protected_digest"],
        "nonce": view["nonce"],
    }
    return leaf_digest(fields).hex()

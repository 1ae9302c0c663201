"""Verifying the trail: the chain, the checkpoints' signatures, and the chain against them.

The walk starts at the newest validly signed ``prune`` checkpoint (entries before it were removed
by retention) or at entry 1, and follows `seq` order. The first bad sequence number it names is
the first entry that cannot be trusted:

* ``missing`` — entry n is absent (deleted), though a later one exists;
* ``inserted`` — entry n is a copy of an earlier entry (n is named), or its stored predecessor
  hash is the hash of entry j < n-1: entries j+1 … n-1 were inserted, and j+1 is named;
* ``modified`` — entry n does not hash to its stored hash given its predecessor (changed, moved
  to another `seq`, or swapped with another entry), or its protected values were changed;
* ``rewritten`` — entry n is consistent with itself but not with entry n-1: n-1 was changed and
  re-hashed (or n replaced), and n-1 is named;
* ``checkpoint`` — the chain is consistent but differs from a signed checkpoint (the log was
  rewritten and re-hashed after the previous matching checkpoint P): P+1 is named; a checkpoint
  beyond the last entry means the log was truncated.

Checkpoint signatures are checked with the hub's public key (or one the tenant pinned); a bad
signature is reported, and that checkpoint is not trusted as an anchor.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hub.audit import repository as repo
from hub.audit.canonical import GENESIS, chain_hash, entry_fields, leaf_digest, protected_digest
from hub.audit.signing import Checkpoint, PublicKey

__all__ = ["Problem", "VerifyReport", "verify_log", "walk"]

_RECENT = 4096


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: the sequence number it names, its kind, and an explanation."""

    seq: int
    kind: str
    message: str


@dataclass(slots=True)
class Walk:
    """The outcome of following the chain."""

    start: int
    last_seq: int
    last_hash: str
    count: int = 0
    problem: Problem | None = None
    hashes: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True)
class VerifyReport:
    """What `fusion-hub audit verify` prints."""

    ok: bool
    first_bad_seq: int | None
    problems: list[Problem]
    entries_checked: int
    start_seq: int
    head_seq: int
    head_hash: str
    checkpoints_valid: int
    anchor: Checkpoint | None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "ok": self.ok,
            "first_bad_seq": self.first_bad_seq,
            "problems": [
                {"seq": p.seq, "kind": p.kind, "message": p.message} for p in self.problems
            ],
            "entries_checked": self.entries_checked,
            "start_seq": self.start_seq,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "checkpoints_valid": self.checkpoints_valid,
            "anchor_seq": self.anchor.seq if self.anchor else None,
        }


def _classify(
    row: Any, expected_prev: str | None, floor: int, recent: OrderedDict[str, int]
) -> Problem | None:
    """Why entry `row` does not follow `expected_prev` (None: the anchor entry), or None."""
    n = row.seq
    fields = entry_fields(row)
    has_protected = row.protected is not None or row.protected_digest is not None
    if has_protected and protected_digest(row.nonce, row.protected) != row.protected_digest:
        return Problem(n, "modified", f"entry {n}'s protected values were changed")
    leaf = leaf_digest(fields)
    prev = row.prev_hash if expected_prev is None else expected_prev
    if chain_hash(prev, leaf) == row.hash:
        if row.prev_hash != prev:
            return Problem(n, "modified", f"entry {n}'s stored prev_hash was changed")
        return None
    copied = recent.get(row.hash)
    if copied is not None:
        return Problem(n, "inserted", f"entry {n} is a copy of entry {copied}")
    if row.prev_hash != prev:
        j = recent.get(row.prev_hash)
        if j is not None and j < n - 1:
            return Problem(
                j + 1, "inserted", f"entries {j + 1}..{n - 1} were inserted before entry {n}"
            )
        if n - 1 > floor and chain_hash(row.prev_hash, leaf) == row.hash:
            return Problem(
                n - 1,
                "rewritten",
                f"entry {n} does not follow entry {n - 1}: {n - 1} was changed and re-hashed, "
                f"or {n} replaced",
            )
    return Problem(n, "modified", f"entry {n} does not match its hash (changed, moved or swapped)")


def walk(
    session: Session,
    anchor: Checkpoint | None,
    *,
    stop: int | None = None,
    want: Iterable[int] = (),
) -> Walk:
    """Follow the chain from `anchor` (or entry 1) to `stop` (or the head).

    Records the hashes of the entries in `want` (checkpoint positions) along the way.
    """
    wanted = set(want)
    start = anchor.seq if anchor else 1
    result = Walk(start, start - 1, GENESIS if anchor is None else "")
    expected_prev: str | None = GENESIS if anchor is None else None
    recent: OrderedDict[str, int] = OrderedDict()
    floor = anchor.seq if anchor else 0
    for chunk in repo.iter_entries(session, start, stop):
        for row in chunk:
            expected = result.last_seq + 1
            if row.seq != expected:
                last = row.seq - 1
                result.problem = Problem(
                    expected,
                    "missing",
                    f"entries {expected}..{last} are missing"
                    if last > expected
                    else f"entry {expected} is missing",
                )
                return result
            problem = _classify(row, expected_prev, floor, recent)
            at_anchor = anchor is not None and row.seq == anchor.seq
            if problem is None and at_anchor and anchor is not None and row.hash != anchor.hash:
                problem = Problem(
                    row.seq, "checkpoint", f"entry {row.seq} differs from the signed anchor"
                )
            if problem is not None:
                result.problem = problem
                return result
            recent[row.hash] = row.seq
            if len(recent) > _RECENT:
                recent.popitem(last=False)
            if row.seq in wanted:
                result.hashes[row.seq] = row.hash
            expected_prev = row.hash
            result.last_seq, result.last_hash = row.seq, row.hash
            result.count += 1
    if anchor is not None and result.count == 0:
        result.problem = Problem(anchor.seq, "missing", f"entry {anchor.seq} is missing")
    return result


def verify_log(
    session: Session, public: PublicKey, extra: Iterable[Checkpoint] = ()
) -> VerifyReport:
    """Verify every checkpoint signature, then the chain from its anchor, then the chain
    against the checkpoints (the hub's, plus `extra` ones a tenant kept).

    Run it in one transaction (a snapshot) so that concurrent appends and pruning do not
    disturb it.
    """
    problems: list[Problem] = []
    seen: set[tuple[int, str, str]] = set()
    valid: list[Checkpoint] = []
    for cp in [*(Checkpoint.from_row(r) for r in repo.checkpoints(session)), *extra]:
        key = (cp.seq, cp.kind, cp.signature)
        if key in seen:
            continue
        seen.add(key)
        if cp.verify(public):
            valid.append(cp)
        else:
            problems.append(
                Problem(
                    cp.seq,
                    "signature",
                    f"the {cp.kind} checkpoint at {cp.seq} is not signed by key {public.key_id}",
                )
            )
    prunes = [cp for cp in valid if cp.kind == "prune"]
    anchor = max(prunes, key=lambda cp: cp.seq) if prunes else None
    start = anchor.seq if anchor else 1
    w = walk(session, anchor, want=[cp.seq for cp in valid if cp.seq >= start])
    bad = w.problem.seq if w.problem else None
    chain_problems = [w.problem] if w.problem else []
    matched = start - 1 if anchor is None else start
    for cp in sorted((c for c in valid if c.seq >= start), key=lambda c: c.seq):
        if bad is not None and cp.seq >= bad:
            break
        if cp.seq > w.last_seq:
            chain_problems.append(
                Problem(
                    w.last_seq + 1,
                    "checkpoint",
                    f"the log ends at {w.last_seq} but a "
                    f"checkpoint covers {cp.seq}: entries were removed from its end",
                )
            )
            break
        if w.hashes.get(cp.seq) != cp.hash:
            chain_problems.append(
                Problem(
                    matched + 1,
                    "checkpoint",
                    f"entry {cp.seq} differs from its signed "
                    f"checkpoint: the log was rewritten after entry {matched}",
                )
            )
            break
        matched = cp.seq
    first_bad = min((p.seq for p in chain_problems), default=None)
    problems = sorted(chain_problems, key=lambda p: p.seq) + problems
    return VerifyReport(
        ok=not problems,
        first_bad_seq=first_bad,
        problems=problems,
        entries_checked=w.count,
        start_seq=start,
        head_seq=w.last_seq,
        head_hash=w.last_hash,
        checkpoints_valid=len(valid),
        anchor=anchor,
    )

"""Every query on the job table: enqueue, claim under a lease, record progress, finish.

Claiming is safe with any number of runners in any number of processes:

- PostgreSQL: the candidate row is locked with ``SELECT … FOR UPDATE SKIP LOCKED``, so two
  runners never wait on (or take) the same row, then updated to ``running``.
- SQLite: runners claim in a write transaction (``BEGIN IMMEDIATE``: one writer at a time) with
  an atomic ``UPDATE … WHERE state = 'queued' (or the lease expired)``; a runner that loses the
  race updates no row and moves on.

Every later write of a runner is fenced by its :class:`Lease` (`locked_by` and the attempt
number): once another runner has reclaimed an expired job, the first runner's progress and
outcome update no row, and it gives the job up (:class:`LeaseLost` in :mod:`hub.jobs.runner`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.models import Job
from hub.types import TenantScope

__all__ = [
    "Lease",
    "claim",
    "claim_next",
    "enqueue",
    "finish",
    "get_job",
    "has_claimable",
    "list_jobs",
    "release",
    "renew",
    "retry_or_fail",
    "save_progress",
    "tenant_job",
]

J = Job.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Lease:
    """A runner's claim on a job: valid while `locked_by` and `attempts` are still these."""

    job_id: str
    runner: str
    attempt: int

    def fence(self) -> list[sa.ColumnElement[bool]]:
        """The conditions under which this lease still holds the job."""
        return [
            J.c.id == self.job_id,
            J.c.state == "running",
            J.c.locked_by == self.runner,
            J.c.attempts == self.attempt,
        ]


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    now: int,
    tenant_id: int | None = None,
    created_by: str = "",
    max_attempts: int = 5,
) -> Job:
    """Add a queued job (committed with the caller's transaction)."""
    job = Job(
        id=str(uuid.uuid4()),
        kind=kind,
        tenant_id=tenant_id,
        created_by=created_by[:200],
        payload=payload,
        state="queued",
        max_attempts=max_attempts,
        run_after=now,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: str) -> Job | None:
    """The job `job_id`, whoever's it is (runners and the operator's CLI)."""
    return session.get(Job, job_id)


def tenant_job(session: Session, scope: TenantScope, job_id: str) -> Job | None:
    """The job `job_id` if it is `scope`'s tenant's; None alike if absent or another's."""
    job = session.get(Job, job_id)
    return job if job is not None and job.tenant_id == scope.tenant_id else None


def list_jobs(
    session: Session,
    *,
    tenant_id: int | None = None,
    states: Sequence[str] = (),
    kind: str | None = None,
    limit: int = 100,
) -> Sequence[Job]:
    """Jobs, newest first."""
    q = sa.select(Job).order_by(J.c.created_at.desc(), J.c.id).limit(limit)
    if tenant_id is not None:
        q = q.where(J.c.tenant_id == tenant_id)
    if states:
        q = q.where(J.c.state.in_(list(states)))
    if kind is not None:
        q = q.where(J.c.kind == kind)
    return session.scalars(q).all()


def _claimable(now: int) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(J.c.state == "queued", J.c.run_after <= now),
        sa.and_(J.c.state == "running", J.c.locked_until < now),
    )


def has_claimable(session: Session, now: int, kinds: Sequence[str] | None = None) -> bool:
    """Is any job ready to claim? (A read: runners poll with it before taking a write lock.)"""
    q = sa.select(J.c.id).where(_claimable(now)).limit(1)
    if kinds is not None:
        q = q.where(J.c.kind.in_(list(kinds)))
    return session.execute(q).first() is not None


def claim(session: Session, job_id: str, *, runner: str, now: int, until: int) -> Lease | None:
    """Claim `job_id` if it is claimable: one atomic conditional UPDATE; None if not."""
    row = session.execute(
        sa.select(J.c.attempts, J.c.max_attempts, J.c.state).where(
            J.c.id == job_id, _claimable(now)
        )
    ).first()
    if row is None:
        return None
    attempts, max_attempts, state = int(row[0]), int(row[1]), str(row[2])
    if state == "running" and attempts >= max_attempts:
        # Its lease ran out `max_attempts` times: the work keeps killing its runner.
        session.execute(
            sa.update(J)
            .where(J.c.id == job_id, _claimable(now))
            .values(
                state="failed",
                locked_by=None,
                locked_until=None,
                error=f"abandoned: its runner stopped answering {attempts} times",
                finished_at=now,
                updated_at=now,
            )
        )
        return None
    result = session.execute(
        sa.update(J)
        .where(J.c.id == job_id, J.c.attempts == attempts, _claimable(now))
        .values(
            state="running",
            locked_by=runner,
            locked_until=until,
            heartbeat_at=now,
            attempts=attempts + 1,
            started_at=sa.func.coalesce(J.c.started_at, now),
            updated_at=now,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return Lease(job_id, runner, attempts + 1)


def claim_next(
    session: Session,
    *,
    runner: str,
    now: int,
    until: int,
    kinds: Sequence[str] | None = None,
) -> Lease | None:
    """Claim the oldest claimable job (of `kinds`), or None if there is none."""
    skip_locked = session.get_bind().dialect.name == "postgresql"
    for _ in range(10):  # a few abandoned jobs may be failed on the way
        q = sa.select(J.c.id).where(_claimable(now)).order_by(J.c.run_after, J.c.created_at)
        if kinds is not None:
            q = q.where(J.c.kind.in_(list(kinds)))
        q = q.limit(1)
        if skip_locked:
            q = q.with_for_update(skip_locked=True)
        found = session.execute(q).first()
        if found is None:
            return None
        lease = claim(session, str(found[0]), runner=runner, now=now, until=until)
        if lease is not None:
            return lease
    return None


def save_progress(
    session: Session,
    lease: Lease,
    *,
    now: int,
    until: int,
    done: int,
    total: int | None,
    checkpoint: dict[str, Any] | None,
) -> bool:
    """Record progress and renew the lease; False if the lease no longer holds the job."""
    values: dict[str, Any] = {
        "progress_done": done,
        "checkpoint": checkpoint,
        "locked_until": until,
        "heartbeat_at": now,
        "updated_at": now,
    }
    if total is not None:
        values["progress_total"] = total
    result = session.execute(sa.update(J).where(*lease.fence()).values(**values))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def renew(session: Session, lease: Lease, *, now: int, until: int) -> bool:
    """Heartbeat: extend the lease; False if it no longer holds the job."""
    result = session.execute(
        sa.update(J)
        .where(*lease.fence())
        .values(locked_until=until, heartbeat_at=now, updated_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish(session: Session, lease: Lease, *, now: int, result: dict[str, Any] | None) -> bool:
    """Mark the job done with its result; False if the lease no longer holds it."""
    updated = session.execute(
        sa.update(J)
        .where(*lease.fence())
        .values(
            state="done",
            result=result,
            error=None,
            locked_by=None,
            locked_until=None,
            finished_at=now,
            updated_at=now,
        )
    )
    return bool(updated.rowcount == 1)  # type: ignore[attr-defined]


def retry_or_fail(
    session: Session, lease: Lease, *, now: int, error: str, retry_at: int | None
) -> bool:
    """After an error: queue the job again at `retry_at`, or (None) mark it failed."""
    values: dict[str, Any] = {
        "error": error[:4000],
        "locked_by": None,
        "locked_until": None,
        "updated_at": now,
    }
    if retry_at is None:
        values |= {"state": "failed", "finished_at": now}
    else:
        values |= {"state": "queued", "run_after": retry_at}
    updated = session.execute(sa.update(J).where(*lease.fence()).values(**values))
    return bool(updated.rowcount == 1)  # type: ignore[attr-defined]


def release(session: Session, lease: Lease, *, now: int) -> bool:
    """Give a job back (its runner is stopping): queued again at once, the attempt not counted."""
    updated = session.execute(
        sa.update(J)
        .where(*lease.fence())
        .values(
            state="queued",
            locked_by=None,
            locked_until=None,
            attempts=lease.attempt - 1,
            run_after=now,
            updated_at=now,
        )
    )
    return bool(updated.rowcount == 1)  # type: ignore[attr-defined]

"""Run jobs: claim under a lease, call the kind's handler, record the outcome.

A handler does its work in steps, each in a write transaction that also records the job's
progress and resume point (:meth:`JobContext.step`) and so renews the lease. If the process
dies, the lease runs out and any runner of any hub process claims the job again; the handler
starts from the last recorded checkpoint. Steps must therefore be idempotent: a step whose
transaction did not commit is simply done again. A step whose lease was taken over in the
meantime updates no job row, raises :class:`LeaseLost`, and its transaction rolls back.

:class:`JobRunner` is started by the FastAPI lifespan (``HUB_JOBS_ENABLED``) as one background
thread per process; ``fusion-hub jobs run-once`` drains the queue from the command line; the
policy service runs a job inline when its caller wants to wait (:meth:`JobRunner.run_job`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hub.jobs import repository as repo
from hub.store.db import Database
from hub.store.models import Job
from hub.timeutil import now_micros

__all__ = [
    "Handler",
    "JobContext",
    "JobError",
    "JobInterrupted",
    "JobOutcome",
    "JobRunner",
    "LeaseLost",
    "PermanentJobError",
]

log = logging.getLogger("hub.jobs")

Handler = Callable[["JobContext"], dict[str, Any] | None]
_S = 1_000_000


class JobError(Exception):
    """Base of the job runner's own exceptions."""


class LeaseLost(JobError):
    """Another runner holds the job now (this one stalled past its lease): stop, write nothing."""


class JobInterrupted(JobError):
    """The runner is stopping: the job is handed back, to resume from its checkpoint."""


class PermanentJobError(JobError):
    """The job cannot succeed (its input is gone or invalid): fail it without retrying."""


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What became of one run: ``done``, ``failed``, ``queued`` (retry or released), ``lost``."""

    job_id: str
    kind: str
    state: str
    result: dict[str, Any] | None = None
    error: str | None = None


class JobContext:
    """What a handler gets: the job's input and resume point, and the means to record steps."""

    def __init__(self, runner: JobRunner, job: Job, lease: repo.Lease) -> None:
        self.runner = runner
        self.db = runner.db
        self.lease = lease
        self.job_id = job.id
        self.kind = job.kind
        self.tenant_id = job.tenant_id
        self.payload: dict[str, Any] = dict(job.payload)
        self.checkpoint: dict[str, Any] | None = job.checkpoint
        self.done = job.progress_done
        self.total = job.progress_total
        self.attempt = lease.attempt

    def step(
        self,
        session: Session,
        *,
        done: int,
        checkpoint: dict[str, Any],
        total: int | None = None,
    ) -> None:
        """Record progress and the resume point in `session`'s transaction; renews the lease.

        Call it last in the step's write transaction: the work and the checkpoint commit
        together. Raises :class:`LeaseLost` (rolling the step back) if another runner took over.
        """
        now = self.runner.clock()
        if not repo.save_progress(
            session,
            self.lease,
            now=now,
            until=now + self.runner.lease_us,
            done=done,
            total=total,
            checkpoint=checkpoint,
        ):
            raise LeaseLost(f"job {self.job_id} was taken over by another runner")
        self.done, self.checkpoint = done, checkpoint
        self.total = total if total is not None else self.total

    def heartbeat(self) -> None:
        """Renew the lease in a transaction of its own (for long work between steps)."""
        now = self.runner.clock()
        with self.db.write_session() as session:
            if not repo.renew(session, self.lease, now=now, until=now + self.runner.lease_us):
                raise LeaseLost(f"job {self.job_id} was taken over by another runner")

    def check(self) -> None:
        """Raise :class:`JobInterrupted` if the runner is stopping (call between steps)."""
        if self.runner.stopping:
            raise JobInterrupted(self.job_id)


class JobRunner:
    """Claims and runs jobs of the kinds it has handlers for.

    `lease_seconds` must exceed the longest step of any handler; `clock` (µs since the epoch)
    is for tests. Creating a runner starts nothing: :meth:`start` starts its thread.
    """

    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler],
        *,
        name: str | None = None,
        lease_seconds: float = 60.0,
        poll_seconds: float = 2.0,
        max_backoff_seconds: float = 300.0,
        clock: Callable[[], int] = now_micros,
    ) -> None:
        self.db = db
        self.handlers = dict(handlers)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_us = int(lease_seconds * _S)
        self.poll_seconds = poll_seconds
        self.max_backoff_us = int(max_backoff_seconds * _S)
        self.clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    def run_once(self) -> JobOutcome | None:
        """Claim one ready job and run it; None if there was none."""
        now = self.clock()
        kinds = sorted(self.handlers)
        with self.db.session() as session:  # a read first: no write lock while idle
            if not repo.has_claimable(session, now, kinds):
                return None
        with self.db.write_session() as session:
            lease = repo.claim_next(
                session, runner=self.name, now=now, until=now + self.lease_us, kinds=kinds
            )
        return None if lease is None else self._run(lease)

    def run_until_idle(self, max_jobs: int | None = None) -> list[JobOutcome]:
        """Run ready jobs until none is left (or `max_jobs` ran, or the runner is stopping)."""
        outcomes: list[JobOutcome] = []
        while not self.stopping and (max_jobs is None or len(outcomes) < max_jobs):
            outcome = self.run_once()
            if outcome is None:
                break
            outcomes.append(outcome)
        return outcomes

    def run_job(self, job_id: str, *, timeout: float = 600.0) -> JobOutcome:
        """Run job `job_id` to its end here, or wait for the runner that holds it.

        Raises LookupError if there is no such job, TimeoutError after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = self.clock()
            with self.db.write_session() as session:
                lease = repo.claim(
                    session, job_id, runner=self.name, now=now, until=now + self.lease_us
                )
            if lease is not None:
                outcome = self._run(lease)
                if outcome.state in ("done", "failed"):
                    return outcome
            with self.db.session() as session:
                job = repo.get_job(session, job_id)
                if job is None:
                    raise LookupError(f"no job {job_id}")
                if job.state in ("done", "failed"):
                    return JobOutcome(job.id, job.kind, job.state, job.result, job.error)
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} did not finish within {timeout:.0f} s")
            time.sleep(0.05)

    def _run(self, lease: repo.Lease) -> JobOutcome:
        with self.db.session() as session:
            job = session.get(Job, lease.job_id)
            if job is None:
                return JobOutcome(lease.job_id, "", "lost", error="the job row is gone")
            session.expunge(job)
        ctx = JobContext(self, job, lease)
        handler = self.handlers[job.kind]
        log.info("job started", extra={"job": job.id, "kind": job.kind, "attempt": lease.attempt})
        try:
            result = handler(ctx)
        except LeaseLost:
            log.warning("job lease lost", extra={"job": job.id, "kind": job.kind})
            return JobOutcome(job.id, job.kind, "lost")
        except JobInterrupted:
            with self.db.write_session() as session:
                repo.release(session, lease, now=self.clock())
            return JobOutcome(job.id, job.kind, "queued", error="interrupted")
        except Exception as exc:
            return self._failed(job, lease, exc)
        with self.db.write_session() as session:
            if not repo.finish(session, lease, now=self.clock(), result=result):
                return JobOutcome(job.id, job.kind, "lost")
        log.info("job done", extra={"job": job.id, "kind": job.kind})
        return JobOutcome(job.id, job.kind, "done", result)

    def _failed(self, job: Job, lease: repo.Lease, exc: Exception) -> JobOutcome:
        error = f"{type(exc).__name__}: {exc}"
        permanent = isinstance(exc, PermanentJobError) or lease.attempt >= job.max_attempts
        if permanent:
            log.error("job failed", extra={"job": job.id, "kind": job.kind, "error": error})
        else:
            log.warning("job error; will retry", exc_info=exc, extra={"job": job.id})
        now = self.clock()
        retry_at = None if permanent else now + min(self.max_backoff_us, _S * 2**lease.attempt)
        with self.db.write_session() as session:
            if not repo.retry_or_fail(session, lease, now=now, error=error, retry_at=retry_at):
                return JobOutcome(job.id, job.kind, "lost", error=error)
        return JobOutcome(job.id, job.kind, "failed" if permanent else "queued", error=error)

    # --- the background thread -----------------------------------------------------------

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="hub-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for work now instead of at the next poll (a job was just queued)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread: the job at hand is handed back at its next step."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_until_idle()
            except Exception:
                log.exception("job runner error")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

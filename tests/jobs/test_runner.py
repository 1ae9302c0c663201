"""The job runner on both backends: claims, leases, fencing, resume after a crash, retries."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

from hub.jobs import repository as repo
from hub.jobs.runner import JobContext, JobRunner, PermanentJobError
from hub.store.db import Database
from hub.timeutil import now_micros

KIND = "test.count"
MINUTE = 60_000_000


class Crash(BaseException):
    """The process dies: nothing after this point runs, no cleanup writes anything."""


def _enqueue(db: Database, payload: dict[str, Any] | None = None, **kw: Any) -> str:
    with db.write_session() as s:
        return repo.enqueue(s, kind=KIND, payload=payload or {"n": 6}, now=now_micros(), **kw).id


def _job(db: Database, job_id: str) -> Any:
    with db.session() as s:
        job = repo.get_job(s, job_id)
        assert job is not None
        s.expunge(job)
        return job


def counting(log: list[tuple[str, int]], *, crash_after: int | None = None) -> Any:
    """A handler counting 0..n-1 in steps of one, from its checkpoint; logs each step."""

    def handler(ctx: JobContext) -> dict[str, Any]:
        n = int(ctx.payload["n"])
        start = (ctx.checkpoint or {}).get("next", 0)
        for i in range(start, n):
            ctx.check()
            with ctx.db.write_session() as s:
                ctx.step(s, done=i + 1, total=n, checkpoint={"next": i + 1})
                if crash_after is not None and i + 1 > crash_after:
                    raise Crash  # dies inside the transaction: this step rolls back
            log.append((ctx.job_id, i))
        return {"counted": n}

    return handler


def test_a_job_runs_to_done_with_progress(db: Database) -> None:
    log: list[tuple[str, int]] = []
    job_id = _enqueue(db)
    runner = JobRunner(db, {KIND: counting(log)})
    outcome = runner.run_once()
    assert outcome is not None and outcome.state == "done" and outcome.result == {"counted": 6}
    job = _job(db, job_id)
    assert (job.state, job.progress_done, job.progress_total, job.attempts) == ("done", 6, 6, 1)
    assert job.locked_by is None and job.finished_at is not None
    assert runner.run_once() is None  # nothing left


def test_a_leased_job_is_not_claimed_until_its_lease_expires(db: Database) -> None:
    job_id = _enqueue(db)
    now = now_micros()
    with db.write_session() as s:
        first = repo.claim_next(s, runner="a", now=now, until=now + MINUTE)
    assert first is not None and first.job_id == job_id
    with db.write_session() as s:
        assert repo.claim_next(s, runner="b", now=now + 1000, until=now + MINUTE) is None
    later = now + 2 * MINUTE
    with db.write_session() as s:
        second = repo.claim_next(s, runner="b", now=later, until=later + MINUTE)
    assert second is not None and second.attempt == 2
    # The first runner's lease is fenced off: its progress and outcome write nothing.
    with db.write_session() as s:
        assert not repo.save_progress(
            s, first, now=later, until=later + MINUTE, done=3, total=6, checkpoint={"next": 3}
        )
        assert not repo.finish(s, first, now=later, result={})
        assert repo.save_progress(
            s, second, now=later, until=later + MINUTE, done=1, total=6, checkpoint={"next": 1}
        )
    assert _job(db, job_id).locked_by == "b"


def test_a_crashed_job_resumes_from_its_checkpoint_elsewhere(db: Database) -> None:
    log: list[tuple[str, int]] = []
    job_id = _enqueue(db, {"n": 6})
    doomed = JobRunner(db, {KIND: counting(log, crash_after=3)}, name="doomed")
    with pytest.raises(Crash):
        doomed.run_once()
    job = _job(db, job_id)
    assert (job.state, job.progress_done, job.checkpoint) == ("running", 3, {"next": 3})
    # Another process, once the lease has run out, picks the job up where it stopped.
    survivor = JobRunner(
        db, {KIND: counting(log)}, name="survivor", clock=lambda: now_micros() + 2 * MINUTE
    )
    outcome = survivor.run_once()
    assert outcome is not None and outcome.state == "done"
    assert [i for _, i in log] == [0, 1, 2, 3, 4, 5]  # every step exactly once
    job = _job(db, job_id)
    assert (job.state, job.attempts, job.progress_done) == ("done", 2, 6)


def test_a_job_whose_runner_keeps_dying_is_abandoned(db: Database) -> None:
    job_id = _enqueue(db, max_attempts=2)
    clock = now_micros()
    for _ in range(2):
        runner = JobRunner(
            db, {KIND: counting([], crash_after=0)}, clock=lambda c=clock: c, lease_seconds=1
        )
        with pytest.raises(Crash):
            runner.run_once()
        clock += 2_000_000
    assert JobRunner(db, {KIND: counting([])}, clock=lambda: clock).run_once() is None
    job = _job(db, job_id)
    assert job.state == "failed" and "stopped answering 2 times" in (job.error or "")


def test_two_runners_never_run_the_same_job(db: Database) -> None:
    ids = {_enqueue(db, {"n": 2}) for _ in range(12)}
    runs: list[str] = []
    lock = threading.Lock()

    def handler(ctx: JobContext) -> dict[str, Any]:
        with lock:
            runs.append(ctx.job_id)
        time.sleep(0.01)
        with ctx.db.write_session() as s:
            ctx.step(s, done=1, total=1, checkpoint={})
        return {}

    runners = [JobRunner(db, {KIND: handler}, name=f"r{i}") for i in range(2)]
    threads = [threading.Thread(target=r.run_until_idle) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert Counter(runs) == Counter(dict.fromkeys(ids, 1))
    with db.session() as s:
        assert {j.state for j in repo.list_jobs(s, limit=100)} == {"done"}


def test_errors_are_retried_with_backoff_then_fail(db: Database) -> None:
    calls: list[int] = []

    def flaky(ctx: JobContext) -> dict[str, Any]:
        calls.append(ctx.attempt)
        raise RuntimeError("database hiccup")

    job_id = _enqueue(db, max_attempts=2)
    runner = JobRunner(db, {KIND: flaky})
    first = runner.run_once()
    assert first is not None and first.state == "queued" and "hiccup" in (first.error or "")
    assert runner.run_once() is None  # not before its back-off
    job = _job(db, job_id)
    assert job.run_after > now_micros()
    late = JobRunner(db, {KIND: flaky}, clock=lambda: now_micros() + 10 * MINUTE)
    second = late.run_once()
    assert second is not None and second.state == "failed"
    assert calls == [1, 2]

    def hopeless(ctx: JobContext) -> dict[str, Any]:
        raise PermanentJobError("its tenant is gone")

    other = _enqueue(db)
    outcome = JobRunner(db, {KIND: hopeless}).run_once()
    assert outcome is not None and outcome.state == "failed"
    assert _job(db, other).attempts == 1


def test_a_stopping_runner_hands_its_job_back(db: Database) -> None:
    log: list[tuple[str, int]] = []
    job_id = _enqueue(db, {"n": 6})
    runner = JobRunner(db, {KIND: counting(log)})
    runner.stop()  # as if stop() came mid-job: the handler's next check() interrupts it
    with db.write_session() as s:
        now = now_micros()
        lease = repo.claim(s, job_id, runner=runner.name, now=now, until=now + MINUTE)
    assert lease is not None
    outcome = runner._run(lease)
    assert outcome.state == "queued" and log == []
    job = _job(db, job_id)
    assert (job.state, job.attempts, job.locked_by) == ("queued", 0, None)
    assert JobRunner(db, {KIND: counting(log)}).run_once() is not None
    assert _job(db, job_id).state == "done"


def test_run_job_waits_for_the_runner_holding_it(db: Database) -> None:
    job_id = _enqueue(db, {"n": 3})
    log: list[tuple[str, int]] = []
    background = JobRunner(db, {KIND: counting(log)}, poll_seconds=0.05)
    with db.write_session() as s:  # the background runner holds it …
        now = now_micros()
        lease = repo.claim(s, job_id, runner=background.name, now=now, until=now + MINUTE)
    assert lease is not None
    thread = threading.Thread(target=background._run, args=(lease,))
    thread.start()
    outcome = JobRunner(db, {KIND: counting(log)}).run_job(job_id, timeout=30)  # … we wait
    thread.join(30)
    assert outcome.state == "done" and len(log) == 3


def test_the_app_lifespan_runs_the_runner(settings: Any, db: Database) -> None:
    import asyncio

    from hub.app import create_app
    from hub.runtime import Hub

    log: list[tuple[str, int]] = []
    job_id = _enqueue(db, {"n": 2})
    disabled = settings.model_copy(update={"jobs_enabled": False})
    off = create_app(disabled, hub=Hub(disabled, database=db))
    app = create_app(settings, hub=Hub(settings, database=db))

    async def serve() -> Any:
        async with off.router.lifespan_context(off):
            assert off.state.job_runner is None
        async with app.router.lifespan_context(app):
            runner = app.state.job_runner
            assert runner is not None and runner._thread is not None
            runner.handlers[KIND] = counting(log)  # a kind only this test knows
            runner.wake()
            for _ in range(1000):  # up to 20 s
                if _job(db, job_id).state == "done":
                    break
                await asyncio.sleep(0.02)
        return runner

    runner = asyncio.run(serve())
    assert _job(db, job_id).state == "done" and len(log) == 2
    assert runner._thread is None and app.state.job_runner is None  # stopped with the app

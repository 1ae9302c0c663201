"""Concurrent appenders (threads; processes on PostgreSQL) neither fork the chain nor lose
an entry."""

from __future__ import annotations

import itertools
import multiprocessing
import threading

import pytest

from hub.audit import verify_log
from hub.store.db import Database
from tests.audit._workers import append
from tests.audit.conftest import SIGNER
from tests.audit.helpers import rows


def _assert_complete(db: Database, workers: int, count: int) -> None:
    stored = rows(db)
    assert [r["seq"] for r in stored] == list(range(1, workers * count + 1))  # dense: no fork
    tags = sorted(r["request_id"] for r in stored)
    assert tags == sorted(f"w{w}-{i}" for w in range(workers) for i in range(count))  # no loss
    assert len({r["prev_hash"] for r in stored}) == len(stored)  # one successor per entry
    writers = [r["request_id"].split("-")[0] for r in stored]
    assert sum(a != b for a, b in itertools.pairwise(writers)) >= workers  # interleaved
    with db.session() as session:
        report = verify_log(session, SIGNER.public)
    assert report.ok and report.entries_checked == workers * count


def test_threads_append_without_forking_or_losing_entries(db: Database, database_url: str) -> None:
    workers, count = 8, 25
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(w: int) -> None:
        try:
            append(database_url, w, count, start)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    _assert_complete(db, workers, count)


def test_processes_append_without_forking_or_losing_entries(
    db: Database, database_url: str
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("several hub processes share one PostgreSQL")
    workers, count = 4, 40
    ctx = multiprocessing.get_context("forkserver")  # a clean (thread-free) parent to fork from
    ctx.set_forkserver_preload(["tests.audit._workers", "hub.audit", "hub.store.db"])
    start = ctx.Barrier(workers)
    procs = [
        ctx.Process(target=append, args=(database_url, w, count, start)) for w in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers
    _assert_complete(db, workers, count)


def test_group_commit_batches_waiting_appenders_and_reports_errors(db: Database) -> None:
    from hub.audit._group import GroupCommit

    entered, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def append(_session: object, rows: list[dict[str, int]], _nows: object) -> list[int]:
        if not batches:  # hold the first transaction open while the others queue up
            entered.set()
            release.wait(10)
        if any(r["n"] < 0 for r in rows):
            raise RuntimeError("the database is gone")
        batches.append([r["n"] for r in rows])
        return [r["n"] * 10 for r in rows]

    group: GroupCommit[int] = GroupCommit(db, append)  # type: ignore[arg-type]
    results: dict[int, list[int]] = {}

    def submit(n: int) -> None:
        results[n] = group.submit([{"n": n}, {"n": n + 100}], None)

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    assert entered.wait(10)
    others = [threading.Thread(target=submit, args=(n,)) for n in range(1, 6)]
    for t in others:
        t.start()
    while len(group._pending) < 5:  # all five queued behind the open transaction
        threading.Event().wait(0.001)
    release.set()
    for t in [first, *others]:
        t.join(10)
    assert batches[0] == [0, 100] and len(batches) == 2  # the five shared one transaction
    assert sorted(batches[1]) == sorted([n for k in range(1, 6) for n in (k, k + 100)])
    assert all(results[n] == [n * 10, (n + 100) * 10] for n in range(6))
    with pytest.raises(RuntimeError, match="gone"):
        group.submit([{"n": -1}], None)
    assert group.submit([{"n": 7}], None) == [70]  # and it recovers

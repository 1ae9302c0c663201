"""The housekeeping loop: periodic checkpoints of a moving head, retention when configured."""

from __future__ import annotations

import time

from hub.audit import verify_log
from hub.audit.checkpoints import list_checkpoints
from hub.audit.maintenance import Maintenance
from hub.store.db import Database
from tests.audit.conftest import SIGNER
from tests.audit.helpers import T0, fill, seqs


def test_a_round_checkpoints_the_head_once(db: Database) -> None:
    m = Maintenance(db, lambda: SIGNER)
    m.run_once()  # empty trail: nothing to do
    fill(db, 3)
    m.run_once()
    m.run_once()
    fill(db, 2, start=3)
    m.run_once()
    with db.session() as session:
        assert [(c.seq, c.kind) for c in list_checkpoints(session)] == [
            (3, "interval"),
            (5, "interval"),
        ]


def test_a_round_prunes_when_retention_is_set(db: Database) -> None:
    fill(db, 3, now=T0 - 365 * 86_400_000_000)  # a year before
    fill(db, 2, start=3)
    Maintenance(db, lambda: SIGNER, retention_days=30).run_once()
    assert seqs(db) == [4, 5, 6]
    with db.session() as session:
        assert verify_log(session, SIGNER.public).ok


def test_the_thread_signs_on_its_way_out(db: Database) -> None:
    fill(db, 2)
    m = Maintenance(db, lambda: SIGNER, interval=3600)
    m.start()
    time.sleep(0.05)
    m.stop()
    with db.session() as session:
        assert [c.seq for c in list_checkpoints(session)] == [2]


def test_failures_are_logged_not_raised(db: Database) -> None:
    def no_key() -> object:
        from hub.audit import SigningKeyUnavailable

        raise SigningKeyUnavailable("no keyring")

    Maintenance(db, no_key).run_once()  # type: ignore[arg-type]


def test_the_app_runs_the_loop_for_its_lifetime(db: Database, settings: object) -> None:
    import asyncio

    from hub.app import create_app
    from hub.runtime import Hub

    fill(db, 2)
    app = create_app(settings, hub=Hub(settings, database=db))  # type: ignore[arg-type]

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            await asyncio.sleep(0.01)

    asyncio.run(serve())
    with db.session() as session:
        assert [(c.seq, c.kind) for c in list_checkpoints(session)] == [(2, "interval")]

"""Fixtures of the audit tests: the database at every migration head, a signer, tampering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

import hub.store.migrate
from hub.audit import CheckpointSigner
from hub.store.db import Database
from hub.store.models import metadata
from tests.conftest import _empty

AUDIT_TABLES = ("audit_entry", "audit_checkpoint")

SIGNER = CheckpointSigner.from_secret(bytes(range(32)))


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    """Like the root fixture, but upgraded to every head.

    Until the migration chain is merged, several revisions branch from 0001 and "head" is
    ambiguous; "heads" works before and after.
    """
    db = Database(database_url)
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(Path(hub.store.migrate.__file__).with_name("migrations"))
    )
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    yield db
    db.dispose()


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    """The session database, emptied after the test — only the audit tables when nothing else
    was written (most tests here), which is much cheaper than emptying every table."""
    try:
        yield database
    finally:
        others = [t.name for t in metadata.sorted_tables if t.name not in AUDIT_TABLES]
        probe = " OR ".join(f'EXISTS (SELECT 1 FROM "{t}")' for t in others)
        with database.engine.begin() as conn:
            if conn.exec_driver_sql(f"SELECT {probe}").scalar():
                dirty = True
            else:
                dirty = False
                if database.dialect == "postgresql":  # DELETE a few rows beats TRUNCATE
                    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for t in AUDIT_TABLES:
                    conn.exec_driver_sql(f'DELETE FROM "{t}"')
        if dirty:
            _empty(database)


@pytest.fixture
def signer() -> CheckpointSigner:
    """A fixed checkpoint signing key."""
    return SIGNER

"""`fusion-hub init` semantics: create or upgrade, harmless twice; readiness reflects the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.store.db import Database, normalise_url
from hub.store.errors import DatabaseUnavailable
from hub.store.migrate import current_revision, head_revision, is_current, upgrade


def test_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/fresh.db")
    assert current_revision(db) is None
    assert upgrade(db) == (None, head_revision())
    assert upgrade(db) == (head_revision(), head_revision())
    assert is_current(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


def test_database_migrated_by_fixture_is_current(database: Database) -> None:
    assert is_current(database)


def test_unreachable_database_is_reported_clearly() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable) as info:
        db.ping()
    assert "127.0.0.1" in info.value.description or "refused" in info.value.description.lower()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"

"""SQLite gets query-planner statistics without an operator running ANALYZE (PRAGMA optimize)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.store import db as db_module
from hub.store.db import Database


def _fill(db: Database, rows: int) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER, b TEXT)")
        conn.exec_driver_sql("CREATE INDEX ix_t_a ON t (a)")
        conn.exec_driver_sql(
            "INSERT INTO t SELECT value % 50, 'x' FROM json_each(?)",
            (str(list(range(rows))),),
        )


def _stats(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return []
        return [r[0] for r in conn.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 't'")]


def _query(db: Database) -> None:
    with db.session() as s:
        s.execute(sa.text("SELECT count(*) FROM t WHERE a = 7")).scalar()


def test_closing_connections_leaves_statistics(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/hub.db")
    _fill(db, 2000)
    _query(db)
    assert _stats(tmp_path / "hub.db") == []
    db.dispose()  # the pool closes its connections: PRAGMA optimize on each
    assert _stats(tmp_path / "hub.db") == ["ix_t_a"]


def test_write_transactions_refresh_statistics_now_and_then(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/hub.db", pool_size=1, optimize_interval=3600)
    _fill(db, 2000)
    for _ in range(db_module._FIRST_OPTIMIZE_AFTER - 1):
        _query(db)
        with db.write_session() as s:
            s.execute(sa.text("UPDATE t SET b = 'y' WHERE a = 1"))
    assert _stats(tmp_path / "hub.db") == []  # not yet: the first few writes only
    with db.write_session() as s:
        s.execute(sa.text("UPDATE t SET b = 'z' WHERE a = 2"))
    assert _stats(tmp_path / "hub.db") == ["ix_t_a"]
    db.dispose()


def test_postgresql_is_left_to_autovacuum() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none")
    assert not db.engine.pool.dispatch.close  # no listener: nothing runs on close
    db.dispose()


@pytest.mark.postgres
def test_postgresql_sessions_plan_without_jit_compilation(db: Database) -> None:
    """A keyset page at a million objects is estimated expensive enough for PostgreSQL to JIT-
    compile it, ~30 ms for a sub-millisecond lookup: the hub's connections turn JIT off."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    with db.session() as s:
        assert s.execute(sa.text("SHOW jit")).scalar() == "off"
        assert s.execute(sa.text("SELECT 1")).scalar() == 1  # the session is usable after it

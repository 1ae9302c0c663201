"""Engines and sessions: SQLite (WAL) for the embedded hub, PostgreSQL (psycopg 3) at scale."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from hub.store.errors import DatabaseUnavailable

__all__ = ["Database", "normalise_url"]


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA temp_store=MEMORY")
    # Bounds the work of each ANALYZE that `PRAGMA optimize` runs (approximate statistics).
    cur.execute(f"PRAGMA analysis_limit={_ANALYSIS_LIMIT}")
    cur.close()


def _sqlite_optimize(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    """`PRAGMA optimize` before a connection closes, as SQLite recommends: it ANALYZEs the
    tables this connection queried whose statistics are missing or stale (cheap otherwise)."""
    with contextlib.suppress(sqlite3.Error):  # busy or read-only: another connection will
        dbapi_conn.execute("PRAGMA busy_timeout=100")  # closing must not wait for a writer
        dbapi_conn.execute("PRAGMA optimize")


def _postgres_on_connect(dbapi_conn: Any, _record: object) -> None:
    """No JIT compilation: the hub's queries are short keyset lookups whose cost estimates (a
    LIMIT over a large filtered index range) pass `jit_above_cost` at a million objects, and
    compiling them took ~30 ms for a query that runs in under 1 ms."""
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    try:
        with dbapi_conn.cursor() as cur:
            cur.execute("SET jit = off")
    finally:
        dbapi_conn.autocommit = autocommit


_ANALYSIS_LIMIT = 1000
_FIRST_OPTIMIZE_AFTER = 100  # write transactions
#: Seconds between two `PRAGMA optimize` runs after write transactions (SQLite).
OPTIMIZE_INTERVAL = 3600.0


class Database:
    """An engine plus a session factory. Nothing connects until first use.

    On SQLite the query planner gets statistics without an operator running ANALYZE:
    `PRAGMA optimize` runs on the connection of a write transaction once its commit is done, at
    most every `optimize_interval` seconds (the first time soon after the first writes), and on
    every connection the pool closes. PostgreSQL's autovacuum keeps its own statistics.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        echo: bool = False,
        optimize_interval: float = OPTIMIZE_INTERVAL,
    ) -> None:
        self.url = normalise_url(url)
        self.optimize_interval = optimize_interval
        self._optimized_at: float | None = None  # monotonic time of the last run, None: never
        self._writes = 0
        parsed = make_url(self.url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                from pathlib import Path

                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            # SQLite serialises writers itself; BEGIN IMMEDIATE below avoids upgrade deadlocks.
            kwargs["pool_size"] = pool_size
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            kwargs["pool_pre_ping"] = True
            kwargs["json_serializer"] = lambda o: orjson.dumps(o).decode()
            kwargs["json_deserializer"] = orjson.loads
            kwargs["connect_args"] = {"connect_timeout": 5}
        self.engine: Engine = sa.create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_on_connect)
            # pysqlite's own transaction handling defers BEGIN; take control of it so that
            # writers start with BEGIN IMMEDIATE and readers get a consistent snapshot.
            event.listen(self.engine, "connect", _sqlite_disable_pysqlite_tx)
            event.listen(self.engine, "begin", _sqlite_begin)
            event.listen(self.engine.pool, "close", _sqlite_optimize)
        else:
            event.listen(self.engine, "connect", _postgres_on_connect)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """Like :meth:`session`, for transactions that write.

        On SQLite the transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock first
        (waiting up to the busy timeout) instead of failing when a read turns into a write.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(hub_write=True)
            with Session(bind=conn, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
            if self.dialect == "sqlite" and self._optimize_due():
                self._optimize(conn)

    def _optimize_due(self) -> bool:
        """Every `optimize_interval` seconds; the first time after the first few writes."""
        self._writes += 1
        now = time.monotonic()
        if self._optimized_at is None:
            due = self._writes >= _FIRST_OPTIMIZE_AFTER
        else:
            due = now - self._optimized_at >= self.optimize_interval
        if due:
            self._optimized_at = now
        return due

    def _optimize(self, conn: sa.Connection) -> None:
        """`PRAGMA optimize` on a connection that just committed (its own transaction): never
        an error for the caller, whose work is already committed."""
        try:
            conn.exec_driver_sql("PRAGMA optimize")
            conn.commit()
        except sa.exc.DBAPIError:  # busy, say: another time
            with contextlib.suppress(sa.exc.DBAPIError):
                conn.rollback()

    def ping(self) -> None:
        """Raise :class:`DatabaseUnavailable` unless the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            raise DatabaseUnavailable(_describe(exc)) from None

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _describe(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig or exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def _sqlite_disable_pysqlite_tx(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn: sa.Connection) -> None:
    if conn.get_execution_options().get("hub_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")

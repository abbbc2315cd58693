"""Engine and session factory for SQLite (embedded default) and PostgreSQL, with the same code on both."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from ..files import PRIVATE_FILE, private_dir, restrict
from . import sqlite_driver

# PostgreSQL's answers that mean "this transaction lost a race, run it again": deadlock detected, could not
# serialize, lock not available. SQLite's is "database is locked" (busy_timeout ran out).
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
# A PostgreSQL connection back from the pool is asked whether it still lives (a round trip) only when it lay
# unused this long: after a quiet night the server may have restarted. One in use a moment ago is taken as it is
# (pinging every checkout cost ≈ 0.5 ms per transaction, two on a report's way); if the server dropped it
# meanwhile, the statement fails as a lost connection, which is_transient counts as a race: the unit of work
# runs again on a new connection.
PING_AFTER_IDLE = 10.0


def is_transient(exc: BaseException | None) -> bool:
    """Whether a failed unit of work may simply be run again: it was rolled back for a conflict with another
    transaction, not for anything in it."""
    seen = 0
    while exc is not None and seen < 5:
        if getattr(exc, "sqlstate", None) in TRANSIENT_SQLSTATES or getattr(exc, "pgcode", None) in TRANSIENT_SQLSTATES:
            return True
        if "database is locked" in str(exc).lower():
            return True
        if getattr(exc, "connection_invalidated", False):  # the connection was lost (a restart): rolled back
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return False


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str) -> AsyncEngine:
    # hide_parameters: a failed statement's exception (and so every log of it) must not carry callers'
    # names and numbers; the SQL alone is enough to debug.
    if not is_sqlite(url):
        engine = create_async_engine(url, hide_parameters=True)
        _ping_when_idle(engine)
        return engine
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        _private_database_file(Path(database))
    engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True,
                                 module=sqlite_driver.dbapi())  # one trip to aiosqlite's thread per statement
    _configure_sqlite(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """SQLAlchemy's pool_pre_ping, for connections unused for PING_AFTER_IDLE seconds only."""
    @event.listens_for(engine.sync_engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # dead: the pool drops it (and all older ones) and takes a new connection
            raise sa_exc.InvalidatePoolError(f"connection lost while idle: {type(error).__name__}") from error


def _private_database_file(path: Path) -> None:
    """The SQLite file holds callers' data: create it 0600 (its -wal and -shm take the same mode from it)."""
    private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))  # an empty file is an empty database
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        restrict(each)


def _configure_sqlite(engine: AsyncEngine) -> None:
    # WAL lets the CLI read while the bot writes; BEGIN IMMEDIATE takes the write lock up front, so two
    # writers queue on busy_timeout instead of failing half-way with "database is locked".
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
